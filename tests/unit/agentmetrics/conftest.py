"""Fixtures for the voice-agent metrics unit tests: a moto AgentMetricsTable built from
template.yaml, Secrets Manager, and the ElevenLabs and GoHighLevel stand-ins (no sockets)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from local.elevenlabs import FakeElevenLabs
from local.fakes_common import ManualClock
from local.gohighlevel import FakeGoHighLevel
from local.stack import create_table
from local.template import load_template
from revops.agentmetrics.models import Client, derive
from revops.integrations.gohighlevel import SecretsManagerTokenVault, StoredToken
from revops.store.agentmetrics import AgentMetricsStore

REGION = "us-east-1"
TABLE = "unit-agent-metrics"
TOKEN_PREFIX = "revops/unit/gohighlevel"
EL_KEY = "unit-xi-key"
GHL_ID, GHL_SECRET = "unit-ghl-client", "unit-ghl-secret"
LOCATION = "locUnitTest000000001"
CALENDAR = "calUnitTest000000001"


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
    }.items():
        monkeypatch.setenv(key, value)
    with mock_aws():
        yield


@pytest.fixture
def store(aws: None) -> AgentMetricsStore:
    props = load_template()["Resources"]["AgentMetricsTable"]["Properties"]
    create_table(boto3.client("dynamodb", region_name=REGION), TABLE, props)
    return AgentMetricsStore(TABLE, REGION, derive)


@pytest.fixture
def secrets(aws: None) -> Any:
    return boto3.client("secretsmanager", region_name=REGION)


@pytest.fixture
def vault(secrets: Any) -> SecretsManagerTokenVault:
    return SecretsManagerTokenVault(TOKEN_PREFIX, secrets)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def eleven() -> FakeElevenLabs:
    return FakeElevenLabs(api_key=EL_KEY)


@pytest.fixture
def ghl(clock: ManualClock) -> FakeGoHighLevel:
    fake = FakeGoHighLevel(client_id=GHL_ID, client_secret=GHL_SECRET, clock=clock)
    fake.add_location(LOCATION, timezone="America/Toronto")
    return fake


@pytest.fixture
def seeded_token(ghl: FakeGoHighLevel, vault: SecretsManagerTokenVault) -> str:
    token = ghl.issue_refresh_token(LOCATION)
    vault.write(LOCATION, StoredToken(token))
    return token


def make_client(**overrides: Any) -> Client:
    data: dict[str, Any] = {
        "client_id": "client-unit",
        "name": "Unit Dental",
        "time_zone": "America/Toronto",
        "agents": [
            {"agentId": "agent_a", "agentName": "Alpha"},
            {"agentId": "agent_b", "agentName": "Beta"},
        ],
        "location_id": LOCATION,
        "cal_id": CALENDAR,
        "attribution": {"by": "assignedUserId", "agents": {"userA": "agent_a", "userB": "agent_b"}},
    }
    data.update(overrides)
    return Client.model_validate(data)
