"""File-migration tracking in DynamoDB: the seed's three SQLite tables, as items.

| seed table        | item                         | keys                                            |
|-------------------|------------------------------|-------------------------------------------------|
| file_migrations   | `FileItem`, one per record   | `FILE#<recordId>` / `FILE`; gsi1 `ACCOUNT#<id>`; gsi2 `PHASE#<n>`, `FAILED` or `EXCLUDED` |
| migration_runs    | `RunItem`, one per run       | `RUN#<runId>` / `RUN`; gsi1 `RUNS` by start time |
| migration_errors  | `ErrorItem`, one per failure | `RUN#<runId>` / `ERROR#<recordId>`; gsi1 `ERRORS` by time; gsi2 `ERRTYPE#<type>` |
| (new)             | `ChunkItem`, one per chunk   | `RUN#<runId>` / `CHUNK#<index>`                  |
| (new)             | `CountItem`, one per account | `COUNTS#<shard>` / `ACCOUNT#<id>` (see `counts`) |

Runs and errors expire through DynamoDB TTL (`expires_at`), which replaces the
seed's `--cleanup-days`. File items never expire: they are what rollback needs.

Every write rides out DynamoDB throttling (`writes`): batches resend only their
unprocessed items and every refused write is retried after a capped, jittered
pause. File items are written with their account's counts (`counts`), exactly once.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    NumberAttribute,
    UnicodeAttribute,
)
from pynamodb.exceptions import DoesNotExist

from revops.store import writes
from revops.store.base import Gsi1, Gsi2, TrackingModel, bind
from revops.store.counts import (
    UNKNOWN,
    CountItem,
    any_counts,
    read_account,
    read_counts,
    save_counted,
)

DEFAULT_RETENTION_DAYS = 90


# What the backup plan reads of a tracked file: enough to decide, keep its key
# and write it again conditionally (`counted`).
PLAN_ATTRIBUTES = (
    "pk",
    "sk",
    "doclist_entry_id",
    "status",
    "original_url",
    "your_s3_key",
    "your_s3_url",
    "last_modified_sf",
    "system_modstamp_sf",
    "counted",
)


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class FileItem(TrackingModel):
    """One `DocListEntry__c` record's file: where it came from and where it is now."""

    doclist_entry_id = UnicodeAttribute()
    account_id = UnicodeAttribute(null=True)
    account_name = UnicodeAttribute(null=True)
    original_url = UnicodeAttribute(null=True)
    your_s3_key = UnicodeAttribute(null=True)
    your_s3_url = UnicodeAttribute(null=True)
    file_name = UnicodeAttribute(null=True)
    file_size_bytes = NumberAttribute(null=True)
    file_hash = UnicodeAttribute(null=True)
    checksum_type = UnicodeAttribute(null=True)
    version_id = UnicodeAttribute(null=True)
    source_etag = UnicodeAttribute(null=True)
    backup_timestamp = UnicodeAttribute(null=True)
    last_modified_sf = UnicodeAttribute(null=True)
    system_modstamp_sf = UnicodeAttribute(null=True)
    migration_phase = NumberAttribute(default=1)
    salesforce_updated = BooleanAttribute(default=False)
    status = UnicodeAttribute(default="backed_up")  # backed_up | failed | excluded
    last_error_type = UnicodeAttribute(null=True)  # for excluded: the policy (too_large, filtered)
    exclusion_reason = UnicodeAttribute(null=True)  # why the backup policy leaves it out
    last_run_id = UnicodeAttribute(null=True)
    created_date = UnicodeAttribute(null=True)
    updated_date = UnicodeAttribute(null=True)
    counted = UnicodeAttribute(null=True)  # what it adds to its account's counts (`counts`)

    by_parent = Gsi1()
    by_state = Gsi2()


class RunItem(TrackingModel):
    run_id = UnicodeAttribute()
    run_type = UnicodeAttribute()
    start_time = UnicodeAttribute()
    end_time = UnicodeAttribute(null=True)
    status = UnicodeAttribute()  # running | completed | completed_with_errors | failed
    total_files_processed = NumberAttribute(default=0)
    successful_files = NumberAttribute(default=0)
    failed_files = NumberAttribute(default=0)
    new_files = NumberAttribute(default=0)
    updated_files = NumberAttribute(default=0)
    skipped_files = NumberAttribute(default=0)
    bytes_copied = NumberAttribute(default=0)
    error_message = UnicodeAttribute(null=True)
    config_snapshot = JSONAttribute(null=True)
    plan = JSONAttribute(null=True)
    validation = JSONAttribute(null=True)
    execution_arn = UnicodeAttribute(null=True)

    by_parent = Gsi1()


class ErrorItem(TrackingModel):
    run_id = UnicodeAttribute()
    doclist_entry_id = UnicodeAttribute()
    error_type = UnicodeAttribute()
    error_message = UnicodeAttribute()
    original_url = UnicodeAttribute(null=True)
    timestamp = UnicodeAttribute()

    by_parent = Gsi1()
    by_state = Gsi2()


class ChunkItem(TrackingModel):
    # Failed chunks are written by the workflow's Catch (a DynamoDB task), so every
    # attribute but the keys may be absent.
    run_id = UnicodeAttribute(null=True)
    index = NumberAttribute(null=True)
    status = UnicodeAttribute()  # ok | failed
    counts = JSONAttribute(null=True)
    error = UnicodeAttribute(null=True)
    cause = UnicodeAttribute(null=True)


def file_pk(record_id: str) -> str:
    return f"FILE#{record_id}"


def run_pk(run_id: str) -> str:
    return f"RUN#{run_id}"


def file_state(item: FileItem) -> str:
    """A file's gsi2 key: `PHASE#<n>` with a backup, `EXCLUDED` when the backup policy
    leaves it out (decided, not missing), `FAILED` when its backup failed."""
    if item.status == "backed_up":
        return f"PHASE#{item.migration_phase}"
    return "EXCLUDED" if item.status == "excluded" else "FAILED"


def account_gsi(account_id: str | None) -> str:
    return f"ACCOUNT#{account_id or '-'}"


class MigrationStore:
    """Repository for every migration item. The only code that talks PynamoDB."""

    def __init__(
        self, table_name: str, region: str, retention_days: int = DEFAULT_RETENTION_DAYS
    ) -> None:
        bind(TrackingModel, table_name, region)
        self.retention_seconds = retention_days * 86400

    def _expiry(self) -> int:
        return int(time.time()) + self.retention_seconds

    # ------------------------------------------------------------------ files

    def file(self, record_id: str) -> FileItem | None:
        try:
            return FileItem.get(file_pk(record_id), "FILE")
        except DoesNotExist:
            return None

    def files(
        self, record_ids: Iterable[str], attributes: Sequence[str] | None = None
    ) -> Iterator[FileItem]:
        """Batch-get tracked files (100 keys per call); unknown ids are simply absent.

        With `attributes`, only those are read: the others carry the model's
        defaults, so such an item is for reading, never for saving.
        """
        keys = [(file_pk(record_id), "FILE") for record_id in record_ids]
        if not keys:
            return iter(())
        projected = list(attributes) if attributes is not None else None  # PynamoDB wants a list
        return FileItem.batch_get(keys, attributes_to_get=projected)

    def files_in_account(
        self, account_id: str | None, attributes: Sequence[str] | None = None
    ) -> Iterator[FileItem]:
        projected = list(attributes) if attributes is not None else None
        return FileItem.by_parent.query(account_gsi(account_id), attributes_to_get=projected)

    def tracks_any_file(self) -> bool:
        """Whether any file is tracked at all.

        Counters exist only once a file was written, and file items are never
        deleted: one item asked of each counter shard answers. A table written
        before the counters existed has none, so then one item is asked of each
        gsi2 state as well.
        """
        if any_counts():
            return True
        return any(
            next(iter(FileItem.by_state.query(state, limit=1, attributes_to_get=["pk"])), None)
            for state in ("PHASE#1", "PHASE#2", "FAILED", "EXCLUDED")
        )

    def files_in_phase(self, phase: int) -> Iterator[FileItem]:
        return FileItem.by_state.query(f"PHASE#{phase}")

    def all_files(self) -> Iterator[FileItem]:
        return FileItem.scan(FileItem.pk.startswith("FILE#"))

    def new_file_item(
        self, record_id: str, *, counted: str | None = UNKNOWN, **fields: Any
    ) -> FileItem:
        """A file item to write. `counted`: what the table holds for it now, when the
        caller knows (`counts.ABSENT` for nothing, or the stored `counted`); `UNKNOWN`
        makes `save_files` read it first."""
        item = FileItem(
            file_pk(record_id), "FILE", doclist_entry_id=record_id, counted=counted, **fields
        )
        self.index_file(item)
        return item

    @staticmethod
    def index_file(item: FileItem) -> None:
        item.gsi1pk = account_gsi(item.account_id)
        item.gsi1sk = f"FILE#{item.doclist_entry_id}"
        item.gsi2pk = file_state(item)
        item.gsi2sk = item.doclist_entry_id

    def save_files(self, items: Iterable[FileItem]) -> int:
        """Write file items and move their accounts' counts, exactly once (`counts`).

        The items' transactions go out one after another; callers need not batch.
        """
        pending = list(items)
        for item in pending:
            self.index_file(item)
        return save_counted(pending) if pending else 0

    # ------------------------------------------------------------------ counts

    def account_counts(self) -> Iterator[CountItem]:
        """Every account's counts (16 queries, however many files)."""
        return read_counts()

    def counts_of(self, account_id: str | None) -> CountItem | None:
        return read_account(account_id)

    # ------------------------------------------------------------------ runs

    def start_run(
        self, run_id: str, run_type: str, config: dict[str, Any], execution_arn: str | None
    ) -> RunItem:
        started = now_iso()
        run = RunItem(
            run_pk(run_id),
            "RUN",
            run_id=run_id,
            run_type=run_type,
            start_time=started,
            status="running",
            config_snapshot=config,
            execution_arn=execution_arn,
            gsi1pk="RUNS",
            gsi1sk=f"{started}#{run_id}",
            expires_at=self._expiry(),
        )
        writes.retrying(run.save, "the run item")
        return run

    def run(self, run_id: str) -> RunItem | None:
        try:
            return RunItem.get(run_pk(run_id), "RUN")
        except DoesNotExist:
            return None

    def save_run(self, run: RunItem) -> None:
        writes.retrying(run.save, "the run item")

    def record_plan(self, run_id: str, plan: dict[str, Any]) -> None:
        item = RunItem(run_pk(run_id), "RUN")
        writes.retrying(lambda: item.update(actions=[RunItem.plan.set(plan)]), "the run's plan")

    def record_validation(self, run_id: str, report: dict[str, Any]) -> None:
        item = RunItem(run_pk(run_id), "RUN")
        writes.retrying(
            lambda: item.update(actions=[RunItem.validation.set(report)]), "the run's validation"
        )

    def count_backed_up(self, account_id: str | None = None) -> int:
        """Tracked files with a backup (phase 1 or 2), optionally in one account: from
        the counts, not the files."""
        found = [self.counts_of(account_id)] if account_id else self.account_counts()
        return sum(int(c.backup_only or 0) + int(c.migrated or 0) for c in found if c)

    def runs(self, limit: int = 20) -> list[RunItem]:
        return list(RunItem.by_parent.query("RUNS", scan_index_forward=False, limit=limit))

    # ------------------------------------------------------------------ errors

    def new_error(
        self,
        run_id: str,
        record_id: str,
        error_type: str,
        message: str,
        url: str | None,
    ) -> ErrorItem:
        stamp = now_iso()
        return ErrorItem(
            run_pk(run_id),
            f"ERROR#{record_id}",
            run_id=run_id,
            doclist_entry_id=record_id,
            error_type=error_type,
            error_message=message[:1000],
            original_url=url,
            timestamp=stamp,
            gsi1pk="ERRORS",
            gsi1sk=f"{stamp}#{record_id}",
            gsi2pk=f"ERRTYPE#{error_type}",
            gsi2sk=f"{stamp}#{record_id}",
            expires_at=self._expiry(),
        )

    def save_errors(self, errors: Iterable[ErrorItem]) -> int:
        unique = {(error.pk, error.sk): error for error in errors}  # a batch may not repeat a key
        return writes.batch_write(ErrorItem, unique.values())

    def errors_for_run(self, run_id: str) -> Iterator[ErrorItem]:
        return ErrorItem.query(run_pk(run_id), ErrorItem.sk.startswith("ERROR#"))

    def recent_errors(self, limit: int) -> list[ErrorItem]:
        return list(ErrorItem.by_parent.query("ERRORS", scan_index_forward=False, limit=limit))

    # ------------------------------------------------------------------ chunks

    def save_chunk(self, run_id: str, index: int, counts: dict[str, int]) -> None:
        chunk = ChunkItem(
            run_pk(run_id),
            f"CHUNK#{index}",
            run_id=run_id,
            index=index,
            status="ok",
            counts=counts,
            expires_at=self._expiry(),
        )
        writes.retrying(chunk.save, "the chunk item")

    def chunks(self, run_id: str) -> list[ChunkItem]:
        return list(ChunkItem.query(run_pk(run_id), ChunkItem.sk.startswith("CHUNK#")))

    # ------------------------------------------------------------------ status (read-only)
    # Projected reads for the status views (revops.migration.status). An item read
    # with `attributes_to_get` carries the model's defaults for every attribute not
    # projected (`status` reads "backed_up", `migration_phase` reads 1), so callers
    # use only the attributes each method names.

    def failed_file_facts(self) -> Iterator[FileItem]:
        """Files that have no backup (gsi2 `FAILED`), projected to id and last error type."""
        return FileItem.by_state.query(
            "FAILED", attributes_to_get=["doclist_entry_id", "last_error_type"]
        )

    def all_runs(self) -> Iterator[RunItem]:
        """Every retained run, newest first (gsi1 `RUNS`)."""
        return RunItem.by_parent.query("RUNS", scan_index_forward=False)

    def error_facts(self) -> Iterator[ErrorItem]:
        """Every retained error, oldest first (gsi1 `ERRORS`), projected to record and type."""
        return ErrorItem.by_parent.query(
            "ERRORS", attributes_to_get=["doclist_entry_id", "error_type"]
        )

    def untracked_ids(self, record_ids: Iterable[str]) -> set[str]:
        """The ids among `record_ids` that have no file item (batch-get of keys only)."""
        wanted = set(record_ids)
        if not wanted:
            return set()
        found = FileItem.batch_get(
            [(file_pk(record_id), "FILE") for record_id in wanted], attributes_to_get=["pk"]
        )
        return wanted - {item.pk.removeprefix("FILE#") for item in found}
