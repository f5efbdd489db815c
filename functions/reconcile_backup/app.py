"""FileReconcile: list the backup prefix against the tracking, report (and remove) orphans."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from revops.integrations.objects import DocumentStore
from revops.migration import reconcile, wiring
from revops.migration.settings import MigrationSettings
from revops.migration.transfer import s3_client
from revops.observability import logger, metrics, tracer
from revops.validation import parse


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = MigrationSettings.from_env()
    store = wiring.store_for(settings)
    summary = reconcile.reconcile(
        parse(reconcile.ReconcileRequest, event),
        s3_client(),
        settings.backup_bucket,
        store,
        DocumentStore(settings.work_bucket),
    )
    wiring.publish_status(settings, store)
    logger.info("backup reconciled", run_id=summary.run_id, orphans=summary.orphans)
    metrics.add_metric(name="BackupOrphans", unit="Count", value=summary.orphans)
    return summary.model_dump(by_alias=True)
