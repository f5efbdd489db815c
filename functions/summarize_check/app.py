"""StackCheck, step 3: add up the chunk results and write the summary to S3."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from revops.integrations.objects import DocumentStore
from revops.migration.settings import MigrationSettings
from revops.observability import logger, metrics, tracer
from revops.stackcheck import logic
from revops.stackcheck.models import SummaryRequest
from revops.store.stackcheck import CheckResults
from revops.validation import parse


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = MigrationSettings.from_env()
    request = parse(SummaryRequest, event)
    summary = logic.summarize(
        request,
        DocumentStore(request.bucket),
        CheckResults(settings.tracking_table, settings.aws_region),
    )
    logger.info(
        "stack check finished", healthy=summary.healthy, failed_chunks=summary.failed_chunks
    )
    metrics.add_metric(name="StackCheckFailedChunks", unit="Count", value=summary.failed_chunks)
    return summary.model_dump(by_alias=True)
