"""Building the migration's collaborators from settings, once per warm container."""

from __future__ import annotations

import functools

from revops.integrations.salesforce import SalesforceGateway
from revops.migration.backup import BackupDefaults
from revops.migration.settings import MigrationSettings
from revops.migration.transfer import FileCopier, s3_client
from revops.store.migration import MigrationStore


@functools.cache
def gateway(secret_name: str, bulk_poll_seconds: float) -> SalesforceGateway:
    return SalesforceGateway.from_secret(secret_name, bulk_poll_seconds=bulk_poll_seconds)


def gateway_for(settings: MigrationSettings) -> SalesforceGateway:
    return gateway(settings.salesforce_secret_name, settings.bulk_poll_seconds)


@functools.cache
def copier() -> FileCopier:
    return FileCopier(dest_s3=s3_client(), source_s3=s3_client())


def store_for(settings: MigrationSettings) -> MigrationStore:
    return MigrationStore(settings.tracking_table, settings.aws_region, settings.retention_days)


def defaults_for(settings: MigrationSettings) -> BackupDefaults:
    return BackupDefaults(
        max_file_size_mb=settings.max_file_size_mb,
        max_concurrency=settings.max_concurrency,
        tolerated_failure_percentage=settings.tolerated_failure_percentage,
        chunk_size=settings.chunk_size,
        work_bucket=settings.work_bucket,
        source_bucket=settings.source_bucket,
        dest_bucket=settings.backup_bucket,
    )
