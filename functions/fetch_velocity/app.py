"""Velocity, step 2 (per report): read every week the run needs from Salesforce, once."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from revops.integrations.salesforce import SalesforceGateway
from revops.observability import logger, metrics, tracer
from revops.validation import parse
from revops.velocity import logic, wiring
from revops.velocity.models import FetchRequest
from revops.velocity.settings import VelocitySettings
from revops.velocity.sources import Meter, VelocitySource


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(
    event: dict[str, Any], context: LambdaContext, gateway: SalesforceGateway | None = None
) -> dict[str, Any]:
    settings = VelocitySettings.from_env()
    request = parse(FetchRequest, event)
    source = VelocitySource(Meter(gateway or wiring.gateway_for(settings)), settings.calendar())
    result = logic.fetch(request, source, wiring.work_documents(settings))
    logger.info(
        "velocity data fetched",
        report=result.report,
        weeks=len(result.weeks),
        reps=result.reps,
        salesforce_calls=result.api.calls,
    )
    metrics.add_metric(name="SalesforceCalls", unit="Count", value=result.api.calls)
    return result.model_dump(mode="json", by_alias=True)
