"""Provider webhooks (ElevenLabs post-call, HighLevel appointments): verified, queued, 200.

The signature is checked over the raw body before anything is parsed; see
`revops.agentmetrics.live.receiver`.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from revops.agentmetrics.live import receiver
from revops.observability import logger, metrics, tracer


# log_event=False whatever POWERTOOLS_LOGGER_LOG_EVENT says: the event holds signatures and PII.
@logger.inject_lambda_context(
    correlation_id_path=correlation_paths.API_GATEWAY_HTTP, log_event=False
)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(
    event: dict[str, Any], context: LambdaContext, deps: receiver.Receiver | None = None
) -> dict[str, Any]:
    return receiver.handle(event, context, deps)
