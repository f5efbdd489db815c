"""StackCheck end to end: the real ASL, the real handlers, moto and the fake org."""

from __future__ import annotations

import json
from typing import Any

from local.stack import LocalStack


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
