"""Velocity, step 1: validate the input, resolve the weeks and the report definitions."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from revops.observability import logger, metrics, tracer
from revops.validation import parse
from revops.velocity import logic, wiring
from revops.velocity.models import PlanRequest
from revops.velocity.settings import VelocitySettings


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = VelocitySettings.from_env()
    request = parse(PlanRequest, event)
    plan = logic.plan(
        request,
        calendar=settings.calendar(),
        reports=wiring.reports_for(settings),
        history_weeks=settings.velocity_history_weeks,
        now=datetime.now(UTC),
    )
    logger.info(
        "velocity run planned",
        run_id=plan.run_id,
        weeks=[w.week_key for w in plan.weeks],
        reports=[name for name, r in plan.reports.items() if r.run],
    )
    metrics.add_metric(name="VelocityWeeksPlanned", unit="Count", value=len(plan.weeks))
    return plan.model_dump(mode="json", by_alias=True)
