"""The docs host's sign-in with Salesforce, sign-out, home page and every unrouted path (HTTP API).

Routes and pages live in `revops.access.signin`; cookies and sessions in
`revops.access.sessions`.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from revops.access import signin
from revops.access.wiring import Services
from revops.observability import logger, metrics, tracer


# log_event=False whatever POWERTOOLS_LOGGER_LOG_EVENT says: the event holds cookies and codes.
@logger.inject_lambda_context(
    correlation_id_path=correlation_paths.API_GATEWAY_HTTP, log_event=False
)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(
    event: dict[str, Any], context: LambdaContext, services: Services | None = None
) -> dict[str, Any]:
    return signin.handle(event, context, services)
