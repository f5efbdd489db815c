"""Every file of a backup run is accounted for: copied, failed with a type, or
reported as left behind by a failed chunk, and picked up by the next run."""

from __future__ import annotations

import json
from typing import Any

import pytest

from local.stack import LocalStack
from revops.migration import backup as backup_logic
from tests.e2e.migration_org import FILES, Org


def test_a_failed_chunk_reports_its_files_and_the_next_run_counts_them(
    org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHUNK_SIZE", "10")  # 30 files: three chunks
    original = backup_logic.copy_chunk

    def crash_on_the_second(request: Any, *args: Any, **kwargs: Any) -> Any:
        if request.chunk.index == 1:
            raise MemoryError("the worker ran out of memory")
        return original(request, *args, **kwargs)

    monkeypatch.setattr(backup_logic, "copy_chunk", crash_on_the_second)
    crashed = org.run("FileBackupStateMachine", {"mode": "full"}, "crashed")

    # One chunk in three failed: over the 5% the template tolerates, so the run fails.
    assert crashed.status == "FAILED"
    run = org.store.run("crashed")
    assert run is not None and run.status == "failed"
    assert run.error_message is not None
    assert run.error_message.startswith("States.ExceedToleratedFailureThreshold")
    summary = org.stack.client("s3").get_object(
        Bucket=org.stack.physical_name("WorkBucket"), Key="backup/crashed/summary.json"
    )
    report = json.loads(summary["Body"].read())
    assert report["unaccountedFiles"] == 10
    assert report["unaccountedByReason"] == {"new": 10}
    listed = org.work_csv(report["unaccountedKey"])
    assert len(listed) == 10 and all(row["chunk"] == "1" for row in listed)
    assert report["totals"]["processed"] == FILES - 10

    monkeypatch.setattr(backup_logic, "copy_chunk", original)
    rerun = org.run("FileBackupStateMachine", {"mode": "incremental"}, "rerun")

    assert rerun.succeeded, rerun.cause
    assert rerun.output["plan"]["new"] == 10
    assert rerun.output["totals"]["new"] == 10
    assert rerun.output["unaccountedFiles"] == 0
    assert {row["id"] for row in listed} <= {i.doclist_entry_id for i in org.store.all_files()}


def test_s3_keys_with_hash_and_question_mark_are_backed_up(stack: LocalStack) -> None:
    s3 = stack.client("s3")
    source = stack.parameters["SourceBucketName"]
    key = "scans/invoice #7?draft=1.pdf"
    s3.put_object(Bucket=source, Key=key, Body=b"invoice seven")
    stack.org.insert("DocListEntry__c", {"Name": "hash", "Document__c": f"s3://{source}/{key}"})

    result = stack.run("FileBackupStateMachine", {"mode": "full"}, name="hash", timeout=300)

    assert result.succeeded and result.output["status"] == "completed", result.output
    backup = stack.physical_name("BackupBucket")
    listing = s3.list_objects_v2(Bucket=backup, Prefix="uploads/")["Contents"]
    assert [o["Key"] for o in listing] == ["uploads/_no_account/Unassigned/invoice #7?draft=1.pdf"]
    body = s3.get_object(Bucket=backup, Key=listing[0]["Key"])["Body"].read()
    assert body == b"invoice seven"


def test_a_record_that_moved_account_keeps_its_backup_and_its_count_moves(org: Org) -> None:
    from revops.store import counts

    first = org.run("FileBackupStateMachine", {"mode": "full"}, "first")
    assert first.succeeded, first.cause
    record = org.ids[0]
    before = org.store.file(record)
    assert before is not None
    newcomer = org.stack.org.insert("Account", {"Name": "Newcomer Ltd"})
    org.stack.org.update("DocListEntry__c", record, {"Account__c": newcomer})

    again = org.run("FileBackupStateMachine", {"mode": "incremental"}, "after-move")

    assert again.succeeded, again.cause
    after = org.store.file(record)
    assert after is not None
    assert after.your_s3_key == before.your_s3_key  # a record keeps its key for ever
    assert after.account_id == newcomer
    counted = counts.tally(org.store.account_counts())
    assert counted[newcomer].backup_only == 1
    assert counted[str(before.account_id)].backup_only == FILES // 3 - 1
    assert counted == counts.recount(org.store.all_files())
