"""Velocity, step 3 (per report and week): build the week's entry and write it to the history."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from revops.observability import logger, metrics, tracer
from revops.validation import parse
from revops.velocity import logic, wiring
from revops.velocity.models import ComputeRequest
from revops.velocity.settings import VelocitySettings


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = VelocitySettings.from_env()
    request = parse(ComputeRequest, event)
    outcome = logic.compute_week(
        request, wiring.work_documents(settings), wiring.store_for(settings)
    )
    logger.info("velocity week written", report=request.report, week_key=outcome.week_key)
    metrics.add_metric(name="VelocityWeeksWritten", unit="Count", value=1)
    return outcome.model_dump(mode="json", by_alias=True)
