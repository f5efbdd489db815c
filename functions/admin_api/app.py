"""The admin HTTP API: voice-agent metrics bootstrap and reports (API Gateway HTTP API, v2 events).

Routes, envelopes and error mapping live in `revops.agentmetrics.api`; the
OpenAPI document generated from them is `openapi.json` next to this file.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from revops.agentmetrics import api
from revops.observability import logger, metrics, tracer


# log_event=False whatever POWERTOOLS_LOGGER_LOG_EVENT says: the event holds the bearer token.
@logger.inject_lambda_context(
    correlation_id_path=correlation_paths.API_GATEWAY_HTTP, log_event=False
)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(
    event: dict[str, Any], context: LambdaContext, services: api.Services | None = None
) -> dict[str, Any]:
    return api.handle(event, context, services)
