"""Phase 1 backup: start a run, copy one chunk, finalize the run.

The copy worker isolates every file: a failure becomes a typed error item and
the chunk goes on. Tracking is written after the copies, in batches; a crash in
between is safe because a rerun finds each copied object unchanged (its
metadata names the source version) and only writes the missing tracking.
Before copying, the chunk's S3 sources are listed (`listing.list_sources`), so
most files need one request each, the copy itself.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from revops.errors import InvalidInputError, failure_message
from revops.integrations.objects import DocumentStore, ObjectNotFoundError
from revops.migration import naming
from revops.migration.listing import ListedObject, list_sources
from revops.migration.models import (
    BackupConfig,
    BackupInput,
    ChunkCounts,
    ChunkRef,
    ChunkRow,
    CopyChunkRequest,
    FinalizeRequest,
    PlanCounts,
    RunSummary,
    StartBackupRequest,
)
from revops.migration.transfer import CopyOutcome, CopyRequest, FileCopier, TransferError
from revops.migration.urls import InvalidSourceUrlError, S3Source, Source, parse_source_url
from revops.observability import logger
from revops.store.counts import UNKNOWN
from revops.store.migration import ErrorItem, FileItem, MigrationStore, now_iso


@dataclass(frozen=True)
class BackupDefaults:
    """The template's parameters, which every optional input falls back to."""

    max_file_size_mb: float
    max_concurrency: int
    tolerated_failure_percentage: float
    chunk_size: int
    work_bucket: str
    source_bucket: str
    dest_bucket: str


def start_run(
    request: StartBackupRequest, defaults: BackupDefaults, store: MigrationStore
) -> BackupConfig:
    """Resolve the configuration and record the run as `running` (the seed's migration_runs)."""
    given: BackupInput = request.input
    config = BackupConfig(
        run_id=request.run_id,
        mode=given.mode,
        dry_run=given.dry_run,
        account_id=given.account_id,
        max_files=given.max_files,
        max_file_size_mb=given.max_file_size_mb or defaults.max_file_size_mb,
        allowed_extensions=given.allowed_extensions,
        max_concurrency=given.max_concurrency or defaults.max_concurrency,
        tolerated_failure_percentage=defaults.tolerated_failure_percentage,
        chunk_size=defaults.chunk_size,
        bucket=defaults.work_bucket,
        source_bucket=defaults.source_bucket,
        dest_bucket=defaults.dest_bucket,
    )
    if store.run(request.run_id) is not None:
        raise InvalidInputError(f"run {request.run_id} already exists: start a new execution")
    run_type = f"backup_{config.mode}" + ("_dry_run" if config.dry_run else "")
    store.start_run(
        request.run_id, run_type, config.model_dump(by_alias=True), request.execution_arn
    )
    return config


@dataclass
class FileResult:
    row: ChunkRow
    outcome: CopyOutcome | None = None
    error_type: str | None = None
    message: str | None = None


def copy_one(
    row: ChunkRow,
    source: Source,
    request: CopyChunkRequest,
    copier: FileCopier,
    listed: ListedObject | None = None,
) -> FileResult:
    try:
        outcome = copier.copy(
            CopyRequest(
                record_id=row.id,
                source=source,
                dest_bucket=request.dest_bucket,
                dest_key=row.dest_key,
                max_bytes=int(request.max_file_size_mb * 1024 * 1024),
                expected_size=row.size,
                expect_new=row.reason == "new",
                listed=listed,
            )
        )
        return FileResult(row, outcome=outcome)
    except TransferError as exc:
        return FileResult(row, error_type=exc.error_type, message=str(exc))
    except Exception as exc:  # an unexpected failure must not sink the other files
        return FileResult(row, error_type="unexpected", message=f"{type(exc).__name__}: {exc}")


def _file_item(
    store: MigrationStore,
    result: FileResult,
    run_id: str,
    url_for: Callable[[str], str],
    counted: str | None = None,
) -> FileItem:
    """The file item a copy result leaves; `counted`: what the table holds for it
    (default: what the plan saw)."""
    row, outcome = result.row, result.outcome
    stamp = now_iso()
    fields: dict[str, Any] = {
        "account_id": row.account_id,
        "account_name": row.account_name,
        "original_url": row.url,
        "file_name": row.file_name,
        "last_modified_sf": row.last_modified,
        "system_modstamp_sf": row.system_modstamp,
        "last_run_id": run_id,
        "updated_date": stamp,
        "created_date": stamp,
        "migration_phase": 1,
        "salesforce_updated": False,
    }
    if outcome is not None:
        fields |= {
            "status": "backed_up",
            "your_s3_key": outcome.dest_key,
            "your_s3_url": url_for(outcome.dest_key),
            "file_size_bytes": outcome.size,
            "file_hash": outcome.sha256,
            "checksum_type": outcome.checksum_type,
            "version_id": outcome.version_id,
            "source_etag": outcome.source_etag,
            "backup_timestamp": stamp,
        }
    else:
        fields |= {"status": "failed", "last_error_type": result.error_type}
    return store.new_file_item(
        row.id, counted=row.counted if counted is None else counted, **fields
    )


def copy_chunk(
    request: CopyChunkRequest,
    documents: DocumentStore,
    copier: FileCopier,
    store: MigrationStore,
    url_for: Callable[[str], str],
    threads: int = 32,
) -> ChunkCounts:
    rows = [ChunkRow.model_validate(r) for r in documents.get_json(request.chunk.key)]
    results: list[FileResult] = []
    work: list[tuple[ChunkRow, Source]] = []
    for row in rows:
        try:
            work.append((row, parse_source_url(row.url)))
        except InvalidSourceUrlError as exc:
            results.append(FileResult(row, error_type="invalid_url", message=str(exc)))
    listed = list_sources(copier.source_s3, (s for _, s in work if isinstance(s, S3Source)))

    def copy(item: tuple[ChunkRow, Source]) -> FileResult:
        row, source = item
        known = listed.get((source.bucket, source.key)) if isinstance(source, S3Source) else None
        return copy_one(row, source, request, copier, known)

    with ThreadPoolExecutor(max_workers=max(1, min(threads, len(work) or 1))) as pool:
        results.extend(pool.map(copy, work))
    counts, error_types, items, errors = _tally(request, results, store, url_for)
    store.save_files(items)  # with the accounts' counts, a few transactions one after another
    store.save_errors(errors)
    counts_dict = counts.model_dump() | {f"error:{k}": v for k, v in error_types.items()}
    store.save_chunk(request.run_id, request.chunk.index, counts_dict)
    return counts


def _tally(
    request: CopyChunkRequest,
    results: list[FileResult],
    store: MigrationStore,
    url_for: Callable[[str], str],
) -> tuple[ChunkCounts, Counter[str], list[FileItem], list[ErrorItem]]:
    """Counts, error types, the file items and the error items of a copied chunk."""
    counts = ChunkCounts(processed=len(results))
    error_types: Counter[str] = Counter()
    items: list[FileItem] = []
    errors: list[ErrorItem] = []
    # Only a failure needs the record's previous state (a good backup to keep).
    failed = [r.row.id for r in results if r.outcome is None]
    previous = {item.doclist_entry_id: item for item in store.files(failed)}
    for result in results:
        if result.outcome is not None:
            counts.successful += 1
            if result.outcome.status == "unchanged":
                counts.skipped += 1
            elif result.row.reason == "new":
                counts.new += 1
                counts.bytes += result.outcome.size
            else:
                counts.updated += 1
                counts.bytes += result.outcome.size
            items.append(_file_item(store, result, request.run_id, url_for))
            continue
        counts.failed += 1
        error_types[result.error_type or "unexpected"] += 1
        errors.append(
            store.new_error(
                request.run_id,
                result.row.id,
                result.error_type or "unexpected",
                result.message or "",
                result.row.url,
            )
        )
        old = previous.get(result.row.id)
        if old is None or old.status != "backed_up":
            seen = None if old is None else old.counted if old.counted is not None else UNKNOWN
            items.append(_file_item(store, result, request.run_id, url_for, seen))
        else:  # keep the good backup we already have; just note the failed refresh
            old.last_error_type = result.error_type
            old.last_run_id = request.run_id
            items.append(old)
    return counts, error_types, items, errors


def finalize_run(
    request: FinalizeRequest, documents: DocumentStore, store: MigrationStore
) -> RunSummary:
    run = store.run(request.run_id)
    if run is None:
        raise InvalidInputError(f"unknown run {request.run_id}")
    totals = ChunkCounts()
    error_types: Counter[str] = Counter()
    failed_chunks = 0
    reported: set[int] = set()
    for chunk in store.chunks(request.run_id):
        if chunk.status != "ok" or not chunk.counts:
            failed_chunks += 1
            error_types["chunk_failed"] += 1
            continue
        reported.add(int(chunk.index or 0))
        for name in ChunkCounts.model_fields:
            setattr(totals, name, getattr(totals, name) + int(chunk.counts.get(name, 0)))
        for key, value in chunk.counts.items():
            if key.startswith("error:"):
                error_types[key.removeprefix("error:")] += int(value)
    dry_run = bool((run.config_snapshot or {}).get("dryRun"))
    unaccounted = Unaccounted() if dry_run else _unaccounted(request, documents, store, reported)
    if unaccounted.files:
        error_types["unaccounted"] += unaccounted.files
    plan = PlanCounts.model_validate(run.plan) if run.plan else None
    if plan is not None:
        error_types.update(
            {k: v for k, v in {"filtered": plan.filtered, "too_large": plan.too_large}.items() if v}
        )
    error_message = None
    if request.error:
        status = "failed"
        error_message = failure_message(request.error)
        logger.error("run failed", run_id=request.run_id, error=request.error)
    elif totals.failed or failed_chunks or error_types:
        status = "completed_with_errors"
    else:
        status = "completed"
    run.status = status
    run.end_time = now_iso()
    run.total_files_processed = totals.processed
    run.successful_files = totals.successful
    run.failed_files = totals.failed
    run.new_files = totals.new
    run.updated_files = totals.updated
    run.skipped_files = totals.skipped
    run.bytes_copied = totals.bytes
    run.error_message = error_message
    store.save_run(run)
    if unaccounted.files or unaccounted.unverified:
        logger.warning(
            "failed chunks left files unaccounted for",
            run_id=run.run_id,
            unaccounted=unaccounted.files,
            unverified=unaccounted.unverified,
        )
    summary = RunSummary(
        run_id=run.run_id,
        run_type=run.run_type,
        status=status,
        start_time=run.start_time,
        end_time=run.end_time,
        dry_run=dry_run,
        totals=totals,
        failed_chunks=failed_chunks,
        errors_by_type=dict(error_types),
        plan=plan,
        summary_key=f"backup/{run.run_id}/summary.json",
        error_message=error_message,
        unaccounted_files=unaccounted.files,
        unaccounted_by_reason=unaccounted.by_reason,
        unverified_files=unaccounted.unverified,
        unaccounted_key=unaccounted.key,
    )
    documents.put_json(summary.summary_key, summary.model_dump(by_alias=True))
    return summary


@dataclass
class Unaccounted:
    """Files of chunks that never reported (the worker failed, or never ran)."""

    files: int = (
        0  # new, changed or retried files this run did not track: the next run picks them up
    )
    unverified: int = 0  # files with an earlier backup this run did not re-check (full mode)
    by_reason: dict[str, int] = field(default_factory=dict)
    key: str | None = None  # backup/<run>/unaccounted.csv: every such file


def _unaccounted(
    request: FinalizeRequest, documents: DocumentStore, store: MigrationStore, reported: set[int]
) -> Unaccounted:
    """Every file of a chunk that did not report, unless this run tracked it anyway.

    A chunk that fails (its worker crashed, or the Map stopped before starting it)
    leaves its files in no run's counts. Each one this run did not track is listed,
    so the summary says how many, and which; the next incremental run selects them
    again (they are new, changed or failed in the tracking), so its counts include them.
    """
    try:
        refs = [
            ChunkRef.model_validate(r)
            for r in documents.get_json(f"backup/{request.run_id}/manifest.json")
        ]
    except ObjectNotFoundError:
        return Unaccounted()  # a dry run, or a run that failed before its plan
    missing = [ref for ref in refs if ref.index not in reported]
    if not missing:
        return Unaccounted()
    result = Unaccounted()
    by_reason: Counter[str] = Counter()
    key = f"backup/{request.run_id}/unaccounted.csv"
    with documents.open_text_writer(key, "text/csv") as out:
        writer = csv.writer(out)
        writer.writerow(["id", "reason", "accountId", "fileName", "url", "chunk"])
        for ref in missing:
            rows = [ChunkRow.model_validate(r) for r in documents.get_json(ref.key)]
            tracked = {item.doclist_entry_id: item for item in store.files(row.id for row in rows)}
            for row in rows:
                item = tracked.get(row.id)
                if item is not None and item.last_run_id == request.run_id:
                    continue  # tracked by this run before the chunk failed
                if row.reason == "refresh":
                    result.unverified += 1
                else:
                    result.files += 1
                    by_reason[row.reason] += 1
                writer.writerow(
                    [row.id, row.reason, row.account_id, row.file_name, row.url, ref.index]
                )
    result.by_reason = dict(by_reason)
    result.key = key
    return result


def record_plan(store: MigrationStore, run_id: str, counts: PlanCounts) -> None:
    store.record_plan(run_id, counts.model_dump(by_alias=True))


def object_url_for(bucket: str, region: str, base_url: str | None) -> Callable[[str], str]:
    return lambda key: naming.object_url(bucket, key, region, base_url)
