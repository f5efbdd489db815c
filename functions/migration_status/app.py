"""Migration status: overview, runs, accounts, errors, readiness, export, or all at once.

Events: `{"view": "overview"}`, `{"view": "runs", "limit": 10}`,
`{"view": "accounts", "limit": 10}`, `{"view": "errors"}`,
`{"view": "recent-errors", "limit": 20}`, `{"view": "readiness", "maxUnresolvedRatio": 0.01}`,
`{"view": "export"}` (JSON report to the work bucket), `{"view": "all"}`, and
`{"view": "publish"}` (the HTML page and its JSON to the dashboards bucket).
For `all`, `export` and `publish`, `limit` caps every list in the report.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from revops.integrations.objects import DocumentStore
from revops.migration import status, wiring
from revops.observability import logger, metrics, tracer
from revops.validation import parse


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = status.StatusSettings.from_env()
    request = parse(status.StatusRequest, event or {})
    result = status.view(
        request,
        wiring.store_for(settings),
        DocumentStore(settings.work_bucket),
        DocumentStore(settings.dashboards_bucket) if settings.dashboards_bucket else None,
        default_ratio=settings.max_unresolved_ratio,
    )
    logger.info("migration status", view=request.view)
    return result
