"""FileBackup under faults: every failure is typed and recorded, the rest go on,
and a rerun ends with every file backed up exactly once."""

from __future__ import annotations

import base64
import hashlib
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from local.files import FakeFileHost
from local.stack import LocalStack
from revops.migration import transfer
from revops.migration.transfer.core import CopierCore
from revops.store.migration import MigrationStore

SOURCE_FILES = 24


@pytest.fixture
def host() -> Iterator[FakeFileHost]:
    files = FakeFileHost().install()
    yield files
    files.uninstall()


def _seed(stack: LocalStack, host: FakeFileHost) -> dict[str, str]:
    """24 S3 files, 4 HTTP files, one zero-byte file; returns name -> record id."""
    s3 = stack.client("s3")
    source = stack.parameters["SourceBucketName"]
    account = stack.org.insert("Account", {"Name": "Umbrella / R&D 🚀"})
    ids: dict[str, str] = {}
    for i in range(SOURCE_FILES):
        key = f"docs/file {i}.pdf"
        s3.put_object(Bucket=source, Key=key, Body=f"pdf {i} ".encode() * (i + 1))
        ids[key] = stack.org.insert(
            "DocListEntry__c",
            {"Name": key, "Document__c": f"s3://{source}/{key}", "Account__c": account},
        )
    s3.put_object(Bucket=source, Key="docs/empty.txt", Body=b"")
    ids["empty"] = stack.org.insert(
        "DocListEntry__c",
        {"Name": "empty", "Document__c": f"s3://{source}/docs/empty.txt", "Account__c": account},
    )
    for i in range(4):
        url = host.add_file(f"cdn/scan {i}.png", size=6 * 1024 * 1024 + i)
        ids[f"cdn/scan {i}.png"] = stack.org.insert(
            "DocListEntry__c", {"Name": f"scan {i}", "Document__c": url, "Account__c": account}
        )
    return ids


def _store(stack: LocalStack) -> MigrationStore:
    return MigrationStore(stack.physical_name("TrackingTable"), "us-east-1")


def _versions(stack: LocalStack) -> dict[str, int]:
    counts: dict[str, int] = {}
    s3 = stack.client("s3")
    for page in s3.get_paginator("list_object_versions").paginate(
        Bucket=stack.physical_name("BackupBucket")
    ):
        for version in page.get("Versions", []):
            counts[version["Key"]] = counts.get(version["Key"], 0) + 1
    return counts


def _run(stack: LocalStack, payload: dict[str, Any], name: str) -> Any:
    return stack.run("FileBackupStateMachine", payload, name=name, timeout=300)


def test_faults_are_recorded_by_type_and_a_rerun_backs_up_everything_once(
    stack: LocalStack, host: FakeFileHost
) -> None:
    ids = _seed(stack, host)
    s3 = stack.client("s3")
    source = stack.parameters["SourceBucketName"]
    # A source whose stored SHA-256 does not match its bytes.
    s3.put_object(
        Bucket=source,
        Key="docs/file 3.pdf",
        Body=b"tampered",
        ChecksumAlgorithm="SHA256",
        ChecksumSHA256=base64.b64encode(hashlib.sha256(b"original").digest()).decode(),
    )
    host.fail_next("cdn/scan 0.png", 403, count=10)  # access denied
    host.truncate("cdn/scan 1.png", 1024 * 1024)  # the body ends early: size changed mid-copy
    host.fail_next("cdn/scan 2.png", 404, count=10)

    first = _run(stack, {"mode": "full"}, "faulty")

    assert first.succeeded, first.cause
    summary = first.output
    assert summary["errorsByType"] == {
        "checksum_mismatch": 1,
        "access_denied": 1,
        "download": 1,
        "not_found": 1,
    }
    assert summary["totals"]["successful"] == SOURCE_FILES + 2 - 1  # + empty + scan 3, - tampered
    store = _store(stack)
    errors = {e.doclist_entry_id: e for e in store.errors_for_run("faulty")}
    assert errors[ids["cdn/scan 1.png"]].error_type == "download"
    assert "bytes" in errors[ids["cdn/scan 1.png"]].error_message
    assert errors[ids["cdn/scan 0.png"]].original_url.endswith("scan%200.png")
    empty = store.file(ids["empty"])
    assert empty is not None and empty.file_size_bytes == 0
    assert empty.file_hash == hashlib.sha256(b"").hexdigest()
    # No half-written object is left behind for any failed file.
    assert not any("scan 1" in key or "scan 0" in key for key in _versions(stack))
    assert (
        s3.list_multipart_uploads(Bucket=stack.physical_name("BackupBucket")).get("Uploads") is None
    )

    host.clear_faults()
    s3.put_object(Bucket=source, Key="docs/file 3.pdf", Body=b"fixed bytes")
    second = _run(stack, {"mode": "incremental"}, "rerun")

    assert second.succeeded, second.cause
    assert second.output["plan"]["retry"] == 4
    assert second.output["totals"]["failed"] == 0
    for record_id in ids.values():
        item = store.file(record_id)
        assert item is not None and item.status == "backed_up", record_id
    versions = _versions(stack)
    rewritten = {key for key, count in versions.items() if count > 1}
    # Only the source that really changed has a second version (the first was rejected).
    assert rewritten == {key for key in versions if key.endswith("file 3.pdf")}


def test_a_worker_crash_after_copying_loses_and_duplicates_nothing(
    stack: LocalStack, host: FakeFileHost, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The copies happen, then the worker is lost before its tracking is written
    (a crash between two of its transactions: `test_file_backup_throttling`); the
    rerun repairs it."""
    ids = _seed(stack, host)
    left = {"failures": 10**6}
    original = MigrationStore.save_files

    def crash(self: MigrationStore, items: Any) -> int:
        if left["failures"] > 0:
            left["failures"] -= 1
            raise RuntimeError("worker lost between the copy and the tracking write")
        return original(self, items)

    monkeypatch.setattr(MigrationStore, "save_files", crash)

    crashed = _run(stack, {"mode": "full"}, "crashed")
    left["failures"] = 0

    assert crashed.output is None or crashed.output.get("status") != "completed"
    copied_before = _versions(stack)
    assert len(copied_before) == len(ids)  # the copies happened, the tracking did not
    tracked = len(list(_store(stack).all_files()))
    assert tracked == 0

    rerun = _run(stack, {"mode": "incremental"}, "after-crash")

    assert rerun.succeeded, rerun.cause
    # The untracked ones are found unchanged and not copied again.
    assert rerun.output["totals"]["skipped"] == len(ids) - tracked
    assert rerun.output["totals"]["bytes"] == 0
    assert _versions(stack) == copied_before
    assert len(list(_store(stack).all_files())) == len(ids)


def test_a_storm_of_s3_throttling_is_retried_until_it_passes(
    stack: LocalStack, host: FakeFileHost, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = _seed(stack, host)
    # The copier's backoff only: a global time.sleep stub would turn every poll
    # loop (the executor's, the test's own wait) into a busy loop.
    monkeypatch.setattr(CopierCore, "_delay", lambda self, retry, retry_after: 0.0)
    throttles = {"left": 40}
    per_key: dict[str, int] = {}
    lock = threading.Lock()

    def slow_down(params: dict[str, Any], **kwargs: Any) -> None:
        # Up to 3 refusals per object: below the copier's 6 attempts, whatever
        # order the worker threads reach S3 in.
        key = params["Key"]
        with lock:
            throttled = throttles["left"] > 0 and per_key.get(key, 0) < 3
            if throttled:
                throttles["left"] -= 1
                per_key[key] = per_key.get(key, 0) + 1
        if throttled:
            raise ClientError(
                {
                    "Error": {"Code": "SlowDown", "Message": "Please reduce your request rate."},
                    "ResponseMetadata": {"HTTPStatusCode": 503},
                },
                "CopyObject",
            )

    client = transfer.s3_client()
    client.meta.events.register("before-parameter-build.s3.CopyObject", slow_down)
    try:
        result = _run(stack, {"mode": "full"}, "throttled")
    finally:
        client.meta.events.unregister("before-parameter-build.s3.CopyObject", slow_down)

    assert result.succeeded, result.cause
    assert throttles["left"] == 0
    assert result.output["totals"]["failed"] == 0
    assert result.output["totals"]["successful"] == len(ids)


def test_files_over_the_size_limit_are_refused_and_recorded(
    stack: LocalStack, host: FakeFileHost
) -> None:
    ids = _seed(stack, host)

    result = _run(stack, {"mode": "full", "maxFileSizeMb": 5}, "size-limit")

    assert result.succeeded, result.cause
    assert result.output["errorsByType"] == {"too_large": 4}  # the 6 MB scans
    errors = {e.doclist_entry_id for e in _store(stack).errors_for_run("size-limit")}
    assert errors == {ids[f"cdn/scan {i}.png"] for i in range(4)}
