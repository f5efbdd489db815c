"""Phase 2 never loses a user's edit, never blocks on a decided record, and says in
words what it refuses and why. Assertions are on the fake org's records, the
tracking table and the run summaries."""

from __future__ import annotations

import json
from typing import Any

import pytest

from revops.migration import cutover
from tests.e2e.migration_org import FILES, Org, backup

USER_URL = "https://intranet.example/filed-by-hand.pdf"


def _edit_after_plan(
    monkeypatch: pytest.MonkeyPatch, org: Org, planner: str, record_id: str, url: str
) -> None:
    """A user edits `record_id` after the plan is written and before the write."""
    original = getattr(cutover, planner)

    def plan_then_edit(*args: Any, **kwargs: Any) -> Any:
        plan = original(*args, **kwargs)
        org.stack.org.update("DocListEntry__c", record_id, {"Document__c": url})
        return plan

    monkeypatch.setattr(cutover, planner, plan_then_edit)


def test_an_edit_made_after_the_plan_is_never_overwritten_by_cutover_or_rollback(
    org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    backup(org)
    edited = org.ids[4]
    _edit_after_plan(monkeypatch, org, "plan_cutover", edited, USER_URL)

    live = org.run("FileCutoverStateMachine", {"dryRun": False}, "cutover")

    assert live.succeeded, live.cause
    updates = live.output["updates"]
    assert updates["conflicts"] == 1 and updates["updated"] == FILES - 1
    assert updates["recheckWindowMs"] >= 0  # measured and reported
    assert live.output["status"] == "completed_with_errors"
    assert org.url(edited) == USER_URL
    item = org.store.file(edited)
    assert item is not None and item.migration_phase == 1  # not marked as switched
    errors = {e.doclist_entry_id: e for e in org.store.errors_for_run("cutover")}
    assert errors[edited].error_type == "conflict"

    monkeypatch.undo()
    back = org.run("FileRollbackStateMachine", {"dryRun": False}, "rollback")

    assert back.succeeded, back.cause
    assert org.url(edited) == USER_URL  # rollback never restores over the user's URL
    assert all(org.url(i) == org.original[i] for i in org.ids if i != edited)


def test_rollback_skips_a_record_edited_between_its_plan_and_its_write(
    org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    backup(org)
    live = org.run("FileCutoverStateMachine", {"dryRun": False}, "cutover")
    assert live.succeeded and live.output["updates"]["updated"] == FILES
    edited = org.ids[7]
    _edit_after_plan(monkeypatch, org, "plan_rollback", edited, USER_URL)

    back = org.run("FileRollbackStateMachine", {"dryRun": False}, "rollback")

    assert back.succeeded, back.cause
    assert back.output["updates"]["conflicts"] == 1
    assert back.output["updates"]["updated"] == FILES - 1
    assert org.url(edited) == USER_URL


def test_records_left_out_by_policy_are_tracked_as_excluded_and_do_not_block_cutover(
    org: Org,
) -> None:
    huge, scan = org.ids[0], org.ids[1]
    org.stack.org.update("DocListEntry__c", huge, {"File_Size__c": 9 * 1024**4})  # 9 TB
    org.stack.org.update("DocListEntry__c", scan, {"File_Name__c": "scan.tiff"})
    first = org.run(
        "FileBackupStateMachine", {"mode": "full", "allowedExtensions": [".pdf"]}, "backup"
    )
    assert first.succeeded, first.cause
    assert first.output["plan"]["tooLarge"] == 1 and first.output["plan"]["filtered"] == 1
    for record_id, policy in ((huge, "too_large"), (scan, "filtered")):
        item = org.store.file(record_id)
        assert item is not None and item.status == "excluded", record_id
        assert item.last_error_type == policy and item.exclusion_reason

    status, error = org.stack.invoke("MigrationStatusFunction", {"view": "readiness"})
    assert error is None, status
    assert status["readiness"]["ready"] is True, status
    assert status["readiness"]["excludedRecords"] == 2

    dry = org.run("FileCutoverStateMachine", {}, "dry")
    live = org.run("FileCutoverStateMachine", {"dryRun": False}, "live")

    # The size limit is the template's, so the catch-up backup leaves the huge file out
    # again; the extension filter was that one backup's input, so the catch-up copies
    # the scan before the cutover switches it.
    for run in (dry, live):
        assert run.succeeded, run.cause
        assert run.output["status"] == "completed", run.output
        assert run.output["plan"]["counts"]["excluded"] == 1
        assert run.output["plan"]["refusal"] == []
        assert "wouldRefuse" not in run.output
    assert dry.output["plan"]["counts"]["backedUpFirst"] == 1
    assert org.url(huge) == org.original[huge]
    assert org.url(scan) != org.original[scan]
    assert live.output["updates"]["updated"] == FILES - 1


def _missing_files(org: Org, count: int) -> list[str]:
    """New records whose files are not at their source: their backups fail, not_found."""
    source = org.stack.parameters["SourceBucketName"]
    return [
        org.stack.org.insert(
            "DocListEntry__c",
            {"Name": f"lost {n}", "Document__c": f"s3://{source}/gone/lost {n}.pdf"},
        )
        for n in range(count)
    ]


def test_a_dry_run_reports_exactly_what_the_live_run_refuses(org: Org) -> None:
    backup(org)
    broken = _missing_files(org, 3)
    assert org.run("FileBackupStateMachine", {"mode": "incremental"}, "refresh").succeeded
    late = org.stack.org.insert(  # new since the backup: the catch-up copies it first
        "DocListEntry__c", {"Name": "late", "Document__c": org.original[org.ids[5]]}
    )

    live = org.run("FileCutoverStateMachine", {"dryRun": False}, "live")
    dry = org.run("FileCutoverStateMachine", {"dryRun": True}, "dry")

    assert live.status == "FAILED" and live.error == "NotReadyError"
    assert dry.succeeded and dry.output["status"] == "completed_with_errors"
    cause = json.loads(live.cause or "{}")["errorMessage"]  # the Lambda error's message
    assert dry.output["wouldRefuse"] == cause
    # The refusal names the records and says what to do about them.
    for record_id in broken:
        assert record_id in cause
    assert "3 records have no backup (not_found)" in cause
    assert "restore each file at its source" in cause
    assert "maxUnresolvedRatio" in cause
    assert late not in cause
    assert all(org.url(i) == org.original[i] for i in org.ids)

    allowed = org.run(
        "FileCutoverStateMachine", {"dryRun": False, "maxUnresolvedRatio": 0.2}, "allowed"
    )

    assert allowed.succeeded, allowed.cause
    run = org.store.run("allowed")
    assert run is not None and run.config_snapshot["maxUnresolvedRatio"] == 0.2
    assert allowed.output["plan"]["counts"]["backupFailed"] == 3
    assert all(org.url(i).startswith("s3://") for i in broken)  # they keep their URLs
    assert org.url(late) != org.original[org.ids[5]]  # backed up by the catch-up, then switched


def test_deleted_records_are_counted_even_when_some_backups_failed(org: Org) -> None:
    backup(org)
    _missing_files(org, 2)
    assert org.run("FileBackupStateMachine", {"mode": "incremental"}, "refresh").succeeded
    for record_id in org.ids[20:28]:
        org.stack.org.delete("DocListEntry__c", record_id)

    result = org.run(
        "FileCutoverStateMachine", {"dryRun": False, "maxUnresolvedRatio": 0.5}, "cutover"
    )

    assert result.succeeded, result.cause
    counts = result.output["plan"]["counts"]
    assert counts["deletedInSalesforce"] == 8
    assert counts["backupFailed"] == 2


def test_a_failed_run_records_a_clean_message_and_says_what_a_rerun_does(
    org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    backup(org)

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the org answered something unexpected")

    monkeypatch.setattr(cutover, "validate", broken)
    failed = org.run("FileCutoverStateMachine", {"dryRun": False}, "broken")

    assert failed.status == "FAILED"
    run = org.store.run("broken")
    assert run is not None and run.status == "failed"
    assert run.error_message == "RuntimeError: the org answered something unexpected"
    assert "rerun" in (failed.cause or "").lower()
    assert "records already written are tracked" not in (failed.cause or "")
