"""Building the migration's collaborators from settings, once per warm container."""

from __future__ import annotations

import functools

from revops.integrations.objects import DocumentStore
from revops.integrations.salesforce import SalesforceGateway
from revops.migration.backup import BackupDefaults
from revops.migration.cutover import PhaseTwoDefaults, our_url_prefix
from revops.migration.link_mode import OurLinks
from revops.migration.settings import MigrationSettings
from revops.migration.transfer import FileCopier, s3_client
from revops.observability import logger
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


def phase_two_defaults(settings: MigrationSettings) -> PhaseTwoDefaults:
    return PhaseTwoDefaults(
        batch_size=settings.cutover_batch_size,
        bulk_threshold=settings.cutover_bulk_threshold,
        work_bucket=settings.work_bucket,
        max_unresolved_ratio=settings.max_unresolved_ratio,
    )


def links_for(settings: MigrationSettings) -> OurLinks:
    """What cutover writes (LinkMode) and how those links lead back to our files."""
    return OurLinks(settings.link_mode, settings.docs_base_url, url_prefix(settings))


def url_prefix(settings: MigrationSettings) -> str:
    return our_url_prefix(
        settings.backup_bucket, settings.aws_region, settings.public_base_url or None
    )


def publish_status(settings: MigrationSettings, store: MigrationStore) -> str | None:
    """Refresh the status page after a run; a page failure never fails the run."""
    from revops.migration import status

    if not settings.dashboards_bucket:
        return None
    try:
        return status.publish_status_page(
            store,
            DocumentStore(settings.dashboards_bucket),
            status.ReportOptions(max_unresolved_ratio=settings.max_unresolved_ratio),
        )
    except Exception:
        logger.exception("status page not published")
        return None
