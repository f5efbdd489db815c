"""The GoHighLevel integration test: every check runs and reports, pass or fail."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from local.fakes_common import ManualClock
from local.gohighlevel import FakeGoHighLevel
from revops.agentmetrics import ghl_check
from revops.integrations.gohighlevel import GoHighLevelClient, SecretsManagerTokenVault
from revops.store.agentmetrics import AgentMetricsStore
from tests.unit.agentmetrics.conftest import LOCATION, make_client
from tests.unit.agentmetrics.test_gohighlevel_client import client, tokens

NOW = datetime(2026, 1, 5, 15, tzinfo=UTC)


Run = Callable[[], ghl_check.IntegrationReport]


@pytest.fixture
def run(
    ghl: FakeGoHighLevel,
    vault: SecretsManagerTokenVault,
    store: AgentMetricsStore,
    seeded_token: str,
    clock: ManualClock,
) -> Run:
    def ghl_for(location: str) -> GoHighLevelClient:
        return client(ghl, tokens(ghl, vault, store, clock), clock)

    return lambda: ghl_check.run_checks(
        make_client(), lambda loc: vault.read(loc) is not None, ghl_for, NOW
    )


def test_every_check_passes_and_the_token_is_rotated(
    run: Run, ghl: FakeGoHighLevel, vault: SecretsManagerTokenVault, seeded_token: str
) -> None:
    report = run()
    assert report.success and [c.name for c in report.checks] == [
        "refreshToken",
        "calendar",
        "rateLimitHeaders",
    ]
    stored = vault.read(LOCATION)
    assert stored is not None and stored.refresh_token != seeded_token
    assert stored.refresh_token == ghl.current_refresh_token(LOCATION)
    assert report.checks[1].data["period"] == "2026-01"
    assert ghl_check.message(report) == "GoHighLevel integration OK: 3/3 checks passed"


def test_missing_rate_limit_headers_fail_only_that_check(
    run: Run, ghl: FakeGoHighLevel, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ghl, "_rate_headers", lambda bucket: {"X-RateLimit-Max": "100"})
    report = run()
    assert [c.passed for c in report.checks] == [True, True, False]
    assert report.checks[2].detail.startswith("missing X-RateLimit-Remaining")


def test_a_failing_calendar_is_reported_with_its_error_type(run: Run, ghl: FakeGoHighLevel) -> None:
    ghl.fail_next(20, 503)
    report = run()
    assert [c.passed for c in report.checks] == [True, False, False]
    assert report.checks[1].error_type == "GoHighLevelUnavailableError"
    assert report.checks[2].detail == "not tried: the calendar did not answer"
    assert ghl_check.message(report).endswith("(calendar, rateLimitHeaders)")
