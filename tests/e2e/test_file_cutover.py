"""Phase 2 end to end: backup → cutover dry run → cutover → validation → rollback,
plus the refusals and crashes users must survive. Assertions are on the fake
org's records, the tracking table and the files in S3."""

from __future__ import annotations

from typing import Any

import pytest

from local.stack import LocalStack
from tests.e2e.migration_org import FILES, Org
from tests.e2e.migration_org import backup as _backup


def test_backup_cutover_validate_rollback_round_trip(org: Org) -> None:
    _backup(org)

    dry = org.run("FileCutoverStateMachine", {}, "cutover-dry")  # dryRun defaults to true
    assert dry.succeeded, dry.cause
    assert dry.output["plan"]["counts"]["planned"] == FILES
    assert all(org.url(i) == org.original[i] for i in org.ids), "a dry run wrote to Salesforce"
    planned = org.work_csv(dry.output["plan"]["changesKey"])
    assert {row["record_id"] for row in planned} == set(org.ids)

    live = org.run("FileCutoverStateMachine", {"dryRun": False}, "cutover-live")
    assert live.succeeded, live.cause
    assert live.output["status"] == "completed"
    assert live.output["updates"]["updated"] == FILES
    assert live.output["validation"]["holdingNewUrl"] == FILES
    assert live.output["validation"]["missingObjects"] == 0
    assert live.output["validation"]["linksResolved"] == FILES  # each link leads to its file
    store = org.store
    backup_bucket = org.stack.physical_name("BackupBucket")
    for record_id in org.ids:
        item = store.file(record_id)
        assert item is not None
        assert item.migration_phase == 2 and item.salesforce_updated is True
        assert org.url(record_id) == org.link(record_id)
        assert f"{backup_bucket}.s3.amazonaws.com/uploads/" in (item.your_s3_url or "")
    export = org.work_csv(live.output["plan"]["rollbackKey"])
    assert {(r["record_id"], r["original_url"]) for r in export} == set(org.original.items())

    back = org.run("FileRollbackStateMachine", {"dryRun": False}, "rollback")
    assert back.succeeded, back.cause
    assert back.output["updates"]["updated"] == FILES
    assert back.output["validation"]["holdingNewUrl"] == FILES
    for record_id in org.ids:
        assert org.url(record_id) == org.original[record_id]
        item = store.file(record_id)
        assert item is not None and item.migration_phase == 1 and item.salesforce_updated is False

    again = org.run("FileRollbackStateMachine", {"dryRun": False}, "rollback-again")
    assert again.succeeded, again.cause
    assert again.output["plan"]["counts"]["planned"] == 0
    assert again.output["updates"]["updated"] == 0


def test_cutover_before_any_backup_is_refused_with_reasons(org: Org) -> None:
    result = org.run("FileCutoverStateMachine", {"dryRun": False}, "too-early")

    assert result.status == "FAILED"
    assert result.error == "NotReadyError"
    assert "backup" in (result.cause or "").lower()
    assert all(org.url(i) == org.original[i] for i in org.ids)


def test_records_edited_or_deleted_after_backup_are_never_overwritten(org: Org) -> None:
    _backup(org)
    edited, deleted = org.ids[0], org.ids[1]
    org.stack.org.update(
        "DocListEntry__c", edited, {"Document__c": "https://elsewhere.example/new.pdf"}
    )
    org.stack.org.delete("DocListEntry__c", deleted)

    result = org.run("FileCutoverStateMachine", {"dryRun": False}, "drift")

    assert result.succeeded, result.cause
    counts = result.output["plan"]["counts"]
    assert counts["conflicts"] == 1 and counts["planned"] == FILES - 2
    assert result.output["status"] == "completed_with_errors"
    # The edited record keeps the URL its user set; the conflict is recorded.
    assert org.url(edited) == "https://elsewhere.example/new.pdf"
    conflicts = org.work_csv(result.output["plan"]["conflictsKey"])
    assert [row["record_id"] for row in conflicts] == [edited]
    assert counts["deletedInSalesforce"] == 1
    assert result.output["updates"]["updated"] == FILES - 2


def test_locked_rows_are_retried_and_other_refusals_recorded(org: Org) -> None:
    _backup(org)
    org.stack.org.lock_records(org.ids[:3], times=2)  # locked twice, then free

    result = org.run("FileCutoverStateMachine", {"dryRun": False}, "locked")

    assert result.succeeded, result.cause
    assert result.output["updates"]["lockRetries"] >= 3
    assert result.output["updates"]["updated"] == FILES
    assert all(org.url(i) != org.original[i] for i in org.ids)


def test_daily_limit_mid_run_stops_cleanly_and_a_rerun_resumes(
    org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    _backup(org)
    from revops.integrations.salesforce import SalesforceGateway

    original_update = SalesforceGateway.update_collection

    def then_run_out(self: SalesforceGateway, sobject: str, records: Any) -> Any:
        results = original_update(self, sobject, records)
        org.stack.org.exhaust_daily_limit()  # the org runs out after this batch
        return results

    monkeypatch.setattr(SalesforceGateway, "update_collection", then_run_out)

    stopped = org.run("FileCutoverStateMachine", {"dryRun": False, "batchSize": 10}, "limit")

    assert stopped.status == "FAILED"
    run = org.store.run("limit")
    assert run is not None and run.status == "failed"
    assert "SalesforceLimitExceededError" in (run.error_message or "")
    done_before = [i for i in org.ids if org.url(i) != org.original[i]]
    assert len(done_before) == 10  # exactly the first batch
    assert all(org.store.file(i).migration_phase == 2 for i in done_before)  # type: ignore[union-attr]

    monkeypatch.setattr(SalesforceGateway, "update_collection", original_update)
    org.stack.org.api_usage = 0  # a new day
    resumed = org.run("FileCutoverStateMachine", {"dryRun": False, "batchSize": 10}, "resume")

    assert resumed.succeeded, resumed.cause
    assert resumed.output["plan"]["counts"]["alreadyDone"] == len(done_before)
    assert resumed.output["updates"]["updated"] == FILES - len(done_before)
    assert all(org.url(i) != org.original[i] for i in org.ids)


def test_crash_after_salesforce_write_is_repaired_without_writing_twice(
    org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    _backup(org)
    from revops.migration.cutover import update

    crashes = {"left": 1}
    original_mark = update.mark_tracking

    def crash_once(store: Any, items: Any, direction: str, run_id: str) -> int:
        if direction == "cutover" and crashes["left"]:
            crashes["left"] -= 1
            raise RuntimeError("Lambda died after the Salesforce write")
        return original_mark(store, items, direction, run_id)

    monkeypatch.setattr(update, "mark_tracking", crash_once)
    crashed = org.run("FileCutoverStateMachine", {"dryRun": False}, "crash")
    assert crashed.status == "FAILED"
    stamps = {i: org.stack.org.get("DocListEntry__c", i)["SystemModstamp"] for i in org.ids}
    assert all(org.url(i) != org.original[i] for i in org.ids)  # Salesforce was written

    rerun = org.run("FileCutoverStateMachine", {"dryRun": False}, "after-crash")

    assert rerun.succeeded, rerun.cause
    assert rerun.output["plan"]["counts"]["repaired"] == FILES
    assert rerun.output["plan"]["counts"]["planned"] == 0
    # No record was written a second time.
    assert {i: org.stack.org.get("DocListEntry__c", i)["SystemModstamp"] for i in org.ids} == stamps
    for record_id in org.ids:
        item = org.store.file(record_id)
        assert item is not None and item.migration_phase == 2
        assert org.url(record_id) == org.link(record_id)


def test_rollback_of_a_partly_migrated_set_restores_only_what_moved(org: Org) -> None:
    _backup(org)
    account = org.stack.org.get("DocListEntry__c", org.ids[0])["Account__c"]
    moved = [i for i in org.ids if org.stack.org.get("DocListEntry__c", i)["Account__c"] == account]
    result = org.run(
        "FileCutoverStateMachine", {"dryRun": False, "accountId": account}, "one-account"
    )
    assert result.succeeded and result.output["updates"]["updated"] == len(moved)

    back = org.run(
        "FileRollbackStateMachine", {"dryRun": False, "runId": "one-account"}, "partial-back"
    )

    assert back.succeeded, back.cause
    assert back.output["updates"]["updated"] == len(moved)
    assert all(org.url(i) == org.original[i] for i in org.ids)


@pytest.mark.parametrize(
    "machine, payload, problem",
    [
        ("FileCutoverStateMachine", {"dryRun": "yes please"}, "dryRun"),
        ("FileCutoverStateMachine", {"batchSize": 500}, "batchSize"),
        ("FileCutoverStateMachine", {"accountId": "nope"}, "accountId"),
        ("FileRollbackStateMachine", {"recordIds": ["x"]}, "recordIds"),
        ("FileRollbackStateMachine", {"runId": "never-ran"}, "runId"),
        ("FileRollbackStateMachine", {"surprise": 1}, "surprise"),
    ],
)
def test_invalid_inputs_are_rejected_before_work_starts(
    stack: LocalStack, machine: str, payload: dict[str, Any], problem: str
) -> None:
    result = stack.run(machine, payload, name=f"bad-{problem}")

    assert result.status == "FAILED"
    assert result.error == "InvalidInputError"
    assert problem in (result.cause or "")
