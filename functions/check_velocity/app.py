"""StackCheck, velocity step: the integration user's time zone and locale, and each saved
report's grouping, against the velocity settings."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from revops.integrations.salesforce import SalesforceGateway
from revops.observability import logger, metrics, record_salesforce_usage, tracer
from revops.velocity import preflight, wiring
from revops.velocity.settings import VelocitySettings


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(
    event: dict[str, Any], context: LambdaContext, gateway: SalesforceGateway | None = None
) -> dict[str, Any]:
    settings = VelocitySettings.from_env()
    sf = gateway or wiring.gateway_for(settings)
    result = preflight.check(sf, settings.calendar(), wiring.reports_for(settings))
    logger.info("velocity settings checked", healthy=result.healthy, problems=result.problems)
    metrics.add_metric(name="VelocitySettingsProblems", unit="Count", value=len(result.problems))
    record_salesforce_usage(sf)
    return result.as_dict()
