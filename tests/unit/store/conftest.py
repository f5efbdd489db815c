"""A tracking table built from template.yaml in moto, and the store's pauses, recorded."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from local import moto_patches
from local.stack import create_table
from local.template import load_template, resources_of_type
from revops.store import writes
from revops.store.migration import MigrationStore

REGION = "us-east-1"
TABLE = "store-tracking"


@pytest.fixture
def store(monkeypatch: pytest.MonkeyPatch) -> Iterator[MigrationStore]:
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(key, value)
    moto_patches.apply(time_scale=0.0)
    with mock_aws():
        table = resources_of_type(load_template(), "AWS::DynamoDB::Table")["TrackingTable"]
        create_table(boto3.client("dynamodb", region_name=REGION), TABLE, table["Properties"])
        yield MigrationStore(TABLE, REGION)


@pytest.fixture
def pauses(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Every pause the store takes between tries, instead of sleeping it."""
    taken: list[float] = []
    monkeypatch.setattr(writes, "sleep", taken.append)
    return taken
