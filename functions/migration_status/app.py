"""Migration status: overview, runs, accounts, errors, readiness, export, or all at once.

Events: `{"view": "overview"}`, `{"view": "runs", "limit": 10}`,
`{"view": "accounts", "limit": 10}`, `{"view": "errors"}`,
`{"view": "recent-errors", "limit": 20}`, `{"view": "readiness", "maxUnresolvedRatio": 0.01}`,
`{"view": "export"}` (JSON report to the work bucket), `{"view": "all"}`,
`{"view": "publish"}` (the HTML page and its JSON to the dashboards bucket), and
`{"view": "access", "accountId": "001...", "since": "2025-10-01", "until": "2025-11-01"}`
(who opened or was refused that account's documents; last month by default).
For `all`, `export` and `publish`, `limit` caps every list in the report.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from revops.integrations.objects import DocumentStore
from revops.migration import status, wiring
from revops.observability import logger, metrics, tracer
from revops.store.access import AuditStore
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
        audit=AuditStore(settings.audit_table, settings.aws_region)
        if settings.audit_table
        else None,
    )
    logger.info("migration status", view=request.view)
    return result
