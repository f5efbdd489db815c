"""Import an old `*_velocity_history.json` into the velocity history (one-time migration).

Upload the file to the work bucket, then invoke with
`{"report": "boca", "key": "velocity/import/boca_velocity_history.json"}`.
All or nothing: a malformed file is rejected and the history is left untouched.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from revops.observability import logger, metrics, tracer
from revops.validation import parse
from revops.velocity import logic, wiring
from revops.velocity.models import ImportRequest
from revops.velocity.settings import VelocitySettings


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = VelocitySettings.from_env()
    request = parse(ImportRequest, event)
    documents = wiring.work_documents(settings)
    bucket = request.bucket or documents.bucket
    text = logic.read_import_file(documents.s3, bucket, request.key)
    result = logic.import_history(
        request,
        text,
        reports=wiring.reports_for(settings),
        store=wiring.store_for(settings),
        site=wiring.dashboards_for(settings),
        keep=settings.velocity_history_weeks,
        prefix=settings.prefix,
        generated_at=logic.local_timestamp(settings.calendar(), datetime.now(UTC)),
        source=f"s3://{bucket}/{request.key}",
    )
    logger.info(
        "velocity history imported",
        report=result.report,
        imported=result.imported,
        skipped=result.skipped,
    )
    metrics.add_metric(name="VelocityWeeksImported", unit="Count", value=len(result.imported))
    return result.model_dump(mode="json", by_alias=True)
