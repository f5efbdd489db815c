"""`GET /dashboards/{section}/{page}`: the velocity and migration pages, for permitted users (HTTP API).

The permission check and the file serving live in `revops.access.dashboards`.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from revops.access import dashboards
from revops.access.wiring import Services
from revops.observability import logger, metrics, tracer


# log_event=False whatever POWERTOOLS_LOGGER_LOG_EVENT says: the event holds the session cookie.
@logger.inject_lambda_context(
    correlation_id_path=correlation_paths.API_GATEWAY_HTTP, log_event=False
)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(
    event: dict[str, Any], context: LambdaContext, services: Services | None = None
) -> dict[str, Any]:
    return dashboards.handle(event, context, services)
