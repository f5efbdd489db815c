"""StackCheck settings, from the env vars that template.yaml sets."""

from __future__ import annotations

from revops.settings import AwsSettings
from revops.stackcheck.models import FieldMapping


class StackCheckSettings(AwsSettings):
    tracking_table: str
    work_bucket: str
    source_bucket: str = ""
    salesforce_secret_name: str = ""
    doc_object: str = "DocListEntry__c"
    doc_url_field: str = "Document__c"
    doc_account_field: str = "Account__c"

    def mapping(self) -> FieldMapping:
        account_path = self.doc_account_field
        account_path = account_path[:-3] + "__r" if account_path.endswith("__c") else account_path
        return FieldMapping(
            sobject=self.doc_object,
            url_field=self.doc_url_field,
            account_field=self.doc_account_field,
            account_name_path=f"{account_path}.Name",
        )
