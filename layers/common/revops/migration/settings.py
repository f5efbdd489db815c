"""Settings for every file-migration function (and StackCheck), from template.yaml."""

from __future__ import annotations

from typing import Literal

from revops.migration.models import DocMapping
from revops.settings import AwsSettings


class MigrationSettings(AwsSettings):
    tracking_table: str
    work_bucket: str
    backup_bucket: str = ""
    source_bucket: str = ""
    salesforce_secret_name: str = ""
    # DocListEntry__c field mapping
    doc_object: str = "DocListEntry__c"
    doc_url_field: str = "Document__c"
    doc_account_field: str = "Account__c"
    doc_file_name_field: str = "File_Name__c"
    doc_file_size_field: str = "File_Size__c"
    doc_namespace: str = ""
    # defaults for optional workflow inputs
    max_file_size_mb: float = 5120.0
    max_concurrency: int = 100
    tolerated_failure_percentage: float = 5.0
    chunk_size: int = 250
    copy_threads: int = 32
    bulk_query_threshold: int = 50_000
    bulk_poll_seconds: float = 2.0
    # phase 2
    cutover_batch_size: int = 200
    cutover_bulk_threshold: int = 2_000
    max_unresolved_ratio: float = 0.01
    dashboards_bucket: str = ""
    # how our URLs look: empty means the S3 virtual-hosted URL
    public_base_url: str = ""
    # what cutover writes into Salesforce (LinkMode): stable links on the docs host, or object URLs
    link_mode: Literal["stable", "object"] = "stable"
    docs_base_url: str = ""
    retention_days: int = 90

    def mapping(self) -> DocMapping:
        account = self.doc_account_field
        relationship = (
            account[:-3] + "__r" if account.endswith("__c") else account.removesuffix("Id")
        )
        return DocMapping(
            sobject=self.doc_object,
            url_field=self.doc_url_field,
            account_field=account,
            account_name_path=f"{relationship}.Name",
            file_name_field=self.doc_file_name_field or None,
            file_size_field=self.doc_file_size_field or None,
            namespace=self.doc_namespace,
        )
