"""The monthly schedule: start one AgentMetricsImport per client for its previous month."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from revops.agentmetrics import imports, wiring
from revops.agentmetrics.models import MonthlySyncRequest
from revops.agentmetrics.settings import AgentMetricsSettings
from revops.observability import logger, metrics, tracer
from revops.validation import parse


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = AgentMetricsSettings.from_env()
    request = parse(MonthlySyncRequest, event or {})
    result = imports.start_monthly(
        request,
        wiring.store_for(settings),
        wiring.vault_for(settings),
        wiring.workflow_for(settings),
    )
    logger.info("monthly sync started", imports=len(result.started), skipped=len(result.skipped))
    metrics.add_metric(name="MonthlyImportsStarted", unit="Count", value=len(result.started))
    return result.wire()
