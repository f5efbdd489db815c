"""Phase 1 planning: which `DocListEntry__c` files to copy, where to, in chunk files.

Records stream from Salesforce ordered by account, so a few accounts' records
are in memory at a time, never the whole org. For each account the plan reads
what the tracking table already knows (one GSI query, projected to what the
decision needs, plus one batch-get for records tracked under another account),
assigns destination keys (see `naming`), decides each record's fate, and
appends the records to copy to chunk files of `chunk_size` rows. A manifest of
the chunks drives the Distributed Map; a CSV of the whole plan is written for
people.

At a million records over tens of thousands of accounts the plan is bound by
those round trips, so `_with_tracking` reads ahead: `LOOKUP_THREADS` threads
fetch the tracking of the next accounts while the current ones are decided (at
most `LOOKAHEAD_RECORDS` records wait), and chunk files are written in the
background. A first run, when nothing is tracked at all, reads nothing per
account.

Incremental mode selects a record when it is
- **new**: never tracked;
- **changed**: its `SystemModstamp`/`LastModifiedDate` is newer than the tracked
  one, or its URL differs from the tracked original URL;
- **retry**: its last attempt failed, or the policy excluded it before.
Everything else is `unchanged`.

A record the run's policy leaves out (`allowedExtensions`, `File_Size__c` over
`maxFileSizeMb`) and that has no backup yet is tracked as `excluded` with its
reason, so phase 2 counts it as decided (it keeps its original URL), not as a
record with no backup. A record that already has a backup keeps it. The plan CSV
lists excluded records too, with the policy as their reason. (The old script skipped every Id it had ever
seen, so a changed file was never backed up again.) Full mode selects every
record; the copy worker still skips objects whose source has not changed.
"""

from __future__ import annotations

import csv
import itertools
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from revops.errors import ConfigurationError
from revops.integrations.objects import DocumentStore
from revops.integrations.salesforce import SalesforceGateway
from revops.migration import naming
from revops.migration.models import (
    BackupConfig,
    BackupPlan,
    ChunkRef,
    ChunkRow,
    DocMapping,
    PlanCounts,
)
from revops.store.counts import ABSENT, UNKNOWN
from revops.store.migration import PLAN_ATTRIBUTES, ErrorItem, FileItem, MigrationStore, now_iso

SAMPLE_SIZE = 20
LOOKUP_THREADS = 16  # tracking lookups in flight
LOOKAHEAD_RECORDS = 20_000  # records read ahead of the decisions while their tracking comes
CHUNK_WRITES = 8  # chunk files being written at once
PLAN_COLUMNS = ["id", "reason", "accountId", "fileName", "size", "url", "destKey"]


class MappingMismatchError(ConfigurationError):
    """The configured DocListEntry__c fields do not exist in the org."""


def parse_sf_datetime(value: Any) -> datetime | None:
    """Salesforce datetimes, in their REST (`+0000`) and Bulk (`Z`) spellings."""
    if value in (None, ""):
        return None
    text = str(value).replace("Z", "+00:00")
    if len(text) > 5 and text[-5] in "+-" and text[-3] != ":":
        text = f"{text[:-2]}:{text[-2:]}"
    parsed = datetime.fromisoformat(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def field_value(record: dict[str, Any], path: str) -> Any:
    """A field from a REST record (nested relationships) or a Bulk row (dotted columns)."""
    if path in record:
        return record[path]
    value: Any = record
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def url_field_length(gateway: SalesforceGateway, mapping: DocMapping) -> int:
    """How many characters the URL field holds (describe's `length`; 255 if unknown)."""
    for described in gateway.describe(mapping.sobject)["fields"]:
        if described["name"].lower() == mapping.url_field.lower():
            return int(described.get("length") or 255)
    return 255


def check_mapping(gateway: SalesforceGateway, mapping: DocMapping) -> None:
    fields = gateway.field_names(mapping.sobject)
    wanted = [mapping.url_field, mapping.account_field]
    wanted += [f for f in (mapping.file_name_field, mapping.file_size_field) if f]
    missing = [f for f in wanted if f.lower() not in fields]
    if missing:
        raise MappingMismatchError(
            f"{mapping.sobject} has no field(s) {', '.join(missing)}: "
            "check the DocListEntry__c field mapping parameters"
        )


def build_soql(mapping: DocMapping, account_id: str | None) -> str:
    soql = f"SELECT {', '.join(mapping.select_fields())} FROM {mapping.sobject}"
    if account_id:
        soql += f" WHERE {mapping.account_field} = '{account_id}'"
    return soql + f" ORDER BY {mapping.account_field}, CreatedDate, Id"


@dataclass
class Candidate:
    record_id: str
    url: str | None
    account_id: str | None
    account_name: str | None
    file_name: str
    size: int | None
    last_modified: datetime | None
    system_modstamp: datetime | None

    @classmethod
    def from_record(cls, record: dict[str, Any], mapping: DocMapping) -> Candidate:
        url = field_value(record, mapping.url_field)
        name_from_field = (
            field_value(record, mapping.file_name_field) if mapping.file_name_field else None
        )
        size = field_value(record, mapping.file_size_field) if mapping.file_size_field else None
        return cls(
            record_id=str(record["Id"]),
            url=str(url) if url else None,
            account_id=field_value(record, mapping.account_field) or None,
            account_name=field_value(record, mapping.account_name_path),
            file_name=str(
                name_from_field or naming.file_name_from_url(url) or record.get("Name") or ""
            ),
            size=int(float(size)) if size not in (None, "") else None,
            last_modified=parse_sf_datetime(record.get("LastModifiedDate")),
            system_modstamp=parse_sf_datetime(record.get("SystemModstamp")),
        )

    @property
    def modified(self) -> datetime | None:
        stamps = [s for s in (self.system_modstamp, self.last_modified) if s]
        return max(stamps) if stamps else None


def decide(candidate: Candidate, tracked: FileItem | None, mode: str) -> str:
    """new | changed | retry | unchanged | refresh (full mode re-verifies everything)."""
    if tracked is None:
        return "new"
    if tracked.status != "backed_up":
        return "retry"
    if candidate.url and candidate.url in (tracked.your_s3_url,):
        return "unchanged"  # already cut over to our copy
    tracked_stamp = parse_sf_datetime(tracked.system_modstamp_sf or tracked.last_modified_sf)
    if candidate.url != tracked.original_url:
        return "changed"
    if candidate.modified and (tracked_stamp is None or candidate.modified > tracked_stamp):
        return "changed"
    return "refresh" if mode == "full" else "unchanged"


def assign_keys(
    candidates: list[Candidate],
    tracked: dict[str, FileItem],
    fits: Callable[[str], bool] = lambda key: True,
) -> dict[str, str]:
    """Destination keys for one account's records; a tracked record keeps its key."""
    taken = {item.your_s3_key for item in tracked.values() if item.your_s3_key}
    keys: dict[str, str] = {}
    for candidate in candidates:
        known = tracked.get(candidate.record_id)
        if known is not None and known.your_s3_key:
            keys[candidate.record_id] = known.your_s3_key
            continue
        key = naming.plain_key(candidate.account_id, candidate.account_name, candidate.file_name)
        if key in taken:
            key = naming.disambiguated_key(key, candidate.record_id)
        key = naming.fit_key(key, candidate.record_id, fits)
        taken.add(key)
        keys[candidate.record_id] = key
    return keys


def seen_counted(tracked: FileItem | None) -> str:
    """What the table holds for a record, as `MigrationStore.save_files` expects it."""
    if tracked is None:
        return ABSENT
    return tracked.counted if tracked.counted is not None else UNKNOWN


def excluded_item(
    store: MigrationStore,
    candidate: Candidate,
    policy: str,
    why: str,
    run_id: str,
    tracked: FileItem | None = None,
) -> FileItem:
    """The tracking item of a record the backup policy leaves out."""
    stamp = now_iso()
    return store.new_file_item(
        candidate.record_id,
        counted=seen_counted(tracked),
        account_id=candidate.account_id,
        account_name=candidate.account_name,
        original_url=candidate.url,
        file_name=candidate.file_name,
        file_size_bytes=candidate.size,
        last_modified_sf=iso(candidate.last_modified),
        system_modstamp_sf=iso(candidate.system_modstamp),
        status="excluded",
        last_error_type=policy,
        exclusion_reason=why,
        last_run_id=run_id,
        created_date=stamp,
        updated_date=stamp,
        migration_phase=1,
        salesforce_updated=False,
    )


@dataclass
class ChunkWriter:
    """Chunk files of `size` rows. With a `pool`, files are written in the background
    (at most `CHUNK_WRITES` at once); `close()` waits for them all."""

    documents: DocumentStore
    prefix: str
    size: int
    pool: ThreadPoolExecutor | None = None
    refs: list[ChunkRef] = field(default_factory=list)
    _rows: list[dict[str, Any]] = field(default_factory=list)
    _writing: deque[Future[str]] = field(default_factory=deque)

    def add(self, row: ChunkRow) -> None:
        self._rows.append(row.model_dump(by_alias=True))
        if len(self._rows) >= self.size:
            self.flush()

    def flush(self) -> None:
        if not self._rows:
            return
        index = len(self.refs)
        key = f"{self.prefix}/chunks/chunk-{index:05d}.json"
        rows, self._rows = self._rows, []
        self.refs.append(ChunkRef(index=index, key=key, files=len(rows)))
        if self.pool is None:
            self.documents.put_json(key, rows)
            return
        self._writing.append(self.pool.submit(self.documents.put_json, key, rows))
        while len(self._writing) > CHUNK_WRITES:
            self._writing.popleft().result()

    def close(self) -> None:
        self.flush()
        while self._writing:
            self._writing.popleft().result()


def _by_account(
    records: Iterable[dict[str, Any]], mapping: DocMapping
) -> Iterator[list[Candidate]]:
    candidates = (Candidate.from_record(r, mapping) for r in records)
    for _, group in itertools.groupby(candidates, key=lambda c: c.account_id):
        yield list(group)


Tracked = dict[str, FileItem]


def _tracking_of(store: MigrationStore, group: list[Candidate]) -> Tracked:
    """What the table holds for one account's records: its GSI partition, plus any
    record tracked under another account (it moved since its backup)."""
    tracked = {
        item.doclist_entry_id: item
        for item in store.files_in_account(group[0].account_id, PLAN_ATTRIBUTES)
    }
    unknown = [c.record_id for c in group if c.record_id not in tracked]
    tracked.update((item.doclist_entry_id, item) for item in store.files(unknown, PLAN_ATTRIBUTES))
    return tracked


def _with_tracking(
    groups: Iterator[list[Candidate]],
    store: MigrationStore,
    *,
    anything_tracked: bool,
    threads: int = LOOKUP_THREADS,
    ahead: int = LOOKAHEAD_RECORDS,
) -> Iterator[tuple[list[Candidate], Tracked]]:
    """Each account's records with their tracking, in the records' order, fetched
    by `threads` threads up to `ahead` records in advance."""
    if not anything_tracked:  # a first run: nothing to look up
        for group in groups:
            yield group, {}
        return
    with ThreadPoolExecutor(max_workers=threads) as pool:
        waiting: deque[tuple[list[Candidate], Future[Tracked]]] = deque()
        queued = 0
        for group in groups:
            waiting.append((group, pool.submit(_tracking_of, store, group)))
            queued += len(group)
            while queued > ahead or len(waiting) > 4 * threads:
                ready, lookup = waiting.popleft()
                queued -= len(ready)
                yield ready, lookup.result()
        while waiting:
            ready, lookup = waiting.popleft()
            yield ready, lookup.result()


def plan_backup(
    config: BackupConfig,
    gateway: SalesforceGateway,
    documents: DocumentStore,
    store: MigrationStore,
    mapping: DocMapping,
    *,
    url_for: Callable[[str], str] | None = None,
    bulk_threshold: int = 50_000,
) -> BackupPlan:
    mapping = mapping.resolved()
    check_mapping(gateway, mapping)
    limit = url_field_length(gateway, mapping)

    def fits(key: str) -> bool:
        return url_for is None or len(url_for(key)) <= limit

    soql = build_soql(mapping, config.account_id)
    where = f" WHERE {mapping.account_field} = '{config.account_id}'" if config.account_id else ""
    total = gateway.count(f"SELECT COUNT() FROM {mapping.sobject}{where}")
    query_mode = "bulk" if total > bulk_threshold else "rest"
    records: Iterable[dict[str, Any]] = (
        gateway.bulk_query(mapping.sobject, soql) if query_mode == "bulk" else gateway.query(soql)
    )

    prefix = f"backup/{config.run_id}"
    chunk_pool = ThreadPoolExecutor(max_workers=CHUNK_WRITES)
    writer = ChunkWriter(documents, prefix, config.chunk_size, pool=chunk_pool)
    counts = PlanCounts()
    sample: list[ChunkRow] = []
    errors: list[ErrorItem] = []
    max_bytes = int(config.max_file_size_mb * 1024 * 1024)
    plan_key = f"{prefix}/plan.csv"
    plan_file = documents.open_text_writer(plan_key, "text/csv")
    csv_writer = csv.writer(plan_file)
    csv_writer.writerow(PLAN_COLUMNS)

    def record_error(record_id: str, error_type: str, message: str, url: str | None) -> None:
        if config.dry_run:
            return
        errors.append(store.new_error(config.run_id, record_id, error_type, message, url))
        if len(errors) >= 500:
            store.save_errors(errors)
            errors.clear()

    excluded: list[FileItem] = []

    def exclude(candidate: Candidate, known: FileItem | None, policy: str, why: str) -> None:
        """Left out by the run's policy: an error for the record, and, unless it already
        has a backup (kept as it is), a tracking item saying so."""
        csv_writer.writerow(
            [
                candidate.record_id,
                policy,
                candidate.account_id,
                candidate.file_name,
                candidate.size,
                candidate.url,
                "",
            ]
        )
        record_error(candidate.record_id, policy, why, candidate.url)
        if config.dry_run or (known is not None and known.status == "backed_up"):
            return
        excluded.append(excluded_item(store, candidate, policy, why, config.run_id, known))
        if len(excluded) >= 500:
            store.save_files(excluded)
            excluded.clear()

    groups = _with_tracking(
        _by_account(records, mapping), store, anything_tracked=store.tracks_any_file()
    )
    for group, tracked in groups:
        keys = assign_keys(group, tracked, fits)
        for candidate in group:
            counts.scanned += 1
            reason = decide(candidate, tracked.get(candidate.record_id), config.mode)
            if reason == "unchanged":
                counts.unchanged += 1
                continue
            if config.max_files is not None and counts.selected >= config.max_files:
                continue
            ext = naming.extension(candidate.file_name)
            if config.allowed_extensions is not None and ext not in config.allowed_extensions:
                counts.filtered += 1
                exclude(
                    candidate,
                    tracked.get(candidate.record_id),
                    "filtered",
                    f"extension {ext or '(none)'} is not in {config.allowed_extensions}",
                )
                continue
            if candidate.size is not None and candidate.size > max_bytes:
                counts.too_large += 1
                exclude(
                    candidate,
                    tracked.get(candidate.record_id),
                    "too_large",
                    f"{candidate.size} bytes is over maxFileSizeMb={config.max_file_size_mb}",
                )
                continue
            row = ChunkRow(
                id=candidate.record_id,
                url=candidate.url,
                account_id=candidate.account_id,
                account_name=candidate.account_name,
                file_name=candidate.file_name,
                dest_key=keys[candidate.record_id],
                size=candidate.size,
                last_modified=iso(candidate.last_modified),
                system_modstamp=iso(candidate.system_modstamp),
                reason=reason,
                counted=seen_counted(tracked.get(candidate.record_id)),
            )
            counts.selected += 1
            if reason in ("new", "changed", "retry"):
                setattr(counts, reason, getattr(counts, reason) + 1)
            counts.estimated_bytes += candidate.size or 0
            if len(sample) < SAMPLE_SIZE:
                sample.append(row)
            csv_writer.writerow(
                [row.id, row.reason, row.account_id, row.file_name, row.size, row.url, row.dest_key]
            )
            writer.add(row)
    with chunk_pool:
        writer.close()
    plan_file.close()
    if errors:
        store.save_errors(errors)
    if excluded:
        store.save_files(excluded)
    manifest_key = documents.put_json(
        f"{prefix}/manifest.json", [ref.model_dump(by_alias=True) for ref in writer.refs]
    )
    usage = gateway.api_usage
    return BackupPlan(
        run_id=config.run_id,
        bucket=documents.bucket,
        manifest_key=manifest_key,
        plan_key=plan_key,
        chunks=len(writer.refs),
        counts=counts,
        sample=sample,
        query_mode=query_mode,
        api_calls=usage.used if usage else None,
    )
