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


# --------------------------------------------------------------- 7. tolerated failures


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


# ----------------------------------------------------------------- 8. dynamodb at scale


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
