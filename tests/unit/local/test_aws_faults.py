"""`throttled_writes`: the in-process emulator sheds DynamoDB write load as DynamoDB does."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from moto import mock_aws

from local.aws_faults import throttled_writes

REGION = "us-east-1"


@pytest.fixture
def ddb(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(key, value)
    with mock_aws():
        client = boto3.client(
            "dynamodb", region_name=REGION, config=Config(retries={"total_max_attempts": 1})
        )
        client.create_table(
            TableName="t",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        yield client


def _puts(keys: range) -> dict[str, Any]:
    return {"t": [{"PutRequest": {"Item": {"pk": {"S": f"k{i}"}}}} for i in keys]}


def _stored(ddb: Any) -> set[str]:
    return {item["pk"]["S"] for item in ddb.scan(TableName="t")["Items"]}


def _code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Code"])


def test_a_throttled_batch_writes_part_and_hands_the_rest_back_unprocessed(ddb: Any) -> None:
    with throttled_writes(0.5) as throttling:
        answer = ddb.batch_write_item(RequestItems=_puts(range(25)))

    handed_back = {r["PutRequest"]["Item"]["pk"]["S"] for r in answer["UnprocessedItems"]["t"]}
    assert len(handed_back) == 12  # every other request
    assert throttling.unprocessed == len(handed_back)
    assert _stored(ddb) == {f"k{i}" for i in range(25)} - handed_back


def test_refused_calls_write_nothing_until_the_throttling_eases(ddb: Any) -> None:
    with throttled_writes(0.0, refuse=3) as throttling:
        with pytest.raises(ClientError) as batch:
            ddb.batch_write_item(RequestItems=_puts(range(5)))
        with pytest.raises(ClientError) as put:
            ddb.put_item(TableName="t", Item={"pk": {"S": "single"}})
        with pytest.raises(ClientError) as transaction:
            ddb.transact_write_items(
                TransactItems=[{"Put": {"TableName": "t", "Item": {"pk": {"S": "tx"}}}}]
            )
        assert _stored(ddb) == set()
        ddb.put_item(TableName="t", Item={"pk": {"S": "after"}})  # the storm has passed

    assert _code(batch) == _code(put) == "ProvisionedThroughputExceededException"
    assert _code(transaction) == "TransactionCanceledException"
    reasons = transaction.value.response["CancellationReasons"]
    assert [r["Code"] for r in reasons] == ["ThrottlingError"]
    assert (throttling.calls, throttling.refused) == (4, 3)
    assert _stored(ddb) == {"after"}


def test_the_share_is_spread_evenly_over_the_calls(ddb: Any) -> None:
    refused = []
    with throttled_writes(0.3):
        for i in range(20):
            try:
                ddb.put_item(TableName="t", Item={"pk": {"S": f"k{i}"}})
            except ClientError:
                refused.append(i)

    assert refused == [3, 6, 9, 13, 16, 19]  # the 4th, 7th, 10th, 14th... call
    assert len(_stored(ddb)) == 14


def test_only_the_named_operations_are_throttled(ddb: Any) -> None:
    with throttled_writes(1.0, operations={"TransactWriteItems"}):
        ddb.put_item(TableName="t", Item={"pk": {"S": "single"}})
        with pytest.raises(ClientError):
            ddb.transact_write_items(
                TransactItems=[{"Put": {"TableName": "t", "Item": {"pk": {"S": "tx"}}}}]
            )

    assert _stored(ddb) == {"single"}


def test_outside_the_context_every_write_goes_through(ddb: Any) -> None:
    with throttled_writes(1.0):
        pass

    answer = ddb.batch_write_item(RequestItems=_puts(range(25)))

    assert answer["UnprocessedItems"] == {}
    assert len(_stored(ddb)) == 25
