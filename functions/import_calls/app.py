"""AgentMetricsImport, per month: ElevenLabs conversations -> callHistory and the calls part."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from revops.agentmetrics import imports, wiring
from revops.agentmetrics.models import MonthTask
from revops.agentmetrics.settings import AgentMetricsSettings
from revops.observability import logger, metrics, tracer
from revops.validation import parse


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = AgentMetricsSettings.from_env()
    task = parse(MonthTask, event)
    result = imports.run_calls(task, wiring.store_for(settings), wiring.elevenlabs_for(settings))
    logger.info("calls imported", period=result.period, conversations=result.conversations)
    metrics.add_metric(name="ConversationsImported", unit="Count", value=result.conversations)
    return result.wire()
