"""Every handler, invoked with its `events/` file, as `sam local invoke -e` would."""

from __future__ import annotations

from local.stack import LocalStack
from local.template import load_template, resources_of_type
from tests.conftest import EVENTS, load_event


def test_every_function_has_a_sample_event() -> None:
    functions = resources_of_type(load_template(), "AWS::Serverless::Function")
    for logical, resource in functions.items():
        folder = resource["Properties"]["CodeUri"].rstrip("/").split("/")[-1]
        assert list(EVENTS.glob(f"{folder}_*.json")), f"no events/{folder}_*.json for {logical}"


def test_stack_check_handlers_run_from_their_event_files(stack: LocalStack) -> None:
    s3 = stack.client("s3")
    source = stack.parameters["SourceBucketName"]
    account = stack.org.insert("Account", {"Name": "Globex"})
    for i in range(60):
        s3.put_object(Bucket=source, Key=f"f/{i}.txt", Body=b"abc")
        stack.org.insert(
            "DocListEntry__c",
            {"Name": f"F{i}", "Document__c": f"s3://{source}/f/{i}.txt", "Account__c": account},
        )

    plan, error = stack.invoke("PlanCheckFunction", load_event("plan_check_default.json"))
    assert error is None, plan
    assert plan["chunks"] == 2 and plan["records"] == 60

    report, error = stack.invoke("ProbeFilesFunction", load_event("probe_files_chunk.json"))
    assert error is None, report
    assert report["records"] == 50 and report["reachable"] == 50 and report["bytes"] == 150

    summary, error = stack.invoke("SummarizeCheckFunction", load_event("summarize_check_run.json"))
    assert error is None, summary
    assert summary["chunks"] == 1 and summary["reachable"] == 50

    # No integration user nor saved reports in this org: every problem, none raised.
    velocity, error = stack.invoke(
        "CheckVelocityFunction", load_event("check_velocity_default.json")
    )
    assert error is None, velocity
    assert velocity["healthy"] is False and len(velocity["problems"]) == 4
    assert "Fix:" in velocity["message"]


def test_a_malformed_event_is_a_typed_error(stack: LocalStack) -> None:
    body, error = stack.invoke("ProbeFilesFunction", {"runId": "", "bucket": 3})
    assert error == "Unhandled"
    assert body["errorType"] == "InvalidInputError"
    assert "runId" in body["errorMessage"]


def test_backup_handlers_run_from_their_event_files(stack: LocalStack) -> None:
    s3 = stack.client("s3")
    source = stack.parameters["SourceBucketName"]
    account = stack.org.insert("Account", {"Name": "Initech"})
    for i in range(30):
        s3.put_object(Bucket=source, Key=f"docs/{i}.pdf", Body=b"%PDF" + bytes([i]))
        stack.org.insert(
            "DocListEntry__c",
            {"Name": f"D{i}", "Document__c": f"s3://{source}/docs/{i}.pdf", "Account__c": account},
        )

    config, error = stack.invoke("StartBackupFunction", load_event("start_backup_full.json"))
    assert error is None, config
    assert (
        config["runId"] == "events-backup" and config["destBucket"] == "revops-local-backupbucket"
    )
    assert config == load_event("plan_backup_full.json")

    plan, error = stack.invoke("PlanBackupFunction", load_event("plan_backup_full.json"))
    assert error is None, plan
    assert plan["chunks"] == 1 and plan["counts"]["selected"] == 30

    counts, error = stack.invoke("CopyFilesFunction", load_event("copy_files_chunk.json"))
    assert error is None, counts
    assert counts["successful"] == 30 and counts["new"] == 30

    summary, error = stack.invoke("FinalizeBackupFunction", load_event("finalize_backup_run.json"))
    assert error is None, summary
    assert summary["status"] == "completed" and summary["totals"]["successful"] == 30


def test_cutover_handlers_run_from_their_event_files(stack: LocalStack) -> None:
    s3 = stack.client("s3")
    source = stack.parameters["SourceBucketName"]
    account = stack.org.insert("Account", {"Name": "Hooli"})
    for i in range(12):
        s3.put_object(Bucket=source, Key=f"c/{i}.pdf", Body=b"c" * i)
        stack.org.insert(
            "DocListEntry__c",
            {"Name": f"C{i}", "Document__c": f"s3://{source}/c/{i}.pdf", "Account__c": account},
        )
    assert stack.run("FileBackupStateMachine", {"mode": "full"}, name="events-base").succeeded

    config, error = stack.invoke("StartUrlRunFunction", load_event("start_url_run_cutover.json"))
    assert error is None, config
    assert config == load_event("plan_cutover_execute.json")
    plan, error = stack.invoke("PlanCutoverFunction", load_event("plan_cutover_execute.json"))
    assert error is None, plan
    assert plan == load_event("validate_records_plan.json")
    counts, error = stack.invoke("UpdateRecordsFunction", load_event("update_records_batch.json"))
    assert error is None and counts["updated"] == 12, counts
    report, error = stack.invoke(
        "ValidateRecordsFunction", load_event("validate_records_plan.json")
    )
    assert error is None and report["holdingNewUrl"] == 12, report
    summary, error = stack.invoke("FinalizeUrlRunFunction", load_event("finalize_url_run_run.json"))
    assert error is None and summary["status"] == "completed", summary

    rollback, error = stack.invoke(
        "PlanRollbackFunction", load_event("plan_rollback_from_database.json")
    )
    assert error is None, rollback
    assert rollback["counts"]["planned"] == 12
