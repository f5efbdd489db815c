"""Orphans: objects under `uploads/` that no tracked record points at.

Every object the backup writes is tracked: a file item holds its key. A copy can
still be left behind: a worker that crashes after copying and before tracking
leaves an untracked object, and when the record's account or file name changes
before the rerun, the rerun copies it to its new key. Reconciliation lists the
backup prefix against the tracking, one account folder at a time:

1. the account folders under `uploads/` (one delimited listing);
2. per folder, side by side: its objects (ListObjectsV2) and the keys its
   account's file items hold (gsi1 `ACCOUNT#<id>`);
3. an object no item of that account holds is HEADed: its `revops-record-id`
   metadata names the record that wrote it. When that record's item holds the
   key (the record moved accounts; it keeps its key), the object is tracked;
   otherwise it is an orphan, reported with its likely record and where that
   record's backup lives now.

So the cost grows with objects and accounts (one listing request per 1,000
objects, one query per account), and HEADs only for the few objects that do not
match. Orphans are written to `reconcile/<run>/orphans.csv` and removed only when
the input asks (`deleteOrphans`), never while a backup is running (its copies are
tracked only after they land), and never an object written after the
reconciliation started. Removal is a delete marker on the versioned bucket: the
bytes stay as a noncurrent version until the lifecycle rule expires them.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError
from pydantic import Field, field_validator

from revops.errors import InvalidInputError, RevopsError
from revops.integrations.objects import DocumentStore
from revops.migration import naming
from revops.migration.models import ApiModel, check_salesforce_id
from revops.migration.remedies import plural
from revops.migration.transfer import META_RECORD_ID
from revops.observability import logger
from revops.store.migration import MigrationStore, now_iso

NO_ACCOUNT_PREFIX = f"{naming.KEY_PREFIX}/{naming.NO_ACCOUNT_FOLDER.split('/')[0]}/"
ORPHAN_COLUMNS = [
    "key",
    "size",
    "lastModified",
    "likelyRecord",
    "recordKeyNow",
    "reason",
    "deleted",
]


class RunInProgressError(RevopsError):
    """Orphans cannot be removed while a backup is running: its copies are not tracked yet."""


class ReconcileInput(ApiModel):
    """FileReconcile's input. Every field is optional."""

    delete_orphans: bool = Field(False, alias="deleteOrphans")
    account_id: str | None = Field(None, alias="accountId")

    @field_validator("account_id")
    @classmethod
    def _salesforce_id(cls, value: str | None) -> str | None:
        return check_salesforce_id(value)


class ReconcileRequest(ApiModel):
    run_id: str = Field(alias="runId", min_length=1)
    execution_arn: str | None = Field(None, alias="executionArn")
    input: ReconcileInput = Field(default_factory=ReconcileInput)


class ReconcileSummary(ApiModel):
    run_id: str = Field(alias="runId")
    status: str
    account_folders: int = Field(alias="accountFolders")
    objects: int
    tracked: int
    orphans: int
    orphan_bytes: int = Field(alias="orphanBytes")
    deleted: int
    orphans_key: str = Field(alias="orphansKey")
    sample: list[dict[str, Any]]
    message: str


@dataclass
class Orphan:
    key: str
    size: int
    last_modified: str
    likely_record: str | None
    record_key_now: str | None
    reason: str
    deleted: bool = False

    def row(self) -> list[Any]:
        return [
            self.key,
            self.size,
            self.last_modified,
            self.likely_record or "",
            self.record_key_now or "",
            self.reason,
            "yes" if self.deleted else "",
        ]


@dataclass
class FolderResult:
    objects: int = 0
    tracked: int = 0
    orphans: list[Orphan] = field(default_factory=list)


def _account_of(prefix: str) -> str | None:
    """The account id of an account folder (`uploads/<id>/`); None for `_no_account`."""
    if prefix == NO_ACCOUNT_PREFIX:
        return None
    return prefix.removeprefix(f"{naming.KEY_PREFIX}/").strip("/") or None


def _folders(s3: Any, bucket: str, account_id: str | None) -> list[str]:
    if account_id:
        return [f"{naming.KEY_PREFIX}/{account_id}/"]
    folders: list[str] = []
    pages = s3.get_paginator("list_objects_v2").paginate(
        Bucket=bucket, Prefix=f"{naming.KEY_PREFIX}/", Delimiter="/"
    )
    for page in pages:
        folders += [p["Prefix"] for p in page.get("CommonPrefixes", [])]
    return folders


def _objects(s3: Any, bucket: str, prefix: str) -> Iterator[dict[str, Any]]:
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        yield from page.get("Contents", [])


def _check_folder(
    s3: Any, bucket: str, prefix: str, store: MigrationStore, started: datetime
) -> FolderResult:
    result = FolderResult()
    known = {item.your_s3_key for item in store.files_in_account(_account_of(prefix))}
    for listed in _objects(s3, bucket, prefix):
        result.objects += 1
        key = listed["Key"]
        if key in known:
            result.tracked += 1
            continue
        modified: datetime = listed["LastModified"]
        if modified >= started:
            result.tracked += 1  # written since we started: a backup in flight, not ours to judge
            continue
        try:
            head = s3.head_object(Bucket=bucket, Key=key)
        except ClientError as exc:
            if str(exc.response.get("Error", {}).get("Code")) in ("404", "NoSuchKey", "NotFound"):
                result.objects -= 1  # removed since the listing
                continue
            raise
        record_id = (head.get("Metadata") or {}).get(META_RECORD_ID)
        item = store.file(record_id) if record_id else None
        if item is not None and item.your_s3_key == key:
            result.tracked += 1  # the record moved accounts and kept its key
            continue
        if record_id is None:
            reason = "no revops-record-id metadata: not written by the backup"
        elif item is None:
            reason = "its record is not tracked (a copy whose tracking was never written)"
        elif item.your_s3_key:
            reason = "its record is tracked at another key (renamed or moved before a rerun)"
        else:
            reason = "its record has no backup now"
        result.orphans.append(
            Orphan(
                key=key,
                size=int(listed.get("Size", 0)),
                last_modified=modified.isoformat(),
                likely_record=record_id,
                record_key_now=item.your_s3_key if item is not None else None,
                reason=reason,
            )
        )
    return result


def _running_backups(store: MigrationStore, own_run: str) -> list[str]:
    return [
        run.run_id
        for run in store.all_runs()
        if run.status == "running" and run.run_id != own_run and run.run_type.startswith("backup")
    ]


def reconcile(
    request: ReconcileRequest,
    s3: Any,
    backup_bucket: str,
    store: MigrationStore,
    work: DocumentStore,
    *,
    threads: int = 16,
) -> ReconcileSummary:
    """List the backup prefix against the tracking; report orphans, remove them if asked."""
    options = request.input
    if store.run(request.run_id) is not None:
        raise InvalidInputError(f"run {request.run_id} already exists: start a new execution")
    running = _running_backups(store, request.run_id)
    if options.delete_orphans and running:
        raise RunInProgressError(
            f"{plural(len(running), 'backup run')} still running ({', '.join(running)}): its "
            "copies are tracked only after they land, so nothing is removed now. Rerun "
            "FileReconcile with deleteOrphans once it has finished."
        )
    run_type = "reconcile_delete" if options.delete_orphans else "reconcile"
    run = store.start_run(
        request.run_id, run_type, options.model_dump(by_alias=True), request.execution_arn
    )
    started = datetime.fromisoformat(run.start_time.replace("Z", "+00:00"))

    folders = _folders(s3, backup_bucket, options.account_id)
    with ThreadPoolExecutor(max_workers=max(1, min(threads, len(folders) or 1))) as pool:
        results = list(
            pool.map(lambda p: _check_folder(s3, backup_bucket, p, store, started), folders)
        )
    orphans = sorted((o for r in results for o in r.orphans), key=lambda o: o.key)
    if options.delete_orphans:
        for orphan in orphans:
            s3.delete_object(Bucket=backup_bucket, Key=orphan.key)
            orphan.deleted = True
            logger.info("orphan removed", key=orphan.key, likely_record=orphan.likely_record)

    key = f"reconcile/{request.run_id}/orphans.csv"
    with work.open_text_writer(key, "text/csv") as out:
        writer = csv.writer(out)
        writer.writerow(ORPHAN_COLUMNS)
        for orphan in orphans:
            writer.writerow(orphan.row())

    objects = sum(r.objects for r in results)
    deleted = sum(o.deleted for o in orphans)
    message = (
        f"{plural(objects, 'object')} in {plural(len(folders), 'account folder')}: "
        f"{plural(len(orphans), 'orphan')}"
        + (f", {deleted:,} removed" if options.delete_orphans else "")
        + "."
    )
    if running:
        message += (
            f" {plural(len(running), 'backup run')} was running ({', '.join(running)}); "
            "objects it wrote after this check started are not judged."
        )
    run.status = "completed" if not orphans or options.delete_orphans else "completed_with_errors"
    run.end_time = now_iso()
    run.total_files_processed = objects
    run.successful_files = objects - len(orphans)
    run.failed_files = len(orphans) - deleted
    run.skipped_files = deleted
    run.plan = {
        "accountFolders": len(folders),
        "objects": objects,
        "orphans": len(orphans),
        "deleted": deleted,
        "orphansKey": key,
    }
    store.save_run(run)
    summary = ReconcileSummary(
        run_id=request.run_id,
        status=run.status,
        account_folders=len(folders),
        objects=objects,
        tracked=sum(r.tracked for r in results),
        orphans=len(orphans),
        orphan_bytes=sum(o.size for o in orphans),
        deleted=deleted,
        orphans_key=key,
        sample=[dict(zip(ORPHAN_COLUMNS, o.row(), strict=True)) for o in orphans[:20]],
        message=message,
    )
    work.put_json(f"reconcile/{request.run_id}/summary.json", summary.model_dump(by_alias=True))
    return summary
