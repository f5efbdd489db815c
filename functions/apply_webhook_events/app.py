"""The webhook queue's consumer: each event applied once; failures reported per record.

See `revops.agentmetrics.live.consumer`.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from revops.agentmetrics.live import consumer
from revops.agentmetrics.live.apply import Applier
from revops.observability import logger, metrics, tracer


@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(
    event: dict[str, Any], context: LambdaContext, applier: Applier | None = None
) -> dict[str, Any]:
    return consumer.handle(event, context, applier)
