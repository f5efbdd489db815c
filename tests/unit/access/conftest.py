"""Fixtures for the access unit tests: AccessTable and AccessAuditTable in moto, from template.yaml."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from local.fakes_common import ManualClock
from local.stack import create_table
from local.template import load_template
from revops.access.sessions import CookieKeys, SessionManager
from revops.store.access import AccessStore, AuditStore

REGION = "us-east-1"
KEY = "unit-session-key-" + "u" * 40


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(key, value)
    with mock_aws():
        ddb = boto3.client("dynamodb", region_name=REGION)
        resources = load_template()["Resources"]
        create_table(ddb, "unit-access", resources["AccessTable"]["Properties"])
        create_table(ddb, "unit-audit", resources["AccessAuditTable"]["Properties"])
        yield


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def store(aws: None) -> AccessStore:
    return AccessStore("unit-access", REGION)


@pytest.fixture
def audit_store(aws: None) -> AuditStore:
    return AuditStore("unit-audit", REGION)


@pytest.fixture
def sessions(store: AccessStore, clock: ManualClock) -> SessionManager:
    return SessionManager(store, CookieKeys.from_secret({"key": KEY}), clock=clock)
