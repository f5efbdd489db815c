"""Counting tracked files, runs and errors: the overview, runs, accounts and errors views."""

from __future__ import annotations

from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime

from revops.migration.status.models import (
    DEFAULT_ACCOUNTS,
    DEFAULT_RECENT_ERRORS,
    DEFAULT_RUNS,
    SCAN_SEGMENTS,
    AccountRow,
    ErrorRow,
    ErrorSummary,
    ErrorTypeRow,
    Overview,
    RunRow,
)
from revops.store.migration import FileItem, MigrationStore, RunItem

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

    def add(self, item: FileItem) -> None:
        if item.status == "excluded":
            self.excluded += 1
            return
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
        self.excluded += other.excluded


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
                excluded=counts.excluded,
            )
            for account_id, counts in ranked[:limit]
        ]


def file_counts(store: MigrationStore) -> FileCounts:
    """Phase and failure counts from gsi2 alone: sizes for `PHASE#1`/`PHASE#2`, a COUNT for `FAILED`."""
    counts = FileCounts(
        failed=store.count_files_in_state("FAILED"),
        excluded=store.count_files_in_state("EXCLUDED"),
    )
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
