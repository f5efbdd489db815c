"""Phase 2: cutover (rewrite URLs to our copies) and rollback (restore the originals).

Both directions share one shape: plan → update → validate → finish.

- **Never a broken link.** A record is switched to our URL only when our object
  exists (HEAD just before the write) and Salesforce still holds the URL we
  backed up. Anything else is a *conflict*: reported, never overwritten.
- **Every change is reversible.** Before any write, the cutover writes a
  rollback export (record id, original URL, new URL) to S3; rollback works from
  that export or from the tracking table.
- **Exactly once.** A record is written only when Salesforce holds the expected
  old value; a rerun after a crash finds records already holding the new value
  and repairs their tracking without writing to Salesforce again.
- **API economy.** Up to `bulk_threshold` records go through sObject
  Collections (200 per call); more go through Bulk API 2.0 ingest jobs of
  10,000. Reads use 2,000-record pages.
"""

from __future__ import annotations

import csv
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from botocore.exceptions import ClientError

from revops.errors import InvalidInputError, RevopsError, failure_message
from revops.integrations.objects import DocumentStore, ObjectNotFoundError
from revops.integrations.salesforce import COLLECTION_LIMIT, RecordResult, SalesforceGateway
from revops.migration import naming
from revops.migration.link_mode import OurLinks, check_links
from revops.migration.models import (
    BatchRef,
    CutoverInput,
    DocMapping,
    FinishPhaseTwoRequest,
    PhaseTwoConfig,
    PhaseTwoCounts,
    PhaseTwoPlan,
    RollbackInput,
    StartPhaseTwoRequest,
    UpdateBatchRequest,
    UpdateCounts,
    UrlChange,
)
from revops.migration.plan import check_mapping
from revops.migration.remedies import NO_BACKUP, describe_kind
from revops.observability import logger
from revops.store.migration import ErrorItem, FileItem, MigrationStore, now_iso
from revops.validation import parse

EXCLUDED_BY_POLICY = frozenset({"too_large", "filtered"})
BULK_BATCH_SIZE = 10_000
READ_BATCH_SIZE = 2_000  # Ids per `WHERE Id IN (...)` query: one 2,000-record page
LOCKED = "UNABLE_TO_LOCK_ROW"


class NotReadyError(RevopsError):
    """Phase 2 cannot start: no backup, too many unresolved errors, or uncovered records."""


class ReadinessLike(Protocol):
    ready: bool
    reasons: list[str]


@dataclass(frozen=True)
class PhaseTwoDefaults:
    batch_size: int
    bulk_threshold: int
    work_bucket: str
    max_unresolved_ratio: float = 0.01


# ---------------------------------------------------------------------- start


def start_run(
    request: StartPhaseTwoRequest,
    defaults: PhaseTwoDefaults,
    store: MigrationStore,
    readiness: Callable[[float], ReadinessLike],
) -> PhaseTwoConfig:
    """Validate the input, check readiness (cutover), record the run as running.

    A live cutover that is not ready stops here with `NotReadyError`; a dry run
    records the same reasons (`wouldRefuse`) and goes on, so it reports everything
    the live run would refuse.
    """
    if request.direction == "cutover":
        cutover = parse(CutoverInput, request.input)
        ratio = (
            defaults.max_unresolved_ratio
            if cutover.max_unresolved_ratio is None
            else cutover.max_unresolved_ratio
        )
        check = readiness(ratio)
        if not check.ready and not cutover.dry_run:
            raise NotReadyError(refusal_message(check.reasons))
        config = PhaseTwoConfig(
            run_id=request.run_id,
            direction="cutover",
            dry_run=cutover.dry_run,
            account_id=cutover.account_id,
            batch_size=cutover.batch_size or defaults.batch_size,
            bulk_threshold=defaults.bulk_threshold,
            bucket=defaults.work_bucket,
            max_unresolved_ratio=ratio,
            would_refuse=[] if check.ready else list(check.reasons),
        )
    else:
        rollback = parse(RollbackInput, request.input)
        if rollback.run_id is not None and store.run(rollback.run_id) is None:
            raise InvalidInputError(f"runId {rollback.run_id!r} is not a known cutover run")
        config = PhaseTwoConfig(
            run_id=request.run_id,
            direction="rollback",
            dry_run=rollback.dry_run,
            account_id=rollback.account_id,
            batch_size=defaults.batch_size,
            bulk_threshold=defaults.bulk_threshold,
            bucket=defaults.work_bucket,
            source_run_id=rollback.run_id,
            record_ids=rollback.record_ids,
        )
    if store.run(request.run_id) is not None:
        raise InvalidInputError(f"run {request.run_id} already exists: start a new execution")
    run_type = config.direction + ("_dry_run" if config.dry_run else "")
    store.start_run(
        request.run_id, run_type, config.model_dump(by_alias=True), request.execution_arn
    )
    return config


def refusal_message(reasons: Iterable[str]) -> str:
    return "Not ready for cutover. " + " ".join(reasons)


# ---------------------------------------------------------------------- plan


@dataclass
class _PlanWriter:
    """Streams a plan to S3: change list, rollback export, conflicts, batch files."""

    documents: DocumentStore
    config: PhaseTwoConfig
    batch_size: int
    # The plan saw every record of the object (or of config.account_id) in Id order.
    dense: bool = False
    batches: list[BatchRef] = field(default_factory=list)
    _rows: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        prefix = f"{self.config.direction}/{self.config.run_id}"
        self.prefix = prefix
        self.changes_key = f"{prefix}/planned-changes.csv"
        self.conflicts_key = f"{prefix}/conflicts.csv"
        self._changes = self.documents.open_text_writer(self.changes_key, "text/csv")
        self._conflicts = self.documents.open_text_writer(self.conflicts_key, "text/csv")
        self._changes_csv = csv.writer(self._changes)
        self._changes_csv.writerow(["record_id", "original_url", "new_url"])
        self._conflicts_csv = csv.writer(self._conflicts)
        self._conflicts_csv.writerow(["record_id", "salesforce_url", "expected_url", "reason"])

    def change(self, change: UrlChange) -> None:
        self._changes_csv.writerow([change.id, change.expected, change.to])
        self._rows.append(change.model_dump(by_alias=True))
        if len(self._rows) >= self.batch_size:
            self._flush()

    def conflict(self, record_id: str, current: str | None, expected: str | None, why: str) -> None:
        self._conflicts_csv.writerow([record_id, current, expected, why])

    def _flush(self) -> None:
        if not self._rows:
            return
        index = len(self.batches)
        key = self.documents.put_json(f"{self.prefix}/batches/batch-{index:05d}.json", self._rows)
        ref = BatchRef(index=index, key=key, records=len(self._rows))
        if self.dense:
            ref.first_id, ref.last_id = self._rows[0]["id"], self._rows[-1]["id"]
            ref.account_id = self.config.account_id
        self.batches.append(ref)
        self._rows = []

    def close(self) -> str | None:
        self._flush()
        self._changes.close()
        self._conflicts.close()
        if self.config.direction != "cutover":
            return None
        # The rollback export: exactly the planned changes, kept under its own name.
        rollback_key = f"{self.prefix}/rollback.csv"
        self.documents.s3.copy_object(
            Bucket=self.documents.bucket,
            Key=rollback_key,
            CopySource={"Bucket": self.documents.bucket, "Key": self.changes_key},
        )
        return rollback_key


def _mode_for(
    config: PhaseTwoConfig, expected_records: int
) -> tuple[Literal["collections", "bulk"], int]:
    if expected_records > config.bulk_threshold:
        return "bulk", BULK_BATCH_SIZE
    return "collections", min(config.batch_size, COLLECTION_LIMIT)


def _pages(records: Iterable[dict[str, Any]], size: int = 1000) -> Iterator[list[dict[str, Any]]]:
    page: list[dict[str, Any]] = []
    for record in records:
        page.append(record)
        if len(page) >= size:
            yield page
            page = []
    if page:
        yield page


def _mark(store: MigrationStore, items: Iterable[FileItem], direction: str, run_id: str) -> int:
    stamp = now_iso()
    changed = []
    for item in items:
        item.migration_phase = 2 if direction == "cutover" else 1
        item.salesforce_updated = direction == "cutover"
        item.last_run_id = run_id
        item.updated_date = stamp
        changed.append(item)
    return store.save_files(changed)


def plan_cutover(
    config: PhaseTwoConfig,
    gateway: SalesforceGateway,
    documents: DocumentStore,
    store: MigrationStore,
    mapping: DocMapping,
    links: OurLinks | None = None,
) -> PhaseTwoPlan:
    """Plan the switch to our links (`LinkMode`; without `links`, the object URLs)."""
    mapping = mapping.resolved()
    check_mapping(gateway, mapping)
    where = f" WHERE {mapping.account_field} = '{config.account_id}'" if config.account_id else ""
    total = gateway.count(f"SELECT COUNT() FROM {mapping.sobject}{where}")
    mode, batch_size = _mode_for(config, total)
    soql = f"SELECT Id, {mapping.url_field} FROM {mapping.sobject}{where} ORDER BY Id"
    records = gateway.bulk_query(mapping.sobject, soql) if mode == "bulk" else gateway.query(soql)
    writer = _PlanWriter(documents, config, batch_size, dense=True)
    counts = PhaseTwoCounts()
    uncovered: list[str] = []
    errors = []
    # A dry run's catch-up backup copied nothing; the live one would back these up first.
    catch_up = _catch_up_plan(documents, config) if config.dry_run else {}
    scanned_with_backup = 0
    for page in _pages(records):
        tracked = {item.doclist_entry_id: item for item in store.files([r["Id"] for r in page])}
        repairs: list[FileItem] = []
        for record in page:
            counts.scanned += 1
            record_id, current = str(record["Id"]), record.get(mapping.url_field)
            item = tracked.get(record_id)
            planned = catch_up.get(record_id)
            if planned is not None and (item is None or item.status != "backed_up"):
                # Dry run: the live run's catch-up backup decides this record first.
                if planned in EXCLUDED_BY_POLICY:
                    counts.excluded += 1
                else:
                    counts.backed_up_first += 1
                continue
            if item is None:
                counts.not_backed_up += 1  # never seen by a backup: refuse below
                if len(uncovered) < 20:
                    uncovered.append(record_id)
                continue
            if item.status == "excluded":
                counts.excluded += 1  # decided by the backup policy: keeps its URL
                continue
            if item.status != "backed_up" or not item.your_s3_url:
                counts.backup_failed += 1  # a known, recorded failure: left as it is
                continue
            scanned_with_backup += 1
            if current in (links.forms(item) if links else {item.your_s3_url}):
                if item.migration_phase != 2:
                    repairs.append(item)
                    counts.repaired += 1
                else:
                    counts.already_done += 1
            elif current == item.original_url:
                counts.planned += 1
                ours = links.written(item) if links else item.your_s3_url
                writer.change(
                    UrlChange(id=record_id, expected=current, to=ours, key=item.your_s3_key)
                )
            else:
                counts.conflicts += 1
                writer.conflict(
                    record_id, current, item.original_url, "changed in Salesforce after backup"
                )
                errors.append(
                    store.new_error(
                        config.run_id,
                        record_id,
                        "conflict",
                        "the URL in Salesforce changed after the backup; left untouched",
                        current,
                    )
                )
        if repairs and not config.dry_run:
            _mark(store, repairs, "cutover", config.run_id)
    rollback_key = writer.close()
    if errors and not config.dry_run:
        store.save_errors(errors)
    # Tracked backups whose record Salesforce no longer has.
    counts.deleted_in_salesforce = max(
        0, store.count_backed_up(config.account_id) - scanned_with_backup
    )
    refusal = list(config.would_refuse)
    if counts.not_backed_up:
        refusal.append(describe_kind(NO_BACKUP, counts.not_backed_up, uncovered))
    plan = PhaseTwoPlan(
        run_id=config.run_id,
        direction="cutover",
        dry_run=config.dry_run,
        bucket=documents.bucket,
        mode=mode,
        batches=writer.batches,
        counts=counts,
        changes_key=writer.changes_key,
        rollback_key=rollback_key,
        conflicts_key=writer.conflicts_key,
        refusal=refusal,
    )
    store.record_plan(config.run_id, plan.model_dump(by_alias=True, exclude={"batches"}))
    if refusal and not config.dry_run:
        raise NotReadyError(refusal_message(refusal))
    return plan


def _catch_up_plan(documents: DocumentStore, config: PhaseTwoConfig) -> dict[str, str]:
    """What the (dry-run) catch-up backup planned: record id -> reason (`new`, `too_large`...)."""
    if not config.catch_up_run_id:
        return {}
    try:
        text = documents.get_text(f"backup/{config.catch_up_run_id}/plan.csv")
    except ObjectNotFoundError:
        return {}
    return {row["id"]: row["reason"] for row in csv.DictReader(text.splitlines())}


def _rollback_candidates(
    config: PhaseTwoConfig,
    gateway: SalesforceGateway,
    documents: DocumentStore,
    store: MigrationStore,
    mapping: DocMapping,
    our_prefix: str,
    links: OurLinks | None = None,
) -> Iterator[list[tuple[dict[str, Any], FileItem | None, str | None, str | None]]]:
    """Pages of (salesforce record, tracking item, our URL, original URL)."""
    if config.source_run_id:
        export = (
            documents.s3.get_object(
                Bucket=documents.bucket, Key=f"cutover/{config.source_run_id}/rollback.csv"
            )["Body"]
            .read()
            .decode()
        )
        rows = list(csv.DictReader(export.splitlines()))
        for start in range(0, len(rows), READ_BATCH_SIZE):
            chunk = rows[start : start + READ_BATCH_SIZE]
            current = {
                r["Id"]: r
                for r in gateway.records_by_id(
                    mapping.sobject, [c["record_id"] for c in chunk], ["Id", mapping.url_field]
                )
            }
            tracked = {i.doclist_entry_id: i for i in store.files([c["record_id"] for c in chunk])}
            yield [
                (
                    current.get(c["record_id"], {"Id": c["record_id"], "_deleted": True}),
                    tracked.get(c["record_id"]),
                    c["new_url"],
                    c["original_url"],
                )
                for c in chunk
            ]
        return
    prefixes = links.prefixes() if links else [our_prefix]
    conditions = ["(" + " OR ".join(f"{mapping.url_field} LIKE '{p}%'" for p in prefixes) + ")"]
    if config.account_id:
        conditions.append(f"{mapping.account_field} = '{config.account_id}'")
    if config.record_ids:
        conditions.append("Id IN (" + ",".join(f"'{i}'" for i in config.record_ids) + ")")
    soql = (
        f"SELECT Id, {mapping.url_field} FROM {mapping.sobject} "
        f"WHERE {' AND '.join(conditions)} ORDER BY Id"
    )
    for page in _pages(gateway.query(soql)):
        tracked = {i.doclist_entry_id: i for i in store.files([r["Id"] for r in page])}
        yield [
            (
                r,
                tracked.get(r["Id"]),
                _ours(r.get(mapping.url_field), tracked.get(r["Id"]), links),
                (tracked[r["Id"]].original_url if r["Id"] in tracked else None),
            )
            for r in page
        ]


def _ours(current: str | None, item: FileItem | None, links: OurLinks | None) -> str | None:
    """The URL of ours the record holds (either link form), else the one we would write."""
    if item is None:
        return None
    if links is None:
        return item.your_s3_url
    return current if current in links.forms(item) else links.written(item)


def plan_rollback(
    config: PhaseTwoConfig,
    gateway: SalesforceGateway,
    documents: DocumentStore,
    store: MigrationStore,
    mapping: DocMapping,
    our_prefix: str,
    links: OurLinks | None = None,
) -> PhaseTwoPlan:
    """Restore original URLs where Salesforce still holds ours; everything else is reported."""
    mapping = mapping.resolved()
    check_mapping(gateway, mapping)
    batches = list(
        _rollback_candidates(config, gateway, documents, store, mapping, our_prefix, links)
    )
    expected = sum(len(b) for b in batches)
    mode, batch_size = _mode_for(config, expected)
    # From the tracking, without a list of ids, the plan walked the records in Id order.
    dense = not config.source_run_id and not config.record_ids
    writer = _PlanWriter(documents, config, batch_size, dense=dense)
    counts = PhaseTwoCounts()
    for page in batches:
        repairs: list[FileItem] = []
        for record, item, ours, original in page:
            counts.scanned += 1
            record_id = str(record["Id"])
            current = record.get(mapping.url_field)
            if record.get("_deleted"):
                counts.deleted_in_salesforce += 1
            elif not original:
                counts.conflicts += 1
                writer.conflict(record_id, current, None, "no original URL is tracked for it")
            elif current == ours:
                counts.planned += 1
                writer.change(UrlChange(id=record_id, expected=current, to=original))
            elif current == original:
                if item is not None and item.migration_phase != 1:
                    repairs.append(item)
                    counts.repaired += 1
                else:
                    counts.already_done += 1
            else:
                counts.conflicts += 1
                writer.conflict(record_id, current, ours, "changed in Salesforce after cutover")
        if repairs and not config.dry_run:
            _mark(store, repairs, "rollback", config.run_id)
    writer.close()
    plan = PhaseTwoPlan(
        run_id=config.run_id,
        direction="rollback",
        dry_run=config.dry_run,
        bucket=documents.bucket,
        mode=mode,
        batches=writer.batches,
        counts=counts,
        changes_key=writer.changes_key,
        conflicts_key=writer.conflicts_key,
    )
    store.record_plan(config.run_id, plan.model_dump(by_alias=True, exclude={"batches"}))
    return plan


# ---------------------------------------------------------------------- update


def _object_exists(s3: Any, bucket: str, key: str) -> bool:
    try:
        s3.head_object(Bucket=bucket, Key=key)
        return True
    except ClientError as exc:
        if str(exc.response.get("Error", {}).get("Code")) in ("404", "NoSuchKey", "NotFound"):
            return False
        raise


def update_batch(
    request: UpdateBatchRequest,
    documents: DocumentStore,
    gateway: SalesforceGateway,
    store: MigrationStore,
    mapping: DocMapping,
    s3: Any,
    backup_bucket: str,
    *,
    lock_retries: int = 4,
    sleep: Callable[[float], None] = time.sleep,
) -> UpdateCounts:
    """Write one batch of URL changes; mark each success in the tracking table."""
    mapping = mapping.resolved()
    changes = [UrlChange.model_validate(row) for row in documents.get_json(request.batch.key)]
    counts = UpdateCounts(attempted=len(changes))
    errors = []
    if request.direction == "cutover":
        with ThreadPoolExecutor(max_workers=16) as pool:
            present = list(
                pool.map(
                    lambda c: bool(c.key) and _object_exists(s3, backup_bucket, c.key), changes
                )
            )
        for change, ok in zip(changes, present, strict=True):
            if not ok:
                counts.missing_objects += 1
                errors.append(
                    store.new_error(
                        request.run_id,
                        change.id,
                        "missing_object",
                        f"our copy s3://{backup_bucket}/{change.key} is missing; URL left unchanged",
                        change.expected,
                    )
                )
        changes = [c for c, ok in zip(changes, present, strict=True) if ok]

    pending = {c.id: c for c in changes}
    for attempt in range(lock_retries + 1):
        if not pending:
            break
        if attempt:
            counts.lock_retries += len(pending)
            sleep(min(30.0, 0.5 * 2**attempt))
        # Right before writing, read the records again: one whose URL is no longer the
        # planned one was edited since the plan, and is never overwritten.
        pending, done = _recheck(pending, gateway, mapping, store, request, counts, errors)
        if done:
            _mark(store, list(store.files(done)), request.direction, request.run_id)
        if not pending:
            break
        checked = time.monotonic()
        rows = [{"Id": c.id, mapping.url_field: c.to} for c in pending.values()]
        results: list[RecordResult] = []
        if request.mode == "bulk":
            results = gateway.bulk_update(mapping.sobject, rows)
        else:
            for start in range(0, len(rows), COLLECTION_LIMIT):
                results += gateway.update_collection(
                    mapping.sobject, rows[start : start + COLLECTION_LIMIT]
                )
        window = round((time.monotonic() - checked) * 1000)
        counts.recheck_window_ms = max(counts.recheck_window_ms, window)
        done = [r.record_id for r in results if r.success]
        if done:
            tracked = list(store.files(done))
            _mark(store, tracked, request.direction, request.run_id)
            counts.updated += len(done)
        retry: dict[str, UrlChange] = {}
        for result in results:
            if result.success:
                continue
            change = pending[result.record_id]
            if result.error_code == LOCKED and attempt < lock_retries:
                retry[result.record_id] = change
                continue
            counts.failed += 1
            errors.append(
                store.new_error(
                    request.run_id,
                    result.record_id,
                    f"salesforce_{(result.error_code or 'error').lower()}",
                    result.message or "Salesforce refused the update",
                    change.expected,
                )
            )
        pending = retry
    store.save_errors(errors)
    store.save_chunk(request.run_id, request.batch.index, counts.model_dump(by_alias=True))
    return counts


IN_QUERY_IDS = 500  # `records_by_id` reads 500 ids a query (the REST URI's length)


@dataclass
class _ReadGroup:
    batches: list[BatchRef]
    span: BatchRef  # the group's Id range (when every batch has one)


def _read_groups(batches: list[BatchRef]) -> Iterator[_ReadGroup]:
    """Consecutive batches, up to one 2,000-record page together, to read back at once."""
    group: list[BatchRef] = []

    def close() -> _ReadGroup:
        dense = all(b.first_id and b.last_id for b in group)
        span = BatchRef(
            index=group[0].index,
            key=group[0].key,
            records=sum(b.records for b in group),
            first_id=group[0].first_id if dense else None,
            last_id=group[-1].last_id if dense else None,
            account_id=group[0].account_id,
        )
        return _ReadGroup(list(group), span)

    for batch in batches:
        if group and sum(b.records for b in group) + batch.records > READ_BATCH_SIZE:
            yield close()
            group = []
        group.append(batch)
    if group:
        yield close()


def _current_urls(
    gateway: SalesforceGateway, mapping: DocMapping, ids: list[str], batch: BatchRef
) -> dict[str, Any]:
    """The URL Salesforce holds now for each of `ids` (absent: deleted).

    A batch the plan cut from every record of the object (or of one account), in
    Id order, is read back by its Id range: 2,000 records a call, where a list of
    ids takes 500 a call. A sparse batch (a rollback of given records or from an
    export) is read by its ids.
    """
    if batch.first_id and batch.last_id and len(ids) > IN_QUERY_IDS:
        where = f"Id >= '{batch.first_id}' AND Id <= '{batch.last_id}'"
        if batch.account_id:
            where += f" AND {mapping.account_field} = '{batch.account_id}'"
        wanted = set(ids)
        soql = f"SELECT Id, {mapping.url_field} FROM {mapping.sobject} WHERE {where} ORDER BY Id"
        return {
            str(r["Id"]): r.get(mapping.url_field)
            for r in gateway.query(soql)
            if str(r["Id"]) in wanted
        }
    return {
        str(r["Id"]): r.get(mapping.url_field)
        for r in gateway.records_by_id(mapping.sobject, ids, ["Id", mapping.url_field])
    }


def _recheck(
    pending: dict[str, UrlChange],
    gateway: SalesforceGateway,
    mapping: DocMapping,
    store: MigrationStore,
    request: UpdateBatchRequest,
    counts: UpdateCounts,
    errors: list[ErrorItem],
) -> tuple[dict[str, UrlChange], list[str]]:
    """The changes still safe to write, and the records already holding their new URL.

    Salesforce offers conditional writes (`If-Unmodified-Since`, `If-Match`) only on
    sObject Rows, one record per call; sObject Collections and Bulk API 2.0 have none.
    So each batch re-reads its records (one query per 500) just before writing, and
    skips as a conflict any whose URL is no longer the one the plan saw. What stays
    open is the time between that read and the write, which the counts report.
    """
    current = {
        str(r["Id"]): r.get(mapping.url_field)
        for r in gateway.records_by_id(mapping.sobject, list(pending), ["Id", mapping.url_field])
    }
    safe: dict[str, UrlChange] = {}
    done: list[str] = []
    for record_id, change in pending.items():
        if record_id not in current:
            why = "the record was deleted in Salesforce after the plan; nothing written"
        elif current[record_id] == change.to:
            counts.already_done += 1
            done.append(record_id)
            continue
        elif current[record_id] == change.expected:
            safe[record_id] = change
            continue
        else:
            why = (
                "the URL was changed in Salesforce after the plan; left as it is "
                f"(now {current[record_id]!r})"
            )
        counts.conflicts += 1
        errors.append(store.new_error(request.run_id, record_id, "conflict", why, change.expected))
    return safe, done


# ---------------------------------------------------------------------- validate


def validate(
    plan: PhaseTwoPlan,
    documents: DocumentStore,
    gateway: SalesforceGateway,
    store: MigrationStore,
    mapping: DocMapping,
    s3: Any,
    backup_bucket: str,
    links: OurLinks | None = None,
) -> dict[str, Any]:
    """Re-read every planned record and confirm it holds the new URL; HEAD our objects.

    With `links`, a cutover's every written link must also lead (through the
    record it names) to an object of exactly the tracked size.
    """
    mapping = mapping.resolved()
    changes: list[UrlChange] = []
    holding = 0
    mismatched: list[dict[str, Any]] = []
    for group in _read_groups(plan.batches):
        chunk = [
            UrlChange.model_validate(r)
            for batch in group.batches
            for r in documents.get_json(batch.key)
        ]
        changes += chunk
        current = _current_urls(gateway, mapping, [c.id for c in chunk], group.span)
        for change in chunk:
            if current.get(change.id) == change.to:
                holding += 1
            elif len(mismatched) < 50:
                mismatched.append(
                    {"id": change.id, "expected": change.to, "actual": current.get(change.id)}
                )
    missing: list[str] = []
    links_report: dict[str, Any] = {}
    if plan.direction == "cutover" and links is not None:
        missing, links_report = check_links(changes, store, s3, backup_bucket, links)
    elif plan.direction == "cutover":
        keys = [c.key for c in changes if c.key]
        with ThreadPoolExecutor(max_workers=16) as pool:
            exists = list(pool.map(lambda k: _object_exists(s3, backup_bucket, k), keys))
        missing = [k for k, ok in zip(keys, exists, strict=True) if not ok]
    report = {
        "checked": len(changes),
        "holdingNewUrl": holding,
        "notHoldingNewUrl": len(changes) - holding,
        "mismatchSample": mismatched,
        "missingObjects": len(missing),
        "missingObjectSample": missing[:50],
        **links_report,
    }
    store.record_validation(plan.run_id, report)
    return report


# ---------------------------------------------------------------------- finish


def finish_run(
    request: FinishPhaseTwoRequest, documents: DocumentStore, store: MigrationStore
) -> dict[str, Any]:
    run = store.run(request.run_id)
    if run is None:
        raise InvalidInputError(f"unknown run {request.run_id}")
    totals = UpdateCounts()
    failed_batches = 0
    for chunk in store.chunks(request.run_id):
        if chunk.status != "ok" or not chunk.counts:
            failed_batches += 1
            continue
        for name, info in UpdateCounts.model_fields.items():
            value = int(chunk.counts.get(info.alias or name, 0))
            setattr(totals, name, getattr(totals, name) + value)
    plan = run.plan or {}
    plan_counts = plan.get("counts", {})
    validation = run.validation or {}
    if request.error:
        status = "failed"
        run.error_message = failure_message(request.error)
        logger.error("run failed", run_id=request.run_id, error=request.error)
    elif (
        totals.failed
        or failed_batches
        or totals.missing_objects
        or totals.conflicts
        or plan_counts.get("conflicts")
        or validation.get("notHoldingNewUrl")
        or plan.get("refusal")
        or validation.get("sizeMismatches")
        or validation.get("unresolvedLinks")
    ):
        status = "completed_with_errors"
    else:
        status = "completed"
    run.status = status
    run.end_time = now_iso()
    run.total_files_processed = totals.attempted
    run.successful_files = totals.updated
    run.failed_files = totals.failed + totals.missing_objects
    run.skipped_files = int(plan_counts.get("alreadyDone", 0))
    store.save_run(run)
    summary_key = f"{run.run_type.split('_')[0]}/{run.run_id}/summary.json"
    summary: dict[str, Any] = {
        "runId": run.run_id,
        "runType": run.run_type,
        "status": status,
        "startTime": run.start_time,
        "endTime": run.end_time,
        "plan": plan,
        "updates": totals.model_dump(by_alias=True),
        "failedBatches": failed_batches,
        "validation": validation,
        "errorMessage": run.error_message,
        "summaryKey": summary_key,
    }
    if plan.get("refusal"):
        # A dry run: what the live run would refuse, in the words it would use.
        summary["wouldRefuse"] = refusal_message(plan["refusal"])
    documents.put_json(summary_key, summary)
    return summary


def our_url_prefix(bucket: str, region: str, base_url: str | None) -> str:
    return naming.object_url(bucket, "", region, base_url)
