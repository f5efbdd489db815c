"""FileBackup, step 2: read DocListEntry__c, pick what to copy, write chunk files."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from revops.integrations.objects import DocumentStore
from revops.integrations.salesforce import SalesforceGateway
from revops.migration import backup, plan, wiring
from revops.migration.models import BackupConfig
from revops.migration.settings import MigrationSettings
from revops.observability import logger, metrics, record_salesforce_usage, tracer
from revops.validation import parse


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(
    event: dict[str, Any], context: LambdaContext, gateway: SalesforceGateway | None = None
) -> dict[str, Any]:
    settings = MigrationSettings.from_env()
    sf = gateway or wiring.gateway_for(settings)
    config = parse(BackupConfig, event)
    store = wiring.store_for(settings)
    result = plan.plan_backup(
        config,
        sf,
        DocumentStore(config.bucket),
        store,
        settings.mapping(),
        url_for=backup.object_url_for(
            config.dest_bucket, settings.aws_region, settings.public_base_url or None
        ),
        bulk_threshold=settings.bulk_query_threshold,
    )
    backup.record_plan(store, config.run_id, result.counts)
    logger.info(
        "backup planned",
        run_id=config.run_id,
        chunks=result.chunks,
        selected=result.counts.selected,
        query_mode=result.query_mode,
    )
    metrics.add_metric(name="FilesPlanned", unit="Count", value=result.counts.selected)
    record_salesforce_usage(sf)
    return result.model_dump(by_alias=True)
