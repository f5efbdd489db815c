"""FileCutover / FileRollback, last step: close the run, write its summary and the status page."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from revops.integrations.objects import DocumentStore
from revops.migration import cutover, wiring
from revops.migration.models import FinishPhaseTwoRequest
from revops.migration.settings import MigrationSettings
from revops.observability import logger, metrics, tracer
from revops.validation import parse


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = MigrationSettings.from_env()
    request = parse(FinishPhaseTwoRequest, event)
    store = wiring.store_for(settings)
    summary = cutover.finish_run(request, DocumentStore(request.bucket), store)
    wiring.publish_status(settings, store)
    logger.info("url run finished", run_id=summary["runId"], status=summary["status"])
    metrics.add_metric(name="UrlRunsFinished", unit="Count", value=1)
    return summary
