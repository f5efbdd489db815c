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


def test_a_malformed_event_is_a_typed_error(stack: LocalStack) -> None:
    body, error = stack.invoke("ProbeFilesFunction", {"runId": "", "bucket": 3})
    assert error == "Unhandled"
    assert body["errorType"] == "InvalidInputError"
    assert "runId" in body["errorMessage"]
