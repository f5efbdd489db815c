"""AgentMetricsImport, last step: validate the imported range and write the summary."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from revops.agentmetrics import imports, wiring
from revops.agentmetrics.models import SummarizeRequest
from revops.agentmetrics.settings import AgentMetricsSettings
from revops.observability import logger, metrics, tracer
from revops.validation import parse


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = AgentMetricsSettings.from_env()
    request = parse(SummarizeRequest, event)
    summary = imports.summarize(request, wiring.store_for(settings), wiring.rate_range(settings))
    logger.info(
        "import finished",
        import_id=summary.import_id,
        status=summary.status,
        error_months=summary.error_months,
    )
    metrics.add_metric(name="ImportMonthsFailed", unit="Count", value=summary.error_months)
    return summary.wire()
