"""One test per moto patch: each fails if moto changes the behaviour underneath it.

If a moto upgrade fixes a bug we patch, the matching `*_without_patch` check in
`test_moto_still_needs_*` tells us, so the patch can be dropped.
"""

from __future__ import annotations

import datetime
import io
import json
import threading
import time
import uuid
import zipfile
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from local import moto_patches

REGION = "us-east-1"
PROBE = "tests/fixtures/lambdas/probe"


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(key, value)
    moto_patches.apply(time_scale=0.0)
    with mock_aws(config=moto_patches.MOTO_CONFIG):
        yield


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", "")
    return buffer.getvalue()


def _role() -> str:
    return boto3.client("iam").create_role(
        RoleName=f"r-{uuid.uuid4().hex[:8]}", AssumeRolePolicyDocument="{}"
    )["Role"]["Arn"]


def _function(name: str = "probe", env: dict[str, str] | None = None) -> str:
    return boto3.client("lambda").create_function(
        FunctionName=name,
        Runtime="python3.13",
        Role=_role(),
        Handler="app.lambda_handler",
        Code={"ZipFile": _zip()},
        Timeout=30,
        Environment={"Variables": env or {}},
        Tags={moto_patches.CODE_URI_TAG: PROBE},
    )["FunctionArn"]


def _machine(definition: dict[str, Any], name: str | None = None) -> str:
    return boto3.client("stepfunctions").create_state_machine(
        name=name or f"sm-{uuid.uuid4().hex[:8]}",
        definition=json.dumps(definition),
        roleArn=_role(),
    )["stateMachineArn"]


def _run(arn: str, payload: Any = None, timeout: float = 30) -> dict[str, Any]:
    sfn = boto3.client("stepfunctions")
    execution = sfn.start_execution(stateMachineArn=arn, input=json.dumps(payload or {}))
    deadline = time.monotonic() + timeout
    while True:
        described = sfn.describe_execution(executionArn=execution["executionArn"])
        if described["status"] != "RUNNING":
            return described
        assert time.monotonic() < deadline, "execution did not finish"
        time.sleep(0.02)


def _lambda_task(function_arn: str, **extra: Any) -> dict[str, Any]:
    return {
        "Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": function_arn, "Payload.$": "$"},
        "OutputPath": "$.Payload",
        **extra,
    }


# ------------------------------------------------------------------ 1. dispatcher


def test_lambda_invoke_runs_the_real_handler_with_its_environment_and_context(aws: None) -> None:
    _function(env={"PROBE_SETTING": "from-template"})
    response = boto3.client("lambda").invoke(
        FunctionName="probe", Payload=json.dumps({"hello": "world"}).encode()
    )
    body = json.loads(response["Payload"].read())
    assert "FunctionError" not in response
    assert body["event"] == {"hello": "world"}
    assert body["setting"] == "from-template"
    assert body["functionName"] == "probe"
    assert 0 < body["remainingMs"] <= 30_000


def test_handler_exception_returns_the_aws_error_contract(aws: None) -> None:
    _function()
    response = boto3.client("lambda").invoke(
        FunctionName="probe", Payload=json.dumps({"fail": "boom"}).encode()
    )
    body = json.loads(response["Payload"].read())
    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "ValueError"
    assert body["errorMessage"] == "boom"
    assert body["stackTrace"]


def test_invoking_a_missing_function_still_fails(aws: None) -> None:
    with pytest.raises(boto3.client("lambda").exceptions.ResourceNotFoundException):
        boto3.client("lambda").invoke(FunctionName="nope", Payload=b"{}")


def test_task_retry_and_catch_match_the_handlers_error_type(aws: None) -> None:
    fn = _function()
    arn = _machine(
        {
            "StartAt": "Flaky",
            "States": {
                "Flaky": _lambda_task(
                    fn,
                    Retry=[
                        {
                            "ErrorEquals": ["FlakyUpstreamError"],
                            "IntervalSeconds": 30,
                            "MaxAttempts": 2,
                        }
                    ],
                    Catch=[
                        {"ErrorEquals": ["ValueError"], "ResultPath": "$.error", "Next": "Caught"}
                    ],
                    End=True,
                ),
                "Caught": {"Type": "Pass", "End": True},
            },
        }
    )
    started = time.monotonic()
    ok = _run(arn, {"key": "retry-twice", "failTimes": 2})
    assert ok["status"] == "SUCCEEDED"
    assert json.loads(ok["output"])["attempts"] == 3
    assert time.monotonic() - started < 20, "Retry intervals should be scaled to zero"

    caught = _run(arn, {"fail": "bad input"})
    assert caught["status"] == "SUCCEEDED"
    assert json.loads(caught["output"])["error"]["Error"] == "ValueError"


# ------------------------------------------------------------------ 2. names


def test_two_unnamed_executions_both_start(aws: None) -> None:
    arn = _machine({"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}})
    sfn = boto3.client("stepfunctions")
    first = sfn.start_execution(stateMachineArn=arn)["executionArn"]
    second = sfn.start_execution(stateMachineArn=arn)["executionArn"]
    assert first != second
    assert not first.endswith(":None")


# ------------------------------------------------------------------ 3. startExecution


def test_nested_start_execution_sync_returns_the_child_output(aws: None) -> None:
    child = _machine(
        {
            "StartAt": "Echo",
            "States": {"Echo": {"Type": "Pass", "Result": {"child": "done"}, "End": True}},
        }
    )
    parent = _machine(
        {
            "StartAt": "Child",
            "States": {
                "Child": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::states:startExecution.sync:2",
                    "Parameters": {"StateMachineArn": child, "Input": {"from": "parent"}},
                    "End": True,
                }
            },
        }
    )
    result = _run(parent)
    assert result["status"] == "SUCCEEDED", result
    output = json.loads(result["output"])
    assert output["Output"] == {"child": "done"}
    assert output["Status"] == "SUCCEEDED"


def test_fire_and_forget_start_execution_returns_the_child_arn(aws: None) -> None:
    child = _machine({"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}})
    parent = _machine(
        {
            "StartAt": "Child",
            "States": {
                "Child": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::states:startExecution",
                    "Parameters": {"StateMachineArn": child},
                    "End": True,
                }
            },
        }
    )
    result = _run(parent)
    assert result["status"] == "SUCCEEDED", result
    assert ":execution:" in json.loads(result["output"])["ExecutionArn"]


# ------------------------------------------------------------------ 4. time


def test_wait_states_are_scaled(aws: None) -> None:
    arn = _machine(
        {"StartAt": "Nap", "States": {"Nap": {"Type": "Wait", "Seconds": 3600, "End": True}}}
    )
    started = time.monotonic()
    assert _run(arn)["status"] == "SUCCEEDED"
    assert time.monotonic() - started < 10


# ------------------------------------------------------------------ 5. S3 conditions


@pytest.fixture
def bucket(aws: None) -> Any:
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="patch-test")
    s3.put_object(Bucket="patch-test", Key="src", Body=b"x" * 10)
    return s3


def _status(error: Any) -> int:
    return int(error.value.response["ResponseMetadata"]["HTTPStatusCode"])


def _copy(s3: Any, key: str = "dst", **conditions: Any) -> Any:
    return s3.copy_object(
        Bucket="patch-test",
        Key=key,
        CopySource={"Bucket": "patch-test", "Key": "src"},
        **conditions,
    )


def test_copy_with_if_none_match_refuses_an_existing_key(bucket: Any) -> None:
    _copy(bucket, IfNoneMatch="*")
    with pytest.raises(bucket.exceptions.ClientError) as refused:
        _copy(bucket, IfNoneMatch="*")
    assert _status(refused) == 412


def test_copy_with_if_match_writes_only_over_the_expected_version(bucket: Any) -> None:
    with pytest.raises(bucket.exceptions.ClientError) as missing:
        _copy(bucket, IfMatch='"0123"')
    assert _status(missing) == 404
    first = _copy(bucket)["CopyObjectResult"]["ETag"]
    bucket.put_object(Bucket="patch-test", Key="dst", Body=b"someone else")
    with pytest.raises(bucket.exceptions.ClientError) as refused:
        _copy(bucket, IfMatch=first)
    assert _status(refused) == 412
    current = bucket.head_object(Bucket="patch-test", Key="dst")["ETag"]
    _copy(bucket, IfMatch=current)


def test_copy_source_conditions_refuse_a_changed_source(bucket: Any) -> None:
    old = bucket.head_object(Bucket="patch-test", Key="src")["ETag"]
    _copy(bucket, CopySourceIfMatch=old)
    bucket.put_object(Bucket="patch-test", Key="src", Body=b"changed")
    with pytest.raises(bucket.exceptions.ClientError) as refused:
        _copy(bucket, CopySourceIfMatch=old)
    assert _status(refused) == 412
    long_ago = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)
    with pytest.raises(bucket.exceptions.ClientError) as stale:
        _copy(bucket, CopySourceIfUnmodifiedSince=long_ago)
    assert _status(stale) == 412
    # S3's documented precedence: a matching ETag wins over a failing date.
    current = bucket.head_object(Bucket="patch-test", Key="src")["ETag"]
    _copy(bucket, CopySourceIfMatch=current, CopySourceIfUnmodifiedSince=long_ago)


def test_upload_part_copy_refuses_a_changed_source(bucket: Any) -> None:
    old = bucket.head_object(Bucket="patch-test", Key="src")["ETag"]
    bucket.put_object(Bucket="patch-test", Key="src", Body=b"changed")
    upload = bucket.create_multipart_upload(Bucket="patch-test", Key="big")["UploadId"]
    with pytest.raises(bucket.exceptions.ClientError) as refused:
        bucket.upload_part_copy(
            Bucket="patch-test",
            Key="big",
            UploadId=upload,
            PartNumber=1,
            CopySource={"Bucket": "patch-test", "Key": "src"},
            CopySourceIfMatch=old,
        )
    assert _status(refused) == 412


def test_complete_multipart_upload_with_if_match_refuses_a_replaced_object(bucket: Any) -> None:
    bucket.put_object(Bucket="patch-test", Key="doc", Body=b"v1")
    seen = bucket.head_object(Bucket="patch-test", Key="doc")["ETag"]
    bucket.put_object(Bucket="patch-test", Key="doc", Body=b"v2 by someone else")

    def complete(if_match: str) -> Any:
        upload = bucket.create_multipart_upload(Bucket="patch-test", Key="doc")["UploadId"]
        part = bucket.upload_part(
            Bucket="patch-test", Key="doc", UploadId=upload, PartNumber=1, Body=b"v3"
        )
        parts = {"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]}
        return lambda: bucket.complete_multipart_upload(
            Bucket="patch-test", Key="doc", UploadId=upload, MultipartUpload=parts, IfMatch=if_match
        )

    with pytest.raises(bucket.exceptions.ClientError) as refused:
        complete(seen)()
    assert _status(refused) == 412
    current = bucket.head_object(Bucket="patch-test", Key="doc")["ETag"]
    finish = complete(current)
    finish()
    finish()  # a retry of the completed upload answers with the object, as S3 does
    assert bucket.get_object(Bucket="patch-test", Key="doc")["Body"].read() == b"v3"


# ----------------------------------------------------------------- 6. atomic dynamodb


def test_a_reader_never_sees_an_item_half_created_by_update_item(
    aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from moto.dynamodb.parsing.executors import UpdateExpressionExecutor

    ddb = boto3.client("dynamodb")
    ddb.create_table(
        TableName="patch-atomic",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    key = {"pk": {"S": "row"}}
    seen: list[dict[str, Any]] = []
    readers: list[threading.Thread] = []
    original = UpdateExpressionExecutor.execute

    def execute(self: Any, *node: Any) -> None:
        if node:  # the executor walks the expression recursively; hook the top call
            return original(self, *node)
        # moto has stored the key-only item by now. A reader in another thread
        # gets up to half a second to read it before the update goes on.
        reader = threading.Thread(
            target=lambda: seen.append(ddb.get_item(TableName="patch-atomic", Key=key)["Item"])
        )
        reader.start()
        reader.join(timeout=0.5)
        readers.append(reader)
        original(self)

    monkeypatch.setattr(UpdateExpressionExecutor, "execute", execute)
    ddb.update_item(
        TableName="patch-atomic",
        Key=key,
        UpdateExpression="SET agent_name = :a",
        ExpressionAttributeValues={":a": {"S": "Ava"}},
    )
    for reader in readers:
        reader.join()
    assert seen == [{"pk": {"S": "row"}, "agent_name": {"S": "Ava"}}]


def test_batch_write_item_takes_at_most_25_requests(aws: None) -> None:
    ddb = boto3.client("dynamodb")
    ddb.create_table(
        TableName="patch-batch",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )

    def puts(count: int) -> dict[str, Any]:
        return {
            "patch-batch": [{"PutRequest": {"Item": {"pk": {"S": str(i)}}}} for i in range(count)]
        }

    ddb.batch_write_item(RequestItems=puts(25))
    with pytest.raises(ddb.exceptions.ClientError, match="Too many items"):
        ddb.batch_write_item(RequestItems=puts(26))


# ----------------------------------------------------------------- 7. secret size


@pytest.mark.parametrize("call", ["create", "put", "update"])
def test_a_secret_string_over_64_kib_is_refused_as_aws_refuses_it(aws: None, call: str) -> None:
    sm = boto3.client("secretsmanager")
    sm.create_secret(Name="patch-size", SecretString="x" * moto_patches.SECRET_MAX_BYTES)
    too_big = "é" * (moto_patches.SECRET_MAX_BYTES // 2 + 1)  # 2 bytes a char: the limit is bytes
    with pytest.raises(ClientError) as refused:
        if call == "create":
            sm.create_secret(Name="patch-size-2", SecretString=too_big)
        elif call == "put":
            sm.put_secret_value(SecretId="patch-size", SecretString=too_big)
        else:
            sm.update_secret(SecretId="patch-size", SecretString=too_big)
    assert refused.value.response["Error"]["Code"] == "ValidationException"
    value = sm.get_secret_value(SecretId="patch-size")["SecretString"]
    assert value == "x" * moto_patches.SECRET_MAX_BYTES  # nothing was written


def test_a_secret_binary_over_64_kib_is_refused(aws: None) -> None:
    sm = boto3.client("secretsmanager")
    with pytest.raises(ClientError) as refused:
        sm.create_secret(
            Name="patch-binary", SecretBinary=b"\0" * (moto_patches.SECRET_MAX_BYTES + 1)
        )
    assert refused.value.response["Error"]["Code"] == "ValidationException"


# ----------------------------------------------------------------- 8. SQS event sources

SQS_PROBE = "tests/fixtures/lambdas/sqs_probe"


@pytest.fixture
def pollers(aws: None) -> Iterator[list[list[dict[str, Any]]]]:
    batches: list[list[dict[str, Any]]] = moto_patches.load_handler(
        SQS_PROBE, "app.lambda_handler"
    ).__globals__["batches"]
    batches.clear()
    yield batches
    moto_patches.stop_event_sources()


def _queue_pair(max_receives: int = 3) -> tuple[str, str]:
    sqs = boto3.client("sqs")
    dlq = sqs.create_queue(QueueName=f"dlq-{uuid.uuid4().hex[:6]}")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]
    queue = sqs.create_queue(
        QueueName=f"q-{uuid.uuid4().hex[:6]}",
        Attributes={
            "VisibilityTimeout": "30",
            "RedrivePolicy": json.dumps(
                {"deadLetterTargetArn": dlq_arn["QueueArn"], "maxReceiveCount": max_receives}
            ),
        },
    )["QueueUrl"]
    return queue, dlq


def _map(queue: str, *, enabled: bool = True, reports: bool = True) -> str:
    sqs, lam = boto3.client("sqs"), boto3.client("lambda")
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]
    lam.create_function(
        FunctionName="sqs-probe",
        Runtime="python3.13",
        Role=_role(),
        Handler="app.lambda_handler",
        Code={"ZipFile": _zip()},
        Tags={moto_patches.CODE_URI_TAG: SQS_PROBE},
    )
    return str(
        lam.create_event_source_mapping(
            EventSourceArn=arn["QueueArn"],
            FunctionName="sqs-probe",
            BatchSize=10,
            Enabled=enabled,
            FunctionResponseTypes=["ReportBatchItemFailures"] if reports else [],
        )["UUID"]
    )


def _counts(queue: str) -> tuple[int, int]:
    attributes = boto3.client("sqs").get_queue_attributes(
        QueueUrl=queue,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]), int(
        attributes["ApproximateNumberOfMessagesNotVisible"]
    )


def _until(check: Any, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "the pollers did not get there"
        time.sleep(0.02)


def _send(queue: str, bodies: list[dict[str, Any]]) -> None:
    sqs = boto3.client("sqs")
    for body in bodies:
        sqs.send_message(QueueUrl=queue, MessageBody=json.dumps(body))


def test_messages_reach_the_function_in_batches_shaped_as_aws_sends_them(
    pollers: list[list[dict[str, Any]]],
) -> None:
    queue, _ = _queue_pair()
    mapping = _map(queue, enabled=False)
    _send(queue, [{"n": i} for i in range(25)])
    assert pollers == []  # moto's own mapping would have run the function inside SendMessage
    boto3.client("lambda").update_event_source_mapping(UUID=mapping, Enabled=True)
    _until(lambda: _counts(queue) == (0, 0))
    delivered = sorted(json.loads(r["body"])["n"] for batch in pollers for r in batch)
    assert delivered == list(range(25))
    assert max(len(batch) for batch in pollers) == 10  # BatchSize, not one record a call
    record = pollers[0][0]
    assert record["eventSource"] == "aws:sqs" and record["eventSourceARN"].endswith(
        queue.rsplit("/", 1)[1]
    )
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert {"messageId", "receiptHandle", "body", "md5OfBody", "awsRegion"} <= set(record)


def test_only_reported_failures_return_and_a_poison_record_ends_in_the_dead_letter_queue(
    pollers: list[list[dict[str, Any]]],
) -> None:
    queue, dlq = _queue_pair(max_receives=3)
    mapping = _map(queue, enabled=False)
    _send(queue, [{"n": 1}, {"n": 2, "fail": True}, {"n": 3}])
    boto3.client("lambda").update_event_source_mapping(UUID=mapping, Enabled=True)
    _until(lambda: _counts(dlq)[0] == 1 and _counts(queue) == (0, 0))
    seen = [json.loads(r["body"])["n"] for batch in pollers for r in batch]
    assert sorted(seen) == [1, 2, 2, 2, 3]  # the poison one three times, the others once
    counts = [
        r["attributes"]["ApproximateReceiveCount"]
        for batch in pollers
        for r in batch
        if json.loads(r["body"])["n"] == 2
    ]
    assert counts == ["1", "2", "3"]
    parked = boto3.client("sqs").receive_message(QueueUrl=dlq)["Messages"]
    assert json.loads(parked[0]["Body"]) == {"n": 2, "fail": True}


@pytest.mark.parametrize("body", [{"crash": True}, {"bad": True}])
def test_a_crash_or_a_malformed_answer_fails_the_whole_batch(
    pollers: list[list[dict[str, Any]]], body: dict[str, Any]
) -> None:
    queue, dlq = _queue_pair(max_receives=2)
    mapping = _map(queue, enabled=False)
    _send(queue, [{"n": 1}, {"n": 2, **body}])
    boto3.client("lambda").update_event_source_mapping(UUID=mapping, Enabled=True)
    _until(lambda: _counts(dlq)[0] == 2 and _counts(queue) == (0, 0))


# ----------------------------------------------------------------- 9. transactions


def _transactions_table() -> Any:
    ddb = boto3.client("dynamodb")
    ddb.create_table(
        TableName="patch-tx",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    ddb.put_item(TableName="patch-tx", Item={"pk": {"S": "a"}, "n": {"N": "1"}})
    ddb.put_item(TableName="patch-tx", Item={"pk": {"S": "c"}, "n": {"N": "7"}})
    return ddb


def _writes(condition_on_c: str) -> list[dict[str, Any]]:
    return [
        {
            "Update": {
                "TableName": "patch-tx",
                "Key": {"pk": {"S": "a"}},
                "UpdateExpression": "ADD n :one",
                "ExpressionAttributeValues": {":one": {"N": "1"}},
            }
        },
        {"Put": {"TableName": "patch-tx", "Item": {"pk": {"S": "b"}, "n": {"N": "5"}}}},
        {
            "Delete": {
                "TableName": "patch-tx",
                "Key": {"pk": {"S": "c"}},
                "ConditionExpression": condition_on_c,
                "ExpressionAttributeValues": {":seven": {"N": "7"}},
            }
        },
    ]


def test_a_cancelled_transaction_leaves_every_item_it_touched_as_it_was(aws: None) -> None:
    ddb = _transactions_table()
    with pytest.raises(ClientError) as cancelled:
        ddb.transact_write_items(TransactItems=_writes("n <> :seven"))
    assert cancelled.value.response["Error"]["Code"] == "TransactionCanceledException"
    items = {i["pk"]["S"]: i["n"]["N"] for i in ddb.scan(TableName="patch-tx")["Items"]}
    assert items == {"a": "1", "c": "7"}


def test_a_transaction_that_succeeds_applies_every_write(aws: None) -> None:
    ddb = _transactions_table()
    ddb.transact_write_items(TransactItems=_writes("n = :seven"))
    items = {i["pk"]["S"]: i["n"]["N"] for i in ddb.scan(TableName="patch-tx")["Items"]}
    assert items == {"a": "2", "b": "5"}


def test_moto_no_longer_copies_whole_tables_for_a_transaction(aws: None) -> None:
    from moto.dynamodb import models as dynamodb_models
    from moto.dynamodb.models import dynamodb_backends

    _transactions_table()
    table = dynamodb_backends["123456789012"]["us-east-1"].get_table("patch-tx")
    assert dynamodb_models.copy.deepcopy(table) is table


# --------------------------------------------------------------- 10. tolerated failures


def _distributed_map(**tolerance: Any) -> dict[str, Any]:
    return {
        "StartAt": "Items",
        "States": {
            "Items": {
                "Type": "Map",
                "ItemsPath": "$.items",
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                    "StartAt": "Bad?",
                    "States": {
                        "Bad?": {
                            "Type": "Choice",
                            "Choices": [{"Variable": "$", "StringEquals": "bad", "Next": "Fail"}],
                            "Default": "Ok",
                        },
                        "Fail": {"Type": "Fail", "Error": "ItemFailed", "Cause": "bad item"},
                        "Ok": {"Type": "Pass", "End": True},
                    },
                },
                "ResultPath": None,
                "End": True,
                **tolerance,
            }
        },
    }


@pytest.mark.parametrize(
    ("tolerance", "items", "status"),
    [
        ({}, ["ok", "bad"], "FAILED"),
        ({}, ["ok", "ok"], "SUCCEEDED"),
        ({"ToleratedFailurePercentage": 50}, ["ok", "bad"], "SUCCEEDED"),
        ({"ToleratedFailurePercentage": 49}, ["ok", "bad"], "FAILED"),
        ({"ToleratedFailurePercentagePath": "$.pct"}, ["ok", "bad"], "FAILED"),
        ({"ToleratedFailureCount": 1}, ["ok", "bad", "bad"], "FAILED"),
        ({"ToleratedFailureCount": 2}, ["ok", "bad", "bad"], "SUCCEEDED"),
        ({"ToleratedFailureCountPath": "$.count"}, ["bad", "bad", "ok"], "SUCCEEDED"),
        ({"ToleratedFailureCount": 5, "ToleratedFailurePercentage": 10}, ["ok", "bad"], "FAILED"),
    ],
)
def test_a_distributed_map_fails_past_its_tolerated_failures(
    aws: None, tolerance: dict[str, Any], items: list[str], status: str
) -> None:
    arn = _machine(_distributed_map(**tolerance))
    result = _run(arn, {"items": items, "pct": 25.0, "count": 2})
    assert result["status"] == status, result
    if status == "FAILED":
        assert result["error"] == "States.ExceedToleratedFailureThreshold"


# ------------------------------------------------------------- 12. validation


def test_a_definition_is_validated_once_and_an_invalid_one_is_still_refused(aws: None) -> None:
    from local.moto_patches.stepfunctions import _VALID_DEFINITIONS

    sfn = boto3.client("stepfunctions", region_name=REGION)
    definition = json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}})
    for name in ("first", "second"):
        sfn.create_state_machine(name=name, definition=definition, roleArn=_role())
    assert definition in _VALID_DEFINITIONS

    with pytest.raises(ClientError, match="Nowhere"):
        sfn.create_state_machine(
            name="broken", definition='{"StartAt": "Nowhere"}', roleArn=_role()
        )
    assert '{"StartAt": "Nowhere"}' not in _VALID_DEFINITIONS


# -------------------------------------------------------------- 13. dynamodb at scale


def _tracking_table(ddb: Any, name: str) -> None:
    from local.stack import create_table
    from local.template import load_template, resources_of_type

    table = resources_of_type(load_template(), "AWS::DynamoDB::Table")["TrackingTable"]
    create_table(ddb, name, table["Properties"])


def _query_all(ddb: Any, **kwargs: Any) -> list[str]:
    keys: list[str] = []
    for page in ddb.get_paginator("query").paginate(TableName="patch-scale", **kwargs):
        keys += [f"{i['pk']['S']}/{i['sk']['S']}" for i in page["Items"]]
    return keys


def _scan_expected(ddb: Any, hash_attr: str, value: str, range_attr: str) -> list[str]:
    items = [
        i
        for page in ddb.get_paginator("scan").paginate(TableName="patch-scale")
        for i in page["Items"]
        if i.get(hash_attr, {}).get("S") == value and range_attr in i
    ]
    items.sort(key=lambda i: (i[range_attr]["S"], i["pk"]["S"], i["sk"]["S"]))
    return [f"{i['pk']['S']}/{i['sk']['S']}" for i in items]


def test_queries_answer_from_the_asked_key_as_a_full_scan_would(aws: None) -> None:
    ddb = boto3.client("dynamodb")
    _tracking_table(ddb, "patch-scale")
    for n in range(60):
        ddb.put_item(
            TableName="patch-scale",
            Item={
                "pk": {"S": f"P#{n % 7}"},
                "sk": {"S": f"S#{n:03d}"},
                "gsi1pk": {"S": f"G#{n % 3}"},
                "gsi1sk": {"S": f"{(n * 37) % 60:03d}"},
            },
        )

    def gsi(value: str, **kwargs: Any) -> list[str]:
        return _query_all(
            ddb,
            IndexName="gsi1",
            KeyConditionExpression="gsi1pk = :v",
            ExpressionAttributeValues={":v": {"S": value}},
            PaginationConfig={"PageSize": 4},
            **kwargs,
        )

    table = _query_all(
        ddb,
        KeyConditionExpression="pk = :p AND begins_with(sk, :s)",
        ExpressionAttributeValues={":p": {"S": "P#3"}, ":s": {"S": "S#0"}},
        ScanIndexForward=False,
    )
    assert table == [f"P#3/S#{n:03d}" for n in reversed(range(60)) if n % 7 == 3 and n < 100]
    assert gsi("G#1") == _scan_expected(ddb, "gsi1pk", "G#1", "gsi1sk")
    assert gsi("G#9") == []

    # Writes are seen by the next query: an item moves index key, another goes.
    ddb.update_item(
        TableName="patch-scale",
        Key={"pk": {"S": "P#1"}, "sk": {"S": "S#001"}},
        UpdateExpression="SET gsi1pk = :g",
        ExpressionAttributeValues={":g": {"S": "G#2"}},
    )
    ddb.delete_item(TableName="patch-scale", Key={"pk": {"S": "P#2"}, "sk": {"S": "S#002"}})
    assert gsi("G#2") == _scan_expected(ddb, "gsi1pk", "G#2", "gsi1sk")
    assert gsi("G#1", ScanIndexForward=False) == list(
        reversed(_scan_expected(ddb, "gsi1pk", "G#1", "gsi1sk"))
    )


def test_a_cancelled_transaction_leaves_every_item_as_it_was(aws: None) -> None:
    ddb = boto3.client("dynamodb")
    _tracking_table(ddb, "patch-scale")

    def key(n: int) -> dict[str, Any]:
        return {"pk": {"S": f"K#{n}"}, "sk": {"S": "X"}}

    for n in (1, 2):
        ddb.put_item(TableName="patch-scale", Item=key(n) | {"v": {"N": str(n)}})
    before = ddb.scan(TableName="patch-scale")["Items"]

    with pytest.raises(ClientError) as cancelled:
        ddb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": "patch-scale", "Item": key(3) | {"v": {"N": "3"}}}},
                {
                    "Update": {
                        "TableName": "patch-scale",
                        "Key": key(1),
                        "UpdateExpression": "SET v = :v",
                        "ExpressionAttributeValues": {":v": {"N": "10"}},
                    }
                },
                {"Delete": {"TableName": "patch-scale", "Key": key(2)}},
                {
                    "ConditionCheck": {
                        "TableName": "patch-scale",
                        "Key": key(4),
                        "ConditionExpression": "attribute_exists(pk)",
                    }
                },
            ]
        )

    reasons = [r["Code"] for r in cancelled.value.response["CancellationReasons"]]
    assert reasons == ["None", "None", "None", "ConditionalCheckFailed"]
    assert ddb.scan(TableName="patch-scale")["Items"] == before

    ddb.transact_write_items(
        TransactItems=[
            {"Put": {"TableName": "patch-scale", "Item": key(3) | {"v": {"N": "3"}}}},
            {"Delete": {"TableName": "patch-scale", "Key": key(2)}},
        ]
    )
    assert {i["pk"]["S"] for i in ddb.scan(TableName="patch-scale")["Items"]} == {"K#1", "K#3"}


def test_read_answers_carry_every_attribute_type_as_written(aws: None) -> None:
    ddb = boto3.client("dynamodb")
    _tracking_table(ddb, "patch-scale")
    item = {
        "pk": {"S": "K#1"},
        "sk": {"S": "X"},
        "gsi1pk": {"S": "G"},
        "gsi1sk": {"S": "1"},
        "text": {"S": 'Café 🚀 " <>'},
        "number": {"N": "12345.678"},
        "binary": {"B": b"\x00\xff"},
        "flag": {"BOOL": True},
        "nothing": {"NULL": True},
        "map": {"M": {"a": {"N": "1"}, "b": {"L": [{"S": "x"}, {"N": "2"}]}}},
        "strings": {"SS": ["a", "b"]},
    }
    ddb.put_item(TableName="patch-scale", Item=item)
    key = {"pk": item["pk"], "sk": item["sk"]}

    read = [
        ddb.get_item(TableName="patch-scale", Key=key)["Item"],
        ddb.batch_get_item(RequestItems={"patch-scale": {"Keys": [key]}})["Responses"][
            "patch-scale"
        ][0],
        ddb.query(
            TableName="patch-scale",
            IndexName="gsi1",
            KeyConditionExpression="gsi1pk = :g",
            ExpressionAttributeValues={":g": {"S": "G"}},
        )["Items"][0],
        ddb.scan(TableName="patch-scale")["Items"][0],
    ]

    for answer in read:
        answer["strings"]["SS"].sort()
        assert answer == item


# -------------------------------------------------------------- 14. plain projections


def test_a_projection_of_top_level_names_returns_exactly_those_attributes(aws: None) -> None:
    ddb = boto3.client("dynamodb")
    _tracking_table(ddb, "patch-scale")
    item = {
        "pk": {"S": "FILE#ä€𝄞"},
        "sk": {"S": "META"},
        "gsi1pk": {"S": "ACCOUNT#1"},
        "gsi1sk": {"S": "x"},
        "n": {"N": "123456789012345678901234567890.5"},
        "b": {"B": b"\x00\xffbytes"},
        "ss": {"SS": ["a", "b"]},
        "m": {"M": {"a": {"N": "1"}, "b": {"L": [{"S": "x"}, {"NULL": True}]}}},
        "flag": {"BOOL": False},
        "gone": {"NULL": True},
        "left_out": {"S": "not asked"},
    }
    ddb.put_item(TableName="patch-scale", Item=item)
    names = ["pk", "n", "b", "ss", "m", "flag", "gone", "never_written"]
    expression = ", ".join(f"#a{i}" for i in range(len(names)))
    aliases = {f"#a{i}": name for i, name in enumerate(names)}
    wanted = {name: item[name] for name in names if name in item}

    got = ddb.get_item(
        TableName="patch-scale",
        Key={"pk": item["pk"], "sk": item["sk"]},
        ProjectionExpression=expression,
        ExpressionAttributeNames=aliases,
    )["Item"]
    queried = ddb.query(
        TableName="patch-scale",
        IndexName="gsi1",
        KeyConditionExpression="gsi1pk = :a",
        ExpressionAttributeValues={":a": {"S": "ACCOUNT#1"}},
        ProjectionExpression=expression,
        ExpressionAttributeNames=aliases,
    )["Items"]
    nested = ddb.get_item(
        TableName="patch-scale",
        Key={"pk": item["pk"], "sk": item["sk"]},
        ProjectionExpression="m.b[0], m.a",
    )["Item"]

    assert {k: v for k, v in got.items() if k != "ss"} == {
        k: v for k, v in wanted.items() if k != "ss"
    }
    assert sorted(got["ss"]["SS"]) == ["a", "b"]
    assert queried == [got]
    assert nested == {"m": {"M": {"a": {"N": "1"}, "b": {"L": [{"S": "x"}]}}}}
    # The stored item is untouched by what a projection returned.
    assert ddb.get_item(TableName="patch-scale", Key={"pk": item["pk"], "sk": item["sk"]})["Item"][
        "left_out"
    ] == {"S": "not asked"}


# -------------------------------------------------------------- 15. indexed listings


def _listed(s3: Any, bucket: str, **kwargs: Any) -> list[str]:
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, **kwargs)
    return [o["Key"] for page in pages for o in page.get("Contents", [])]


def test_listings_page_through_keys_in_s3_order_as_the_bucket_changes(aws: None) -> None:
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="patch-list")
    names = [f"a/{n:03d}" for n in range(40)] + ["a/é", "a/𝄞", "a/z#?", "b/1", "a"]
    for name in names:
        s3.put_object(Bucket="patch-list", Key=name, Body=b"x")
    every = sorted(names, key=lambda n: n.encode("utf-8"))

    assert _listed(s3, "patch-list", PaginationConfig={"PageSize": 7}) == every
    assert _listed(s3, "patch-list", Prefix="a/", StartAfter="a/017") == [
        n for n in every if n.startswith("a/") and n > "a/017"
    ]
    assert _listed(s3, "patch-list", Prefix="a/0", PaginationConfig={"PageSize": 3}) == [
        n for n in every if n.startswith("a/0")
    ]
    page = s3.list_objects_v2(Bucket="patch-list", Prefix="a/", MaxKeys=5)
    assert page["IsTruncated"] and page["KeyCount"] == 5
    assert s3.list_objects_v2(Bucket="patch-list", MaxKeys=0)["KeyCount"] == 0

    # Keys added and removed since the last listing are seen by the next one.
    s3.put_object(Bucket="patch-list", Key="a/0005", Body=b"y")
    s3.delete_object(Bucket="patch-list", Key="a/001")
    s3.delete_objects(Bucket="patch-list", Delete={"Objects": [{"Key": "b/1"}]})
    after = sorted((set(every) | {"a/0005"}) - {"a/001", "b/1"}, key=lambda n: n.encode("utf-8"))
    assert _listed(s3, "patch-list") == after
    # A delimiter still goes through moto's own listing.
    folders = s3.list_objects_v2(Bucket="patch-list", Delimiter="/")
    assert [p["Prefix"] for p in folders["CommonPrefixes"]] == ["a/"]


def test_a_versioned_bucket_lists_no_deleted_key(aws: None) -> None:
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="patch-versions")
    s3.put_bucket_versioning(Bucket="patch-versions", VersioningConfiguration={"Status": "Enabled"})
    for name in ("k1", "k2", "k3"):
        s3.put_object(Bucket="patch-versions", Key=name, Body=b"1")
    s3.put_object(Bucket="patch-versions", Key="k2", Body=b"2")
    s3.delete_object(Bucket="patch-versions", Key="k1")  # a delete marker

    assert _listed(s3, "patch-versions") == ["k2", "k3"]
