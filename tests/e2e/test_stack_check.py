"""StackCheck end to end: the real ASL, the real handlers, moto and the fake org."""

from __future__ import annotations

import json
from typing import Any

import pytest

from local import demo_org
from local.stack import LocalStack


@pytest.fixture(autouse=True)
def velocity_ready(stack: LocalStack) -> None:
    """The org's integration user and saved reports as the velocity reports need them."""
    stack.org.insert("User", demo_org.integration_user_record())
    demo_org.load_reports(stack.org)


def _seed_documents(stack: LocalStack, count: int, *, missing: int = 0, broken: int = 0) -> None:
    """`count` DocListEntry__c records whose files exist in the source bucket."""
    s3 = stack.client("s3")
    source = stack.parameters["SourceBucketName"]
    account = stack.org.insert("Account", {"Name": "Acme / Holdings"})
    for i in range(count):
        key = f"docs/{i:04d}/report {i}.pdf"
        if i >= missing:
            s3.put_object(Bucket=source, Key=key, Body=b"x" * (i + 1))
        url = f"https://{source}.s3.amazonaws.com/docs/{i:04d}/report%20{i}.pdf"
        stack.org.insert(
            "DocListEntry__c",
            {"Name": f"Doc {i}", "Document__c": url, "Account__c": account},
        )
    for i in range(broken):
        stack.org.insert(
            "DocListEntry__c",
            {"Name": f"Broken {i}", "Document__c": "not a url", "Account__c": account},
        )


def _items(stack: LocalStack, run_id: str) -> list[dict[str, Any]]:
    ddb = stack.client("dynamodb")
    return ddb.query(
        TableName=stack.physical_name("TrackingTable"),
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": f"CHECK#{run_id}"}},
    )["Items"]


def test_stack_check_probes_every_file_and_writes_summary(stack: LocalStack) -> None:
    _seed_documents(stack, 120, missing=3, broken=2)

    result = stack.run("StackCheckStateMachine", {"chunkSize": 25}, name="check-1")

    assert result.succeeded, result.cause
    summary = result.output
    assert summary["records"] == 122
    assert summary["chunks"] == 5  # 122 records / 25 per chunk
    assert summary["failedChunks"] == 0
    assert summary["reachable"] == 117
    assert summary["missing"] == 3
    assert summary["invalidUrl"] == 2
    assert summary["bytes"] == sum(range(4, 121))
    assert summary["healthy"] is False
    assert summary["apiUsage"]["used"] > 0
    # Effects: one tracking item per chunk, and the summary document in the work bucket.
    items = _items(stack, "check-1")
    assert sorted(i["sk"]["S"] for i in items) == [f"CHUNK#{n}" for n in range(5)]
    assert {i["status"]["S"] for i in items} == {"ok"}
    body = (
        stack.client("s3")
        .get_object(Bucket=stack.physical_name("WorkBucket"), Key=summary["summaryKey"])["Body"]
        .read()
    )
    assert json.loads(body)["records"] == 122


def test_salesforce_outage_is_retried_then_succeeds(stack: LocalStack) -> None:
    _seed_documents(stack, 10)
    # The plan step's first Salesforce call after login fails with a 503.
    stack.org.fail_nth_call(1, status=503, error_code="SERVER_UNAVAILABLE")

    result = stack.run("StackCheckStateMachine", {}, name="check-retry")

    assert result.succeeded, result.cause
    assert result.output["reachable"] == 10
    failed = [e for e in stack.history(result.arn) if e["type"] == "TaskFailed"]
    assert failed and "SalesforceUnavailableError" in failed[0]["taskFailedEventDetails"]["error"]


def test_unreadable_source_bucket_is_caught_per_chunk_and_reported(stack: LocalStack) -> None:
    _seed_documents(stack, 30)
    s3 = stack.client("s3")
    source = stack.parameters["SourceBucketName"]
    for obj in s3.list_objects_v2(Bucket=source)["Contents"]:
        s3.delete_object(Bucket=source, Key=obj["Key"])
    s3.delete_bucket(Bucket=source)

    result = stack.run("StackCheckStateMachine", {"chunkSize": 10}, name="check-nobucket")

    assert result.succeeded, result.cause
    assert result.output["failedChunks"] == 3
    assert {f["error"] for f in result.output["failures"]} == {"SourceBucketUnavailableError"}
    items = _items(stack, "check-nobucket")
    assert {i["status"]["S"] for i in items} == {"failed"}


def test_exhausted_api_limit_fails_the_execution_with_a_typed_error(stack: LocalStack) -> None:
    _seed_documents(stack, 5)
    stack.org.exhaust_daily_limit()

    result = stack.run("StackCheckStateMachine", {}, name="check-limit")

    assert result.status == "FAILED"
    assert result.error == "SalesforceLimitExceededError"


def test_wrong_field_mapping_is_a_clear_configuration_error(stack: LocalStack) -> None:
    fn = stack.client("lambda").get_function_configuration(
        FunctionName=stack.physical_name("PlanCheckFunction")
    )
    env = fn["Environment"]["Variables"] | {"DOC_URL_FIELD": "Document_Url__c"}
    stack.client("lambda").update_function_configuration(
        FunctionName=stack.physical_name("PlanCheckFunction"), Environment={"Variables": env}
    )

    result = stack.run("StackCheckStateMachine", {}, name="check-mapping")

    assert result.status == "FAILED"
    assert result.error == "MappingMismatchError"
    assert "Document_Url__c" in (result.cause or "")


# ---------------------------------------------------------------------- velocity settings


def _integration_user(stack: LocalStack) -> str:
    rows = stack.org.query(
        f"SELECT Id FROM User WHERE Username = '{demo_org.INTEGRATION_USERNAME}'"
    )["records"]
    return str(rows[0]["Id"])


def test_velocity_settings_right_pass_and_are_in_the_summary(stack: LocalStack) -> None:
    _seed_documents(stack, 3)

    result = stack.run("StackCheckStateMachine", {}, name="check-velocity-ok")

    assert result.succeeded, result.cause
    velocity = result.output["velocity"]
    assert velocity["healthy"] is True and velocity["problems"] == []
    assert velocity["integrationUser"] == {
        "username": demo_org.INTEGRATION_USERNAME,
        "id": _integration_user(stack),
        "timeZone": "America/New_York",
        "locale": "en_US",
        "weekStart": "sunday",
    }
    assert [r["metric"] for r in velocity["savedReports"]] == [
        "meetings",
        "opp_dollars",
        "closed_won",
    ]
    assert all(r["ok"] for r in velocity["savedReports"])
    assert result.output["healthy"] is True


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            {"TimeZoneSidKey": "Europe/London"},
            [
                "runs Salesforce reports in time zone Europe/London, not OrgTimeZone "
                "America/New_York",
                "edit integration@revops.example and set Time Zone to America/New_York",
            ],
        ),
        (
            {"LocaleSidKey": "en_GB"},
            [
                "has locale en_GB, whose weeks start on Monday",
                "VelocityWeekStart is sunday",
                "set Locale to one whose weeks start on Sunday, e.g. English (United States), "
                "en_US",
            ],
        ),
    ],
)
def test_a_misconfigured_integration_user_fails_the_check_with_the_fix(
    stack: LocalStack, change: dict[str, str], expected: list[str]
) -> None:
    _seed_documents(stack, 3)
    stack.org.update("User", _integration_user(stack), change)

    result = stack.run("StackCheckStateMachine", {}, name="check-velocity-user")

    assert result.status == "FAILED" and result.error == "VelocitySettingsError"
    for text in expected:
        assert text in (result.cause or "")
    # The summary is still written, with the same problem.
    s3 = stack.client("s3")
    key = "stackcheck/check-velocity-user/summary.json"
    summary = json.loads(
        s3.get_object(Bucket=stack.physical_name("WorkBucket"), Key=key)["Body"].read()
    )
    assert summary["healthy"] is False
    assert summary["velocity"]["message"] == result.cause


def test_a_saved_report_grouped_otherwise_fails_the_check_with_the_fix(
    stack: LocalStack,
) -> None:
    _seed_documents(stack, 3)
    meetings = stack.org.analytics.reports[demo_org.BOCA_REPORT_IDS["meetings"]]
    meetings.date_granularity = "Day"

    result = stack.run("StackCheckStateMachine", {}, name="check-velocity-report")

    assert result.status == "FAILED" and result.error == "VelocitySettingsError"
    cause = result.cause or ""
    assert "metric 'meetings': saved report 00O8c000001BocaMTG" in cause
    assert "groups first by Event.ActivityDate by Day; it must group by week first" in cause
    assert "Group Dates By: Calendar Week" in cause
    assert "opp_dollars" not in cause  # the right ones pass
