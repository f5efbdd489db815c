"""AgentMetricsImport, step 1: validate the input, list the months, record the import."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from revops.agentmetrics import imports, wiring
from revops.agentmetrics.models import PlanRequest
from revops.agentmetrics.settings import AgentMetricsSettings
from revops.observability import logger, metrics, tracer
from revops.validation import parse


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = AgentMetricsSettings.from_env()
    request = parse(PlanRequest, event)
    plan = imports.plan(request, wiring.store_for(settings), wiring.vault_for(settings))
    logger.info("import planned", import_id=plan.import_id, months=len(plan.months))
    return plan.wire()
