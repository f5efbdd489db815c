"""Migration status (the seed's `migration_status.py`): what has been backed up,
what failed, how the runs went, and whether phase 2 may start.

| seed flag            | here                                  | how it reads the table                    |
|----------------------|---------------------------------------|-------------------------------------------|
| `--overview`         | `overview(store)`                     | gsi2 `PHASE#1` / `PHASE#2` (sizes only), `FAILED` (Select=COUNT) |
| `--runs`             | `runs(store, limit)`                  | gsi1 `RUNS`, newest first, `limit` items  |
| `--accounts`         | `accounts(store, limit)`              | parallel scan of file items, projected    |
| `--errors`           | `error_summary(store)`                | gsi1 `ERRORS` (projected), gsi2 `FAILED`, key-only batch-gets |
| `--recent-errors N`  | `recent_errors(store, limit)`         | gsi1 `ERRORS`, newest first, `N` items    |
| `--readiness`        | `readiness(store, max_unresolved_ratio=...)` | the counts above plus every retained run |
| `--export FILE`      | `export_report(store, documents)`     | the full report as JSON in the work bucket |
| `--all`              | `report(store)`                       | one scan for files and accounts, then as above |
| `--cleanup-days N`   | (gone: retention)                     | see below                                 |

Nothing counts with a full scan where a GSI answers: every tracked file sits under
exactly one gsi2 key, `PHASE#<n>` when it has a backup and `FAILED` when not. The
per-account view has no index to lean on (accounts are not known in advance), so
it scans file items in parallel segments, projected to the five attributes it
needs. `report()` uses that one scan for the overview and readiness counts as well,
so the whole report reads the files once.

Retention replaces `--cleanup-days N`: every run, error and chunk item carries
`expires_at` (set by `MigrationStore` from the `retention_days` setting, env
`RETENTION_DAYS`, default 90), and DynamoDB TTL deletes it after that many days.
Nothing needs cleaning by hand. File items never expire: rollback needs them.
The views read only what is retained, so "no completed backup run" in readiness
means none within the retention period.

The status page (`render_status_page`) is one self-contained HTML file: inline
CSS and SVG, no scripts, fonts or stylesheets from elsewhere.
`publish_status_page` writes it with the report's JSON to the dashboards bucket.
"""

from __future__ import annotations

import functools
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Literal

import jinja2
from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from revops.errors import ConfigurationError, InvalidInputError
from revops.integrations.objects import DocumentStore
from revops.migration.models import ApiModel
from revops.migration.settings import MigrationSettings
from revops.store.access import AuditStore
from revops.store.migration import FileItem, MigrationStore, RunItem

DEFAULT_RUNS = 10
DEFAULT_ACCOUNTS = 10
DEFAULT_RECENT_ERRORS = 20
DEFAULT_MAX_UNRESOLVED_RATIO = 0.01
SCAN_SEGMENTS = 4

STATUS_PAGE_KEY = "migration/status.html"
STATUS_JSON_KEY = "migration/status.json"

COMPLETED = ("completed", "completed_with_errors")

View = Literal[
    "overview",
    "runs",
    "accounts",
    "errors",
    "recent-errors",
    "readiness",
    "export",
    "all",
    "publish",
    "access",
]


class StatusSettings(MigrationSettings):
    """The status function's settings: the migration's, plus where the page goes and
    the readiness threshold (both also read by the cutover and finalize steps)."""

    dashboards_bucket: str = ""
    max_unresolved_ratio: float = DEFAULT_MAX_UNRESOLVED_RATIO
    audit_table: str = ""  # the `access` view (documents opened and refused)


# ---------------------------------------------------------------------- models


class StatusModel(BaseModel):
    """camelCase on the wire, like every other migration document."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class RunRow(StatusModel):
    """One run: the seed's migration_runs columns, plus duration and bytes."""

    run_id: str
    run_type: str
    status: str
    start_time: str
    end_time: str | None = None
    duration_seconds: float | None = None
    total_files_processed: int = 0
    successful_files: int = 0
    failed_files: int = 0
    new_files: int = 0
    updated_files: int = 0
    skipped_files: int = 0
    bytes_copied: int = 0
    error_message: str | None = None


class Overview(StatusModel):
    total_files: int
    backup_only: int  # phase 1, backed up
    fully_migrated: int  # phase 2
    failed: int  # no backup
    success_rate: float | None  # % of tracked files with a backup; None before any
    bytes_backed_up: int
    last_run: RunRow | None = None


class AccountRow(StatusModel):
    account_id: str | None
    account_name: str | None
    files: int
    bytes: int
    backup_only: int
    migrated: int
    failed: int


class ErrorTypeRow(StatusModel):
    error_type: str
    count: int  # retained error items of this type
    records: int  # distinct records among them
    unresolved: int  # records of this type that still have no backup


class ErrorSummary(StatusModel):
    total_errors: int
    failed_files: int  # tracked, status failed
    untracked_records: int  # errors for records never tracked (e.g. filtered, too large)
    unresolved_records: int  # failed_files + untracked_records
    by_type: list[ErrorTypeRow]


class ErrorRow(StatusModel):
    timestamp: str
    run_id: str
    record_id: str
    error_type: str
    message: str
    url: str | None = None


class Readiness(StatusModel):
    """Whether phase 2 may start. `reasons` says, in sentences, what stands in the way."""

    ready: bool
    reasons: list[str]
    total_files: int
    backup_only: int
    fully_migrated: int
    failed_files: int
    untracked_records: int
    unresolved_records: int
    unresolved_ratio: float
    max_unresolved_ratio: float
    running_runs: list[str]
    last_completed_backup: RunRow | None = None


class StatusReport(StatusModel):
    generated_at: str
    overview: Overview
    runs: list[RunRow]
    accounts: list[AccountRow]
    errors: ErrorSummary
    recent_errors: list[ErrorRow]
    readiness: Readiness


class ReportOptions(StatusModel):
    """How much the full report holds, and the readiness threshold."""

    runs_limit: int = Field(DEFAULT_RUNS, ge=1)
    accounts_limit: int = Field(DEFAULT_ACCOUNTS, ge=1)
    errors_limit: int = Field(DEFAULT_RECENT_ERRORS, ge=1)
    max_unresolved_ratio: float = Field(DEFAULT_MAX_UNRESOLVED_RATIO, ge=0, le=1)
    segments: int = Field(SCAN_SEGMENTS, ge=1, le=64)  # parallel scan segments


class StatusRequest(ApiModel):
    """The status function's event: `{"view": "recent-errors", "limit": 20}`."""

    view: View = "overview"
    limit: int | None = Field(None, ge=1, le=1000)
    # None: the configured threshold (`MAX_UNRESOLVED_RATIO`, default 1%)
    max_unresolved_ratio: float | None = Field(None, alias="maxUnresolvedRatio", ge=0, le=1)
    # the `access` view: one account, [since, until) (default: last calendar month, UTC)
    account_id: str | None = Field(None, alias="accountId", pattern=r"^[A-Za-z0-9]{15,18}$")
    since: date | None = None
    until: date | None = None


# ---------------------------------------------------------------------- counting


@dataclass
class FileCounts:
    backup_only: int = 0
    migrated: int = 0
    failed: int = 0
    bytes: int = 0

    @property
    def total(self) -> int:
        return self.backup_only + self.migrated + self.failed

    def add(self, item: FileItem) -> None:
        if item.status != "backed_up":
            self.failed += 1
            return
        if item.migration_phase == 2:
            self.migrated += 1
        else:
            self.backup_only += 1
        self.bytes += int(item.file_size_bytes or 0)

    def merge(self, other: FileCounts) -> None:
        self.backup_only += other.backup_only
        self.migrated += other.migrated
        self.failed += other.failed
        self.bytes += other.bytes


@dataclass
class _Tally:
    """Totals over a scan of file items: for the whole table and per account."""

    totals: FileCounts = field(default_factory=FileCounts)
    accounts: dict[str | None, FileCounts] = field(default_factory=lambda: defaultdict(FileCounts))
    names: dict[str | None, str] = field(default_factory=dict)

    def add(self, item: FileItem) -> None:
        self.totals.add(item)
        self.accounts[item.account_id].add(item)
        if item.account_name:
            self.names[item.account_id] = item.account_name

    def merge(self, other: _Tally) -> None:
        self.totals.merge(other.totals)
        for account_id, counts in other.accounts.items():
            self.accounts[account_id].merge(counts)
        self.names.update(other.names)

    def top(self, limit: int) -> list[AccountRow]:
        ranked = sorted(
            self.accounts.items(),
            key=lambda kv: (-kv[1].total, -kv[1].bytes, self.names.get(kv[0]) or "", kv[0] or ""),
        )
        return [
            AccountRow(
                account_id=account_id,
                account_name=self.names.get(account_id),
                files=counts.total,
                bytes=counts.bytes,
                backup_only=counts.backup_only,
                migrated=counts.migrated,
                failed=counts.failed,
            )
            for account_id, counts in ranked[:limit]
        ]


def file_counts(store: MigrationStore) -> FileCounts:
    """Phase and failure counts from gsi2 alone: sizes for `PHASE#1`/`PHASE#2`, a COUNT for `FAILED`."""
    counts = FileCounts(failed=store.count_files_in_state("FAILED"))
    for phase in (1, 2):
        files = 0
        for item in store.file_sizes_in_state(f"PHASE#{phase}"):
            files += 1
            counts.bytes += int(item.file_size_bytes or 0)
        if phase == 1:
            counts.backup_only = files
        else:
            counts.migrated = files
    return counts


def _scan_files(store: MigrationStore, segments: int) -> _Tally:
    """One pass over every file item, in `segments` parallel scan segments."""

    def scan(segment: int) -> _Tally:
        tally = _Tally()
        for item in store.file_facts(segment, segments):
            tally.add(item)
        return tally

    if segments <= 1:
        return scan(0)
    total = _Tally()
    with ThreadPoolExecutor(max_workers=segments) as pool:
        for part in pool.map(scan, range(segments)):
            total.merge(part)
    return total


# ---------------------------------------------------------------------- views


def _parse_time(stamp: str | None) -> datetime | None:
    if not stamp:
        return None
    try:
        parsed = datetime.fromisoformat(stamp)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def run_row(run: RunItem) -> RunRow:
    start, end = _parse_time(run.start_time), _parse_time(run.end_time)
    return RunRow(
        run_id=run.run_id,
        run_type=run.run_type,
        status=run.status,
        start_time=run.start_time,
        end_time=run.end_time,
        duration_seconds=round((end - start).total_seconds(), 3) if start and end else None,
        total_files_processed=int(run.total_files_processed or 0),
        successful_files=int(run.successful_files or 0),
        failed_files=int(run.failed_files or 0),
        new_files=int(run.new_files or 0),
        updated_files=int(run.updated_files or 0),
        skipped_files=int(run.skipped_files or 0),
        bytes_copied=int(run.bytes_copied or 0),
        error_message=run.error_message,
    )


def _overview(counts: FileCounts, last_run: RunRow | None) -> Overview:
    total = counts.total
    return Overview(
        total_files=total,
        backup_only=counts.backup_only,
        fully_migrated=counts.migrated,
        failed=counts.failed,
        success_rate=round(100 * (counts.backup_only + counts.migrated) / total, 2)
        if total
        else None,
        bytes_backed_up=counts.bytes,
        last_run=last_run,
    )


def overview(store: MigrationStore) -> Overview:
    """Totals by phase, success rate, bytes backed up and the last run (`--overview`)."""
    last = store.runs(limit=1)
    return _overview(file_counts(store), run_row(last[0]) if last else None)


def runs(store: MigrationStore, limit: int = DEFAULT_RUNS) -> list[RunRow]:
    """The last `limit` runs, newest first (`--runs`)."""
    return [run_row(run) for run in store.runs(limit=limit)]


def accounts(
    store: MigrationStore, limit: int = DEFAULT_ACCOUNTS, *, segments: int = SCAN_SEGMENTS
) -> list[AccountRow]:
    """The `limit` accounts with the most tracked files (`--accounts`).

    There is no index by which to rank accounts, so this scans every file item
    (parallel segments, projected to account, name, size, phase and status): a
    full-table read, about one read unit per 4 KB of table for each call.
    """
    return _scan_files(store, segments).top(limit)


def error_summary(store: MigrationStore) -> ErrorSummary:
    """Retained errors by type, and how many records are still without a backup (`--errors`).

    A record is unresolved when its file item is `failed`, or when it has errors
    but was never tracked (the plan skipped it: `filtered`, `too_large`, ...).
    Errors older than the retention period have expired; failed files never do,
    so they are counted from gsi2 `FAILED` whatever their errors' age.
    """
    counts: Counter[str] = Counter()
    pairs: set[tuple[str, str]] = set()
    latest: dict[str, str] = {}
    for error in store.error_facts():  # oldest first: the last type seen is the latest
        counts[error.error_type] += 1
        pairs.add((error.error_type, error.doclist_entry_id))
        latest[error.doclist_entry_id] = error.error_type
    records: Counter[str] = Counter(error_type for error_type, _ in pairs)

    failed = {item.doclist_entry_id: item.last_error_type for item in store.failed_file_facts()}
    untracked = store.untracked_ids(r for r in latest if r not in failed)
    unresolved: Counter[str] = Counter()
    for record_id, error_type in failed.items():
        unresolved[error_type or latest.get(record_id) or "unknown"] += 1
    for record_id in untracked:
        unresolved[latest[record_id]] += 1

    types = set(counts) | set(unresolved)
    rows = [
        ErrorTypeRow(error_type=t, count=counts[t], records=records[t], unresolved=unresolved[t])
        for t in types
    ]
    rows.sort(key=lambda row: (-row.count, -row.unresolved, row.error_type))
    return ErrorSummary(
        total_errors=sum(counts.values()),
        failed_files=len(failed),
        untracked_records=len(untracked),
        unresolved_records=len(failed) + len(untracked),
        by_type=rows,
    )


def recent_errors(store: MigrationStore, limit: int = DEFAULT_RECENT_ERRORS) -> list[ErrorRow]:
    """The last `limit` errors, newest first (`--recent-errors N`)."""
    return [
        ErrorRow(
            timestamp=error.timestamp,
            run_id=error.run_id,
            record_id=error.doclist_entry_id,
            error_type=error.error_type,
            message=error.error_message,
            url=error.original_url,
        )
        for error in store.recent_errors(limit)
    ]


def _is_backup(run: RunItem) -> bool:
    return run.run_type.startswith("backup") and "dry_run" not in run.run_type


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}" + ("" if number == 1 else "s")


def assess_readiness(
    counts: FileCounts,
    errors: ErrorSummary,
    retained_runs: Iterable[RunItem],
    *,
    max_unresolved_ratio: float = DEFAULT_MAX_UNRESOLVED_RATIO,
    retention_days: int | None = None,
) -> Readiness:
    """Phase 2 readiness from counts already gathered (see `readiness`)."""
    running: list[RunItem] = []
    last_backup: RunItem | None = None
    for run in retained_runs:  # newest first
        if run.status == "running":
            running.append(run)
        elif last_backup is None and run.status in COMPLETED and _is_backup(run):
            last_backup = run

    total = counts.total
    unresolved = errors.unresolved_records
    ratio = unresolved / total if total else (1.0 if unresolved else 0.0)
    reasons: list[str] = []
    if last_backup is None:
        kept = f" in the last {retention_days} days" if retention_days else ""
        reasons.append(f"No backup run has completed{kept}: run a full backup before phase 2.")
    if total == 0:
        reasons.append("No files are tracked yet, so there is nothing to migrate.")
    if ratio > max_unresolved_ratio:
        parts = []
        if errors.failed_files:
            parts.append(f"{_count(errors.failed_files, 'tracked file')} failed to back up")
        if errors.untracked_records:
            parts.append(f"{_count(errors.untracked_records, 'record')} with errors never tracked")
        reasons.append(
            f"{_count(unresolved, 'record')} without a backup ({'; '.join(parts)}): "
            f"{100 * ratio:.2f}% of {_count(total, 'tracked file')}, above the "
            f"{100 * max_unresolved_ratio:.2f}% allowed. Fix them and run an incremental backup."
        )
    if running:
        names = ", ".join(
            f"{run.run_id} ({run.run_type}, started {run.start_time})" for run in running
        )
        if len(running) == 1:
            reasons.append(f"A run is still running: {names}. Wait for it to finish.")
        else:
            reasons.append(
                f"{len(running)} runs are still running: {names}. Wait for them to finish."
            )

    return Readiness(
        ready=not reasons,
        reasons=reasons,
        total_files=total,
        backup_only=counts.backup_only,
        fully_migrated=counts.migrated,
        failed_files=errors.failed_files,
        untracked_records=errors.untracked_records,
        unresolved_records=unresolved,
        unresolved_ratio=round(ratio, 6),
        max_unresolved_ratio=max_unresolved_ratio,
        running_runs=[run.run_id for run in running],
        last_completed_backup=run_row(last_backup) if last_backup else None,
    )


def _retention_days(store: MigrationStore) -> int:
    return store.retention_seconds // 86400


def readiness(
    store: MigrationStore, *, max_unresolved_ratio: float = DEFAULT_MAX_UNRESOLVED_RATIO
) -> Readiness:
    """Whether phase 2 may start (`--readiness`); the cutover workflow asks the same.

    Not ready while no non-dry-run backup has completed (among retained runs),
    while nothing is tracked, while records without a backup (failed files plus
    records the plan never tracked) exceed `max_unresolved_ratio` of tracked
    files, or while any run is still `running`.
    """
    return assess_readiness(
        file_counts(store),
        error_summary(store),
        store.all_runs(),
        max_unresolved_ratio=max_unresolved_ratio,
        retention_days=_retention_days(store),
    )


def _now_iso(now: datetime | None) -> str:
    moment = now or datetime.now(UTC)
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def report(
    store: MigrationStore,
    options: ReportOptions | None = None,
    *,
    now: datetime | None = None,
) -> StatusReport:
    """Every view at once (`--all`), reading the file items once (one parallel scan)."""
    options = options or ReportOptions()
    tally = _scan_files(store, options.segments)
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
    )


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


# ---------------------------------------------------------------------- the page

TEMPLATES = Path(__file__).resolve().parent / "templates"

PHASE_COLOURS = {"backup_only": "#3b82f6", "migrated": "#16a34a", "failed": "#dc2626"}


def _number(value: Any) -> str:
    return f"{int(value or 0):,}"


def _size(value: Any) -> str:
    size = float(value or 0)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if size < 1024 or unit == "TB":
            return f"{int(size):,} B" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} PB"  # pragma: no cover - the loop always returns


def _duration(seconds: Any) -> str:
    if seconds is None:
        return "—"
    total = round(float(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m {secs:02d}s"
    return f"{secs}s"


def _when(stamp: Any) -> str:
    parsed = _parse_time(stamp) if isinstance(stamp, str) else None
    return parsed.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if parsed else "—"


@functools.cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(number=_number, size=_size, duration=_duration, when=_when)
    return env


def _donut(overview: Overview) -> list[dict[str, Any]]:
    """Segments of a donut drawn with one circle each (r=15.9155: circumference 100)."""
    parts = [
        ("backup_only", "Backup only (phase 1)", overview.backup_only),
        ("migrated", "Fully migrated (phase 2)", overview.fully_migrated),
        ("failed", "Failed", overview.failed),
    ]
    total = overview.total_files
    segments, start = [], 0.0
    for key, label, value in parts:
        pct = 100 * value / total if total else 0.0
        segments.append(
            {
                "key": key,
                "label": label,
                "value": value,
                "pct": pct,
                "colour": PHASE_COLOURS[key],
                "dash": f"{pct:.3f} {100 - pct:.3f}",
                "offset": f"{25 - start:.3f}",  # start at twelve o'clock
            }
        )
        start += pct
    return segments


def _run_bars(rows: list[RunRow], width: int = 560, height: int = 140) -> dict[str, Any]:
    """Stacked bars (successful / failed) for the runs, oldest on the left."""
    ordered = list(reversed(rows))
    peak = max((r.successful_files + r.failed_files for r in ordered), default=0)
    slot = width / max(len(ordered), 1)
    bar = max(min(slot * 0.7, 48), 2)
    bars = []
    for index, row in enumerate(ordered):
        ok_h = height * row.successful_files / peak if peak else 0
        bad_h = height * row.failed_files / peak if peak else 0
        x = index * slot + (slot - bar) / 2
        bars.append(
            {
                "x": round(x, 2),
                "width": round(bar, 2),
                "ok_y": round(height - ok_h, 2),
                "ok_h": round(ok_h, 2),
                "bad_y": round(height - ok_h - bad_h, 2),
                "bad_h": round(bad_h, 2),
                "title": f"{row.run_id}: {row.successful_files:,} ok, {row.failed_files:,} failed",
            }
        )
    return {"width": width, "height": height, "peak": peak, "bars": bars}


def render_status_page(report: Mapping[str, Any] | StatusReport) -> str:
    """The report as one self-contained HTML page (inline CSS and SVG, nothing external)."""
    model = report if isinstance(report, StatusReport) else StatusReport.model_validate(report)
    template = _environment().get_template("status.html.j2")
    return template.render(
        report=model,
        donut=_donut(model.overview),
        run_chart=_run_bars(model.runs),
        colours=PHASE_COLOURS,
    )


def publish_status_page(
    store: MigrationStore,
    dashboards: DocumentStore,
    options: ReportOptions | None = None,
    *,
    now: datetime | None = None,
) -> str:
    """Write `migration/status.json` and `migration/status.html` to the dashboards bucket.

    Returns the page's key. The finalize step of every run calls this.
    """
    full = report(store, options, now=now)
    dashboards.put_json(STATUS_JSON_KEY, full.model_dump(mode="json", by_alias=True))
    return dashboards.put_text(
        STATUS_PAGE_KEY, render_status_page(full), "text/html; charset=utf-8"
    )


# ---------------------------------------------------------------------- one entry point


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
