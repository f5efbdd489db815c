"""Every view at once (`--all`), and its export to the work bucket (`--export`)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from revops.integrations.objects import DocumentStore
from revops.migration.status.counts import (
    _overview,
    _tally,
    error_summary,
    recent_errors,
    run_row,
)
from revops.migration.status.models import ReconcileRow, ReportOptions, StatusReport
from revops.migration.status.readiness import _retention_days, assess_readiness
from revops.store.migration import MigrationStore, RunItem


def _now_iso(now: datetime | None) -> str:
    moment = now or datetime.now(UTC)
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def report(
    store: MigrationStore,
    options: ReportOptions | None = None,
    *,
    now: datetime | None = None,
) -> StatusReport:
    """Every view at once (`--all`), from the accounts' counts (no file is read)."""
    options = options or ReportOptions()
    tally = _tally(store)
    retained = list(store.all_runs())
    errors = error_summary(store)
    return StatusReport(
        generated_at=_now_iso(now),
        overview=_overview(tally.totals, run_row(retained[0]) if retained else None),
        runs=[run_row(run) for run in retained[: options.runs_limit]],
        accounts=tally.top(options.accounts_limit),
        errors=errors,
        recent_errors=recent_errors(store, options.errors_limit),
        readiness=assess_readiness(
            tally.totals,
            errors,
            retained,
            max_unresolved_ratio=options.max_unresolved_ratio,
            retention_days=_retention_days(store),
        ),
        reconcile=latest_reconcile(retained),
    )


def latest_reconcile(retained: Iterable[RunItem]) -> ReconcileRow | None:
    """The newest finished FileReconcile run among the retained runs (newest first)."""
    for run in retained:
        if run.run_type.startswith("reconcile") and run.status != "running":
            plan = run.plan or {}
            return ReconcileRow(
                run_id=run.run_id,
                finished=run.end_time,
                objects=int(plan.get("objects", 0)),
                orphans=int(plan.get("orphans", 0)),
                deleted=int(plan.get("deleted", 0)),
                orphans_key=plan.get("orphansKey"),
            )
    return None


def export_report(
    store: MigrationStore,
    documents: DocumentStore,
    options: ReportOptions | None = None,
    *,
    now: datetime | None = None,
) -> str:
    """Write the full report as JSON to `status/report-<timestamp>.json` (`--export FILE`)."""
    moment = now or datetime.now(UTC)
    full = report(store, options, now=moment)
    key = f"status/report-{moment.astimezone(UTC):%Y%m%dT%H%M%SZ}.json"
    return documents.put_json(key, full.model_dump(mode="json", by_alias=True))
