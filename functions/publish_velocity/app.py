"""Velocity, step 4: keep N weeks, export the history JSON, render the dashboards, summarise."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from revops.observability import logger, metrics, tracer
from revops.validation import parse
from revops.velocity import logic, wiring
from revops.velocity.models import PublishRequest
from revops.velocity.settings import VelocitySettings


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = VelocitySettings.from_env()
    request = parse(PublishRequest, event)
    summary = logic.publish(
        request,
        wiring.store_for(settings),
        wiring.dashboards_for(settings),
        prefix=settings.prefix,
    )
    logger.info(
        "velocity run published",
        run_id=summary.run_id,
        status=summary.status,
        failed_weeks=summary.failed_weeks,
        salesforce_calls=summary.salesforce.total_calls,
    )
    metrics.add_metric(name="VelocityRunsPublished", unit="Count", value=1)
    metrics.add_metric(name="VelocityWeeksFailed", unit="Count", value=len(summary.failed_weeks))
    return summary.model_dump(mode="json", by_alias=True)
