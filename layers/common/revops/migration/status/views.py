"""One entry point: answer a `MigrationStatusFunction` request with the view it names."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

from revops.errors import ConfigurationError, InvalidInputError
from revops.integrations.objects import DocumentStore
from revops.migration.status.counts import accounts, error_summary, overview, recent_errors, runs
from revops.migration.status.models import (
    DEFAULT_ACCOUNTS,
    DEFAULT_MAX_UNRESOLVED_RATIO,
    DEFAULT_RECENT_ERRORS,
    DEFAULT_RUNS,
    STATUS_JSON_KEY,
    ReportOptions,
    StatusRequest,
)
from revops.migration.status.page import publish_status_page
from revops.migration.status.readiness import readiness
from revops.migration.status.report import export_report, report
from revops.store.access import AuditStore
from revops.store.migration import MigrationStore


def _dump(value: BaseModel | list[Any]) -> Any:
    if isinstance(value, list):
        return [item.model_dump(mode="json", by_alias=True) for item in value]
    return value.model_dump(mode="json", by_alias=True)


def view(
    request: StatusRequest,
    store: MigrationStore,
    work: DocumentStore,
    dashboards: DocumentStore | None = None,
    *,
    default_ratio: float = DEFAULT_MAX_UNRESOLVED_RATIO,
    audit: AuditStore | None = None,
) -> dict[str, Any]:
    """Answer one status request with a JSON-able dict keyed by section name.

    `overview`, `runs`, `accounts`, `errors`, `recentErrors` and `readiness` each
    come back under their own key; `all` returns every section (the report);
    `export` and `publish` return where they wrote.
    """
    limit = request.limit
    ratio = default_ratio if request.max_unresolved_ratio is None else request.max_unresolved_ratio
    options = ReportOptions(max_unresolved_ratio=ratio)
    if limit:
        options = options.model_copy(
            update={"runs_limit": limit, "accounts_limit": limit, "errors_limit": limit}
        )
    answers: dict[str, Callable[[], dict[str, Any]]] = {
        "overview": lambda: {"overview": _dump(overview(store))},
        "runs": lambda: {"runs": _dump(runs(store, limit or DEFAULT_RUNS))},
        "accounts": lambda: {"accounts": _dump(accounts(store, limit or DEFAULT_ACCOUNTS))},
        "errors": lambda: {"errors": _dump(error_summary(store))},
        "recent-errors": lambda: {
            "recentErrors": _dump(recent_errors(store, limit or DEFAULT_RECENT_ERRORS))
        },
        "readiness": lambda: {"readiness": _dump(readiness(store, max_unresolved_ratio=ratio))},
        "all": lambda: _dump(report(store, options)),
        "export": lambda: {"bucket": work.bucket, "key": export_report(store, work, options)},
        "publish": lambda: _publish(store, dashboards, options),
        "access": lambda: {"access": _access(request, audit)},
    }
    return answers[request.view]()


def _access(request: StatusRequest, audit: AuditStore | None) -> dict[str, Any]:
    """Who opened (or was refused) one account's documents: `{"view": "access", "accountId": ...}`."""
    from revops.access.audit import access_report

    if audit is None:
        raise ConfigurationError("AUDIT_TABLE is not set: no access audit to read")
    if not request.account_id:
        raise InvalidInputError("the access view needs an accountId")
    return access_report(
        audit, request.account_id, request.since, request.until, limit=request.limit or 100
    )


def _publish(
    store: MigrationStore,
    dashboards: DocumentStore | None,
    options: ReportOptions,
) -> dict[str, Any]:
    if dashboards is None:
        raise ConfigurationError("DASHBOARDS_BUCKET is not set: nowhere to publish the page")
    key = publish_status_page(store, dashboards, options)
    return {"bucket": dashboards.bucket, "key": key, "jsonKey": STATUS_JSON_KEY}
