"""One test per moto patch: each fails if moto changes the behaviour underneath it.

If a moto upgrade fixes a bug we patch, the matching `*_without_patch` check in
`test_moto_still_needs_*` tells us, so the patch can be dropped.
"""

from __future__ import annotations

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


# ------------------------------------------------------------------ 5. conditional copy


def test_copy_with_if_none_match_refuses_an_existing_key(aws: None) -> None:
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="patch-test")
    s3.put_object(Bucket="patch-test", Key="src", Body=b"x")
    s3.copy_object(
        Bucket="patch-test",
        Key="dst",
        CopySource={"Bucket": "patch-test", "Key": "src"},
        IfNoneMatch="*",
    )
    with pytest.raises(s3.exceptions.ClientError) as refused:
        s3.copy_object(
            Bucket="patch-test",
            Key="dst",
            CopySource={"Bucket": "patch-test", "Key": "src"},
            IfNoneMatch="*",
        )
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 412


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


def test_a_definition_is_validated_once_and_an_invalid_one_is_still_refused(aws: None) -> None:
    sfn = boto3.client("stepfunctions", region_name=REGION)
    definition = json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}})
    for name in ("first", "second"):
        sfn.create_state_machine(name=name, definition=definition, roleArn=_role())
    assert definition in moto_patches._VALID_DEFINITIONS

    with pytest.raises(ClientError, match="Nowhere"):
        sfn.create_state_machine(
            name="broken", definition='{"StartAt": "Nowhere"}', roleArn=_role()
        )
    assert '{"StartAt": "Nowhere"}' not in moto_patches._VALID_DEFINITIONS
