"""FileBackup, step 4: add up the chunks, close the run, write the run summary and the status page."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from revops.integrations.objects import DocumentStore
from revops.migration import backup, wiring
from revops.migration.models import FinalizeRequest
from revops.migration.settings import MigrationSettings
from revops.observability import logger, metrics, tracer
from revops.validation import parse


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = MigrationSettings.from_env()
    request = parse(FinalizeRequest, event)
    store = wiring.store_for(settings)
    summary = backup.finalize_run(request, DocumentStore(request.bucket), store)
    wiring.publish_status(settings, store)
    logger.info("backup run finished", run_id=summary.run_id, status=summary.status)
    metrics.add_metric(name="BackupRunsFinished", unit="Count", value=1)
    metrics.add_metric(name="BackupFilesFailed", unit="Count", value=summary.totals.failed)
    return summary.model_dump(by_alias=True)
