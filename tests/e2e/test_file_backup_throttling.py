"""DynamoDB throttles the tracking writes: the workers back off, a storm fails a chunk
with a typed error, a rerun completes, and the accounts' counts always equal a recount."""

from __future__ import annotations

from typing import Any

import pytest

from local.aws_faults import throttled_writes
from revops.store import counts, writes
from tests.e2e.migration_org import FILES, Org

# A worker tries a transaction this many times before its chunk fails (then Step
# Functions retries the chunk: `StoreThrottledError` is in its Retry).
ATTEMPTS = writes.DEFAULT_BACKOFF.attempts
TRANSACTIONS = {"TransactWriteItems"}
BATCHES = {"TransactWriteItems", "BatchWriteItem"}  # file items go in transactions


@pytest.fixture
def pauses(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    taken: list[float] = []
    monkeypatch.setattr(writes, "sleep", taken.append)
    return taken


def _counted(org: Org) -> dict[str, tuple[int, ...]]:
    return {k: v.as_tuple() for k, v in counts.tally(org.store.account_counts()).items()}


def _recounted(org: Org) -> dict[str, tuple[int, ...]]:
    return {k: v.as_tuple() for k, v in counts.recount(org.store.all_files()).items()}


def _versions(org: Org) -> list[int]:
    s3 = org.stack.client("s3")
    seen: dict[str, int] = {}
    for page in s3.get_paginator("list_object_versions").paginate(
        Bucket=org.stack.physical_name("BackupBucket")
    ):
        for version in page.get("Versions", []):
            seen[version["Key"]] = seen.get(version["Key"], 0) + 1
    return sorted(seen.values())


def test_throttled_tracking_writes_back_off_and_every_file_is_tracked_once(
    org: Org, monkeypatch: pytest.MonkeyPatch, pauses: list[float]
) -> None:
    monkeypatch.setenv("CHUNK_SIZE", "3")  # ten workers

    with throttled_writes(0.3, operations=BATCHES) as throttling:
        result = org.run("FileBackupStateMachine", {"mode": "full"}, "throttled")

    assert result.succeeded, result.cause
    assert result.output["status"] == "completed"
    assert result.output["totals"]["successful"] == FILES
    assert throttling.refused > 0 and pauses  # it was throttled, and it paused
    assert all(0 <= p <= writes.DEFAULT_BACKOFF.cap_seconds for p in pauses)
    assert len(list(org.store.all_files())) == FILES
    assert _counted(org) == _recounted(org)
    assert sum(c[0] for c in _counted(org).values()) == FILES


def test_a_storm_that_eases_is_ridden_out_by_retrying_the_chunk(
    org: Org, pauses: list[float]
) -> None:
    # The worker's first attempt is refused every time and fails; the retry gets through.
    with throttled_writes(0.0, refuse=ATTEMPTS + 3, operations=TRANSACTIONS) as throttling:
        result = org.run("FileBackupStateMachine", {"mode": "full"}, "storm-eases")

    assert throttling.refused == ATTEMPTS + 3
    assert result.succeeded, result.cause
    assert result.output["status"] == "completed"
    assert result.output["failedChunks"] == 0
    assert _counted(org) == _recounted(org)
    assert _versions(org) == [1] * FILES


def test_a_storm_fails_the_chunk_typed_and_a_rerun_completes_with_nothing_lost_or_doubled(
    org: Org, pauses: list[float]
) -> None:
    with throttled_writes(0.0, refuse=10**6, operations=TRANSACTIONS):
        stormy = org.run("FileBackupStateMachine", {"mode": "full"}, "storm")

    chunks = org.store.chunks("storm")
    assert [(c.status, c.error) for c in chunks] == [("failed", "StoreThrottledError")]
    assert stormy.status == "FAILED"  # one chunk of one: over the tolerated 5%
    assert _versions(org) == [1] * FILES  # the copies were made before the tracking
    assert list(org.store.all_files()) == []

    rerun = org.run("FileBackupStateMachine", {"mode": "incremental"}, "after-storm")

    assert rerun.succeeded, rerun.cause
    assert rerun.output["status"] == "completed"
    assert rerun.output["totals"]["skipped"] == FILES  # found copied, not copied again
    assert _versions(org) == [1] * FILES
    assert len(list(org.store.all_files())) == FILES
    assert _counted(org) == _recounted(org)


def test_counts_equal_a_recount_after_a_crash_between_transactions_a_rerun_a_cutover_and_a_rollback(
    org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Over 100 actions: the chunk's tracking takes two transactions; the worker dies
    # after the first.
    s3 = org.stack.client("s3")
    source = org.stack.parameters["SourceBucketName"]
    account = org.stack.org.insert("Account", {"Name": "Initech"})
    for i in range(100):
        s3.put_object(Bucket=source, Key=f"more/{i}.pdf", Body=b"%PDF" * (i + 1))
        org.stack.org.insert(
            "DocListEntry__c",
            {
                "Name": f"More {i}",
                "Document__c": f"https://{source}.s3.amazonaws.com/more/{i}.pdf",
                "Account__c": account,
            },
        )
    total = FILES + 100
    original = counts._commit
    commits: list[Any] = []

    def die_after_the_first(group: Any, backoff: Any) -> Any:
        commits.append(group)
        if len(commits) == 2:
            raise MemoryError("the worker died between two transactions")
        return original(group, backoff)

    monkeypatch.setattr(counts, "_commit", die_after_the_first)
    crashed = org.run("FileBackupStateMachine", {"mode": "full"}, "crashed")
    monkeypatch.setattr(counts, "_commit", original)

    assert crashed.status == "FAILED"
    assert 0 < len(list(org.store.all_files())) < total
    assert _counted(org) == _recounted(org)

    rerun = org.run("FileBackupStateMachine", {"mode": "incremental"}, "rerun")
    assert rerun.succeeded and rerun.output["status"] == "completed", rerun.output
    assert _counted(org) == _recounted(org)
    assert sum(c[0] for c in _counted(org).values()) == total

    cutover = org.run("FileCutoverStateMachine", {"dryRun": False}, "cutover")
    assert cutover.succeeded, cutover.cause
    assert _counted(org) == _recounted(org)
    assert sum(c[1] for c in _counted(org).values()) == total  # every file migrated

    rollback = org.run("FileRollbackStateMachine", {"dryRun": False}, "rollback")
    assert rollback.succeeded, rollback.cause
    assert _counted(org) == _recounted(org)
    assert sum(c[0] for c in _counted(org).values()) == total  # every file back in phase 1
