"""Lambda authorizer of the admin HTTP API (payload 2.0, simple responses).

Missing header: API Gateway answers 401 before calling us. Malformed header:
we fail with `Unauthorized` (401). Wrong token: `{"isAuthorized": false}`
(403). Right token: `{"isAuthorized": true}`. See `revops.agentmetrics.auth`.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from revops.agentmetrics import auth
from revops.agentmetrics.settings import AgentMetricsSettings
from revops.integrations.secrets import get_json_secret
from revops.observability import logger, metrics, tracer


@logger.inject_lambda_context(log_event=False)  # the event holds the bearer token
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = AgentMetricsSettings.from_env()
    expected = str(get_json_secret(settings.admin_api_secret_name).get("token_sha256") or "")
    try:
        decision = auth.authorize(event, expected)
    except auth.Unauthorized:
        logger.info("admin API request without a well-formed bearer token")
        metrics.add_metric(name="AdminRequestsUnauthorized", unit="Count", value=1)
        raise
    if not decision["isAuthorized"]:
        logger.info("admin API request with a wrong token")
        metrics.add_metric(name="AdminRequestsForbidden", unit="Count", value=1)
    return decision
