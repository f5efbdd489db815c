"""AgentMetricsImport under faults: a month that fails while the others succeed, 429 storms
from both APIs, a failing token refresh, concurrent refreshes, and inputs refused before work."""

from __future__ import annotations

from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest

from local import demo_data
from local.stack import LocalStack
from tests.integration.test_admin_api import Admin, open_admin, set_env

pytestmark = pytest.mark.e2e


@pytest.fixture
def admin(stack: LocalStack) -> Iterator[Admin]:
    with open_admin(stack) as opened:
        yield opened


VOICE = demo_data.generate_voice()
MAPLE = next(c for c in VOICE.clients if c.client_id == "client-maple")


def fast_retries(stack: LocalStack, attempts: int = 6) -> None:
    """Client-side backoff without sleeping (the workflow's own Retry is already instant)."""
    for logical in ("ImportCallsFunction", "ImportAppointmentsFunction"):
        set_env(stack, logical, RETRY_BASE_SECONDS="0", MAX_ATTEMPTS=str(attempts))


def test_a_month_that_fails_is_recorded_and_the_others_go_on(admin: Admin) -> None:
    fast_retries(admin.stack, attempts=2)
    # Month by month: the first month's listing fails on every try (2 in the client, then
    # the workflow's 3 retries), the other months never see a fault.
    admin.stack.elevenlabs.fail_next(10, 500, endpoint="list")
    status = admin.wait(
        admin.post(
            "/admin/bootstrap/import-historical",
            {
                "clientId": "client-maple",
                "startDate": "2025-01-01",
                "endDate": "2025-04-30",
                "batchSize": 1,
            },
        )
    )
    summary = status["summary"]
    assert summary["status"] == "completed_with_errors"
    assert (summary["totalMonths"], summary["successfulMonths"], summary["errorMonths"]) == (
        4,
        3,
        1,
    )
    failed = [r for r in summary["results"] if r["status"] == "error"]
    assert [r["period"] for r in failed] == ["2025-01"]
    assert failed[0]["error"] == "ElevenLabsUnavailableError"
    assert "failed after 2 attempts" in failed[0]["cause"]
    # The failed month can be retried alone: skipExisting skips the three good ones.
    retry = admin.wait(
        admin.post(
            "/admin/bootstrap/import-historical",
            {
                "clientId": "client-maple",
                "startDate": "2025-01-01",
                "endDate": "2025-04-30",
                "skipExisting": True,
            },
        )
    )["summary"]
    assert (retry["successfulMonths"], retry["skippedMonths"], retry["errorMonths"]) == (1, 3, 0)


def test_a_gohighlevel_429_storm_is_ridden_out(admin: Admin) -> None:
    fast_retries(admin.stack)
    admin.stack.ghl.fail_next(15, 429)
    summary = admin.wait(
        admin.post(
            "/admin/bootstrap/import-historical",
            {
                "clientId": "client-coastal",
                "startDate": "2025-03-01",
                "endDate": "2025-05-31",
                "batchSize": 3,
            },
        )
    )["summary"]
    assert (summary["successfulMonths"], summary["errorMonths"]) == (3, 0)
    assert not admin.stack.ghl._faults  # every injected 429 was met and retried


def test_elevenlabs_too_many_concurrent_requests_are_queued_and_retried(admin: Admin) -> None:
    set_env(admin.stack, "ImportCallsFunction", RETRY_BASE_SECONDS="0.02", MAX_ATTEMPTS="8")
    eleven = admin.stack.elevenlabs
    eleven.limit_concurrency(1, hold_secs=0.01)
    eleven.fail_next(4, 429, "too_many_concurrent_requests", endpoint="list")
    try:
        summary = admin.wait(
            admin.post(
                "/admin/bootstrap/import-historical",
                {
                    "clientId": "client-maple",
                    "startDate": "2025-01-01",
                    "endDate": "2025-06-30",
                    "includeAppointments": False,
                    "batchSize": 6,
                },
            )
        )["summary"]
    finally:
        eleven.limit_concurrency(None)
    assert (summary["successfulMonths"], summary["errorMonths"]) == (6, 0)
    zone = ZoneInfo(MAPLE.time_zone)
    months = {r["period"] for r in summary["results"]}
    expected = [
        c
        for c in VOICE.conversations
        if c.client_id == "client-maple" and f"{c.start.astimezone(zone):%Y-%m}" in months
    ]
    assert sum(r["elevenLabs"]["conversations"] for r in summary["results"]) == len(expected)
    pages = len(months) * len(MAPLE.agents)  # under 100 conversations per agent and month
    assert eleven.calls["list"] > pages  # the refused requests were sent again


def test_a_failed_token_refresh_is_retried_and_the_token_survives(admin: Admin) -> None:
    fast_retries(admin.stack)
    ghl = admin.stack.ghl
    ghl.fail_next_refresh(500, count=2)
    summary = admin.wait(
        admin.post(
            "/admin/bootstrap/import-historical",
            {
                "clientId": "client-maple",
                "startDate": "2025-09-01",
                "endDate": "2025-10-31",
                "includeElevenLabs": False,
            },
        )
    )["summary"]
    assert (summary["successfulMonths"], summary["errorMonths"]) == (2, 0)
    stored = admin.stack.client("secretsmanager").get_secret_value(
        SecretId=f"revops/local/gohighlevel/{MAPLE.location_id}"
    )["SecretString"]
    assert ghl.current_refresh_token(MAPLE.location_id) in stored


def test_concurrent_imports_refreshing_at_once_never_lose_the_token(admin: Admin) -> None:
    """Access tokens that are always about to expire make every month refresh; two imports
    of six months each run at once, and every refresh rotates the single-use token."""
    ghl = admin.stack.ghl
    ghl.access_token_ttl_secs = 1  # below the client's 5-minute skew: always refresh
    months = {
        "clientId": "client-maple",
        "startDate": "2025-01-01",
        "endDate": "2025-06-30",
        "batchSize": 6,
    }
    first = admin.post("/admin/bootstrap/import-historical", {**months, "includeElevenLabs": False})
    second = admin.post("/admin/bootstrap/bulk-sync", {**months, "syncElevenLabs": False})
    for response in (first, second):
        summary = admin.wait(response)["summary"]
        assert (summary["successfulMonths"], summary["errorMonths"]) == (6, 0)
    assert ghl.calls["token"] >= 12
    stored = admin.stack.client("secretsmanager").get_secret_value(
        SecretId=f"revops/local/gohighlevel/{MAPLE.location_id}"
    )["SecretString"]
    assert ghl.current_refresh_token(MAPLE.location_id) in stored


@pytest.mark.parametrize(
    ("payload", "error"),
    [
        (
            {
                "clientId": "client-maple",
                "startDate": "2025-01-01",
                "endDate": "2025-03-31",
                "batchSize": 13,
            },
            "InvalidInputError",
        ),
        (
            {"clientId": "client-maple", "startDate": "2025-03-01", "endDate": "2025-01-31"},
            "InvalidInputError",
        ),
        (
            {"clientId": "client-maple", "startDate": "2021-01-01", "endDate": "2025-01-31"},
            "InvalidInputError",
        ),
        (
            {"clientId": "client-nobody", "startDate": "2025-01-01", "endDate": "2025-01-31"},
            "ClientNotFoundError",
        ),
    ],
)
def test_the_workflow_refuses_bad_input_before_any_work(
    admin: Admin,
    payload: dict[str, object],
    error: str,
) -> None:
    admin.stack.elevenlabs.reset_log()
    admin.stack.ghl.reset_log()
    result = admin.stack.run("AgentMetricsImportStateMachine", payload)
    assert result.status == "FAILED" and result.error == error
    assert not admin.stack.elevenlabs.request_log and not admin.stack.ghl.request_log
