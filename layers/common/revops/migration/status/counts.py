"""Counting tracked files, runs and errors: the overview, runs, accounts and errors views."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime

from revops.migration.status.models import (
    DEFAULT_ACCOUNTS,
    DEFAULT_RECENT_ERRORS,
    DEFAULT_RUNS,
    AccountRow,
    ErrorRow,
    ErrorSummary,
    ErrorTypeRow,
    Overview,
    RunRow,
)
from revops.store.counts import CountItem
from revops.store.migration import MigrationStore, RunItem

SAMPLE_IDS = 20  # record ids kept per error type, for messages and the page


@dataclass
class FileCounts:
    """Tracked files by state. `total` counts the files phase 2 is about: excluded
    files (left out by the backup policy, keeping their URLs) are counted apart."""

    backup_only: int = 0
    migrated: int = 0
    failed: int = 0
    bytes: int = 0
    excluded: int = 0

    @property
    def total(self) -> int:
        return self.backup_only + self.migrated + self.failed

    def add(self, counter: CountItem) -> None:
        self.backup_only += int(counter.backup_only or 0)
        self.migrated += int(counter.migrated or 0)
        self.failed += int(counter.failed or 0)
        self.excluded += int(counter.excluded or 0)
        self.bytes += int(counter.bytes or 0)


@dataclass
class _Tally:
    """The counts of every account, and their sum."""

    totals: FileCounts = field(default_factory=FileCounts)
    accounts: list[CountItem] = field(default_factory=list)

    def top(self, limit: int) -> list[AccountRow]:
        ranked = sorted(
            (c for c in self.accounts if c.total() or c.excluded),
            key=lambda c: (
                -c.total(),
                -int(c.bytes or 0),
                c.account_name or "",
                c.account_id or "",
            ),
        )
        return [
            AccountRow(
                account_id=counter.account_id,
                account_name=counter.account_name,
                files=counter.total(),
                bytes=int(counter.bytes or 0),
                backup_only=int(counter.backup_only or 0),
                migrated=int(counter.migrated or 0),
                failed=int(counter.failed or 0),
                excluded=int(counter.excluded or 0),
            )
            for counter in ranked[:limit]
        ]


def _tally(store: MigrationStore) -> _Tally:
    """Every account's counts (one read per account, none per file)."""
    tally = _Tally(accounts=list(store.account_counts()))
    for counter in tally.accounts:
        tally.totals.add(counter)
    return tally


def file_counts(store: MigrationStore) -> FileCounts:
    """Files by phase, failed and excluded, and bytes backed up: the sum of the
    accounts' counts."""
    return _tally(store).totals


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
        excluded=counts.excluded,
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


def accounts(store: MigrationStore, limit: int = DEFAULT_ACCOUNTS) -> list[AccountRow]:
    """The `limit` accounts with the most tracked files (`--accounts`), ranked from
    the accounts' counts: the cost grows with accounts, not files."""
    return _tally(store).top(limit)


def error_summary(store: MigrationStore) -> ErrorSummary:
    """Retained errors by type, and how many records are still without a backup (`--errors`).

    A record is unresolved when its file item is `failed`, or when it has errors
    but was never tracked. Records the backup policy excludes are tracked as
    `excluded`: decided, so not unresolved.
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
    samples: dict[str, list[str]] = defaultdict(list)

    def note(record_id: str, error_type: str) -> None:
        unresolved[error_type] += 1
        samples[error_type].append(record_id)

    for record_id, error_type in failed.items():
        note(record_id, error_type or latest.get(record_id) or "unknown")
    for record_id in untracked:
        note(record_id, latest[record_id])

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
        unresolved_sample={kind: sorted(ids)[:SAMPLE_IDS] for kind, ids in samples.items()},
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
