"""Writing one batch of URL changes, after reading its records again right before the write."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from botocore.exceptions import ClientError

from revops.integrations.objects import DocumentStore
from revops.integrations.salesforce import COLLECTION_LIMIT, RecordResult, SalesforceGateway
from revops.migration.cutover.reads import current_urls
from revops.migration.cutover.writer import mark_tracking
from revops.migration.models import (
    DocMapping,
    UpdateBatchRequest,
    UpdateCounts,
    UrlChange,
)
from revops.store.migration import ErrorItem, MigrationStore

LOCKED = "UNABLE_TO_LOCK_ROW"


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
            mark_tracking(store, list(store.files(done)), request.direction, request.run_id)
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
            mark_tracking(store, tracked, request.direction, request.run_id)
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
    So each batch re-reads its records just before writing (by its Id range when the
    plan walked the records in Id order, else 500 ids a query), and skips as a
    conflict any whose URL is no longer the one the plan saw. What stays open is the
    time between that read and the write, which the counts report.
    """
    current = current_urls(gateway, mapping, list(pending), request.batch)
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
