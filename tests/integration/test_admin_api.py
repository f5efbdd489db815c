"""The admin HTTP API through API Gateway's contract: the real authorizer and the real admin
function (both run by the local stack's Lambda with template.yaml's environment), API Gateway
v2 events built by `LocalHttpApi`, the ElevenLabs and GoHighLevel stand-ins behind them."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from local import demo_data
from local.demo_agent_metrics import (
    LocalHttpApi,
    admin_session,
    client_body,
    month_dates,
    register_clients,
)
from local.stack import LOCAL_ADMIN_TOKEN, LocalStack

VOICE = demo_data.generate_voice()
MAPLE = next(c for c in VOICE.clients if c.client_id == "client-maple")
COASTAL = next(c for c in VOICE.clients if c.client_id == "client-coastal")
START, END = month_dates(VOICE.months)


@dataclass
class Admin:
    stack: LocalStack
    api: LocalHttpApi
    http: requests.Session

    @property
    def base(self) -> str:
        return self.api.base_url

    def get(self, path: str, **params: Any) -> requests.Response:
        return self.http.get(f"{self.base}{path}", params=params)

    def post(self, path: str, body: Any) -> requests.Response:
        return self.http.post(f"{self.base}{path}", json=body)

    def put(self, path: str, body: Any) -> requests.Response:
        return self.http.put(f"{self.base}{path}", json=body)

    def wait(self, accepted: requests.Response, timeout: float = 300) -> dict[str, Any]:
        assert accepted.status_code == 202, accepted.text
        data = accepted.json()["data"]
        result = self.stack.wait(data["executionArn"], timeout=timeout)
        assert result.succeeded, (result.error, result.cause)
        status = self.get(data["statusUrl"])
        assert status.status_code == 200, status.text
        return dict(status.json()["data"])


def set_env(stack: LocalStack, logical: str, **values: str) -> None:
    """Change a deployed function's environment, as `aws lambda update-function-configuration`."""
    lam = stack.client("lambda")
    name = stack.physical_name(logical)
    env = lam.get_function_configuration(FunctionName=name)["Environment"]["Variables"]
    env.update(values)
    lam.update_function_configuration(FunctionName=name, Environment={"Variables": env})


@contextmanager
def open_admin(stack: LocalStack) -> Iterator[Admin]:
    """The demo data in the stand-ins, its clients registered, the API in front of `stack`."""
    demo_data.load_voice(stack.elevenlabs, stack.ghl, VOICE)
    api = LocalHttpApi(stack).install()
    try:
        http = admin_session(api)
        register_clients(http, api.base_url, VOICE, stack.ghl)
        yield Admin(stack, api, http)
    finally:
        api.uninstall()


@pytest.fixture
def admin(stack: LocalStack) -> Iterator[Admin]:
    with open_admin(stack) as opened:
        yield opened


def expected_counts(client: demo_data.ClientSpec, month: str) -> tuple[int, dict[str, int]]:
    """(booked appointments, bookings per agent) straight from the demo data."""
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(client.time_zone)
    per_agent = {a.agent_id: 0 for a in client.agents}
    booked = 0
    for appt in VOICE.appointments:
        if appt.client_id != client.client_id or f"{appt.start.astimezone(zone):%Y-%m}" != month:
            continue
        key = appt.assigned_user_id if client.attribution == "assigned_user" else appt.calendar_id
        if (
            client.attribution == "calendar"
            and key not in client.agent_for
            and key != client.cal_id
        ):
            continue  # a calendar the client does not use for agents
        if appt.status in demo_data.BOOKED_STATUSES:
            booked += 1
            agent = client.agent_for.get(key)
            if agent:
                per_agent[agent] += 1
    return booked, per_agent


# --------------------------------------------------------------------------- auth


ROUTES = [
    ("GET", "/admin/bootstrap/appointments/counts?clientId=client-maple&year=2025&month=3"),
    ("POST", "/admin/bootstrap/appointments/sync"),
    (
        "GET",
        f"/admin/bootstrap/appointments/historical?clientId=client-maple&startDate={START}&endDate={END}",
    ),
    ("POST", "/admin/bootstrap/bulk-sync"),
    ("POST", "/admin/bootstrap/import-historical"),
    ("GET", "/admin/bootstrap/imports/some-import"),
    ("GET", f"/admin/bootstrap/validate?clientId=client-maple&startDate={START}&endDate={END}"),
    ("GET", "/admin/reports/dashboard-summary?clientId=client-maple"),
    (
        "GET",
        "/admin/reports/combined-metrics?clientId=client-maple&startYear=2025&startMonth=1&endYear=2025&endMonth=3",
    ),
    ("PUT", "/admin/clients/client-maple"),
    ("GET", "/admin/clients/client-maple"),
    ("GET", "/admin/ghl/test-integration?clientId=client-maple"),
]


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_every_route_answers_401_without_a_well_formed_bearer_and_403_for_a_wrong_one(
    admin: Admin, method: str, path: str
) -> None:
    url = f"{admin.base}{path}"
    bare = admin.api.session()
    calls = admin.api.authorizer_calls
    missing = bare.request(method, url)
    assert (missing.status_code, missing.json()) == (401, {"message": "Unauthorized"})
    assert admin.api.authorizer_calls == calls, "API Gateway answers a missing header itself"
    for malformed in ("Basic YWRtaW46YWRtaW4=", "Bearer", "Bearer ", f"Token {LOCAL_ADMIN_TOKEN}"):
        response = bare.request(method, url, headers={"Authorization": malformed})
        assert response.status_code == 401, malformed
    wrong = bare.request(method, url, headers={"Authorization": "Bearer not-the-token"})
    assert (wrong.status_code, wrong.json()) == (403, {"message": "Forbidden"})


def test_the_token_never_reaches_the_logs(admin: Admin, capfd: pytest.CaptureFixture[str]) -> None:
    from revops.observability import logger

    level = logger.log_level
    logger.setLevel("DEBUG")
    try:
        admin.get("/admin/reports/dashboard-summary", clientId="client-maple")
        admin.api.session().get(
            f"{admin.base}/admin/clients/client-maple",
            headers={"Authorization": "Bearer a-wrong-secret-token"},
        )
    finally:
        logger.setLevel(level)
    out, err = capfd.readouterr()
    assert LOCAL_ADMIN_TOKEN not in out + err
    assert "a-wrong-secret-token" not in out + err


def test_an_unknown_path_is_404_from_the_gateway(admin: Admin) -> None:
    response = admin.get("/admin/bootstrap/nothing-here")
    assert (response.status_code, response.json()) == (404, {"message": "Not Found"})


# --------------------------------------------------------------------------- clients


def test_a_registered_client_reads_back_without_its_token(admin: Admin) -> None:
    response = admin.get("/admin/clients/client-maple")
    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True and body["message"] == "Client retrieved"
    data = body["data"]
    assert data["calId"] == MAPLE.cal_id and data["locationId"] == MAPLE.location_id
    assert data["hasRefreshToken"] is True
    token = admin.stack.ghl.current_refresh_token(MAPLE.location_id)
    assert token not in response.text and "refreshToken" not in data
    secret = admin.stack.client("secretsmanager").get_secret_value(
        SecretId=f"revops/local/gohighlevel/{MAPLE.location_id}"
    )
    assert token in secret["SecretString"]


# --------------------------------------------------------------------------- short calls


def test_counts_match_the_appointments_in_the_local_month(admin: Admin) -> None:
    response = admin.get(
        "/admin/bootstrap/appointments/counts", clientId="client-maple", year=2025, month=3
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["message"] == "Appointment counts retrieved successfully"
    data = body["data"]
    booked, per_agent = expected_counts(MAPLE, "2025-03")
    assert data["success"] is True and data["period"] == "2025-03"
    assert data["clientId"] == "client-maple"
    assert data["totalBookings"] == booked
    assert {a: v["bookingCount"] for a, v in data["agentBookings"].items()} == per_agent
    agent = data["agentBookings"][MAPLE.agents[0].agent_id]
    assert agent["agentName"] == MAPLE.agents[0].name
    assert len(agent["appointments"]) == agent["bookingCount"]
    assert data["dateRange"] == {
        "start": "2025-03-01T05:00:00.000Z",
        "end": "2025-04-01T03:59:59.000Z",
    }


def test_sync_writes_bookings_and_reports_previous_and_new(admin: Admin) -> None:
    body = {"clientId": "client-coastal", "year": 2025, "month": 3}
    first = admin.post("/admin/bootstrap/appointments/sync", body)
    assert first.status_code == 200, first.text
    assert first.json()["message"] == "Appointment metrics synced for period 2025-03"
    data = first.json()["data"]
    booked, per_agent = expected_counts(COASTAL, "2025-03")
    assert data["totalConfirmedBookings"] == booked
    updates = data["agentUpdates"]
    assert {a: u["newBookings"] for a, u in updates.items()} == per_agent
    assert all(u["previousBookings"] == 0 for u in updates.values())
    again = admin.post("/admin/bootstrap/appointments/sync", body).json()["data"]["agentUpdates"]
    assert {a: u["previousBookings"] for a, u in again.items()} == per_agent


def test_appointments_found_counts_the_booked_ones_as_in_the_seed(admin: Admin) -> None:
    body = {"clientId": "client-maple", "year": 2025, "month": 3}
    data = admin.post("/admin/bootstrap/appointments/sync", body).json()["data"]
    for update in data["agentUpdates"].values():
        assert update["appointmentsFound"] == update["newBookings"]
    assert data["totalAppointments"] > data["totalConfirmedBookings"]  # every status counted


# --------------------------------------------------------------------------- GoHighLevel test


def test_the_ghl_integration_test_passes_each_check_and_rotates_the_token(admin: Admin) -> None:
    ghl = admin.stack.ghl
    before = ghl.current_refresh_token(MAPLE.location_id)
    response = admin.get("/admin/ghl/test-integration", clientId="client-maple")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["message"] == "GoHighLevel integration OK: 3/3 checks passed"
    data = body["data"]
    assert data["success"] is True and (data["totalChecks"], data["passedChecks"]) == (3, 3)
    checks = {c["name"]: c for c in data["checks"]}
    assert set(checks) == {"refreshToken", "calendar", "rateLimitHeaders"}
    assert checks["calendar"]["data"]["calendarId"] == MAPLE.cal_id
    assert checks["rateLimitHeaders"]["data"]["headers"]["X-RateLimit-Max"] == "100"
    after = ghl.current_refresh_token(MAPLE.location_id)
    assert after != before  # exchanged: the old one is dead, the new one stored
    secret = admin.stack.client("secretsmanager").get_secret_value(
        SecretId=f"revops/local/gohighlevel/{MAPLE.location_id}"
    )
    assert after in secret["SecretString"]
    assert before not in response.text and after not in response.text
    again = admin.get("/admin/ghl/test-integration", clientId="client-maple").json()
    assert again["data"]["success"] is True  # the rotated token works in turn


def test_the_ghl_integration_test_reports_each_failure_without_failing(admin: Admin) -> None:
    admin.stack.ghl.revoke(COASTAL.location_id)
    data = admin.get("/admin/ghl/test-integration", clientId="client-coastal").json()["data"]
    checks = {c["name"]: c for c in data["checks"]}
    assert data["success"] is False and data["failedChecks"] == 3
    assert checks["refreshToken"]["errorType"] == "GoHighLevelReauthorizationError"
    assert "reconnect" in checks["refreshToken"]["detail"]
    assert checks["calendar"]["detail"] == "not tried: there is no working token"
    partial = {**client_body(MAPLE, None), "calId": None, "locationId": "locNoTokenAtAll0001"}
    assert admin.put("/admin/clients/client-partial", partial).status_code == 200
    response = admin.get("/admin/ghl/test-integration", clientId="client-partial")
    assert response.status_code == 200
    body = response.json()
    assert body["message"].startswith("GoHighLevel integration failing: 3 of 3 checks failed")
    details = [c["detail"] for c in body["data"]["checks"]]
    assert "no refresh token is stored" in details[0] and details[1] == "the client has no calId"
    assert admin.get("/admin/ghl/test-integration", clientId="nobody").status_code == 404


def test_historical_appointments_by_month(admin: Admin) -> None:
    response = admin.get(
        "/admin/bootstrap/appointments/historical",
        clientId="client-coastal",
        startDate="2024-12-01",
        endDate="2025-02-28",
    )
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert [m["period"] for m in data["months"]] == ["2024-12", "2025-01", "2025-02"]
    gaps = demo_data.VOICE_GAP_MONTHS["client-coastal"]
    for month in data["months"]:
        if month["period"] in gaps:
            assert month["totalAppointments"] == 0
        else:
            assert month["totalBookings"] == expected_counts(COASTAL, month["period"])[0]


# --------------------------------------------------------------------------- long calls


def test_import_historical_answers_202_and_the_status_url_reports_the_summary(
    admin: Admin,
) -> None:
    accepted = admin.post(
        "/admin/bootstrap/import-historical",
        {
            "clientId": "client-maple",
            "startDate": "2025-02-01",
            "endDate": "2025-04-30",
            "batchSize": 2,
        },
    )
    assert accepted.status_code == 202, accepted.text
    body = accepted.json()
    assert body["success"] is True and body["message"] == "Historical import started for 3 months"
    data = body["data"]
    assert data["executionArn"].startswith("arn:aws:states:")
    assert data["statusUrl"] == f"/admin/bootstrap/imports/{data['importId']}"
    assert accepted.headers["Location"] == data["statusUrl"]
    status = admin.wait(accepted)
    assert status["status"] == "SUCCEEDED"
    # The seed's summary fields, at the top of `data` once done (and the full summary).
    assert (status["totalMonths"], status["successfulMonths"], status["errorMonths"]) == (3, 3, 0)
    assert status["completedMonths"] == 3 and status["pendingMonths"] == 0
    summary = status["summary"]
    assert (summary["totalMonths"], summary["successfulMonths"], summary["errorMonths"]) == (
        3,
        3,
        0,
    )
    assert [r["period"] for r in summary["results"]] == ["2025-02", "2025-03", "2025-04"]
    assert summary["validation"]["totalMonths"] == 3


def test_prefer_wait_answers_200_with_the_seeds_synchronous_body(admin: Admin) -> None:
    response = admin.http.post(
        f"{admin.base}/admin/bootstrap/import-historical",
        json={"clientId": "client-maple", "startDate": "2025-02-01", "endDate": "2025-03-31"},
        headers={"Prefer": "respond-async, wait=20"},
    )
    assert response.status_code == 200, response.text
    assert response.headers["Preference-Applied"] == "wait=20"
    body = response.json()
    assert body["message"] == "Import completed: 2/2 months successful, 0 failed, 0 skipped"
    data = body["data"]  # what the seed's scripts read
    assert (data["successfulMonths"], data["totalMonths"], data["errorMonths"]) == (2, 2, 0)
    assert data["status"] == "SUCCEEDED" and data["summary"]["status"] == "completed"
    assert response.headers["Location"] == f"/admin/bootstrap/imports/{data['importId']}"


def test_prefer_wait_too_short_still_answers_202_and_caps_at_25_seconds(admin: Admin) -> None:
    admin.stack.elevenlabs.hold_requests()
    try:
        response = admin.http.post(
            f"{admin.base}/admin/bootstrap/bulk-sync",
            json={"clientId": "client-maple", "startDate": "2025-02-01", "endDate": "2025-02-28"},
            headers={"Prefer": "wait=1"},
        )
        assert response.status_code == 202, response.text
        assert response.headers["Preference-Applied"] == "wait=1"
    finally:
        admin.stack.elevenlabs.release_requests()
    admin.wait(response)
    from revops.agentmetrics.api.prefer import requested_wait

    assert requested_wait("wait=600") == 25
    assert requested_wait('handling=lenient, WAIT="7"; x=1') == 7
    for ignored in (None, "", "wait", "wait=soon", "wait=-1", "respond-async"):
        assert requested_wait(ignored) is None


def test_bulk_sync_starts_an_import_of_every_month(admin: Admin) -> None:
    accepted = admin.post(
        "/admin/bootstrap/bulk-sync",
        {
            "clientId": "client-coastal",
            "startDate": "2025-01-01",
            "endDate": "2025-03-31",
            "syncElevenLabs": True,
            "syncAppointments": False,
        },
    )
    assert accepted.json()["message"] == "Bulk sync started for 3 months"
    summary = admin.wait(accepted)["summary"]
    assert summary["successfulMonths"] == 3
    assert all(r["appointments"] is None and r["elevenLabs"] for r in summary["results"])


def test_import_status_while_running_shows_progress(admin: Admin) -> None:
    admin.stack.elevenlabs.hold_requests()
    try:
        accepted = admin.post(
            "/admin/bootstrap/import-historical",
            {"clientId": "client-maple", "startDate": "2025-01-01", "endDate": "2025-02-28"},
        )
        url = accepted.json()["data"]["statusUrl"]
        deadline = time.monotonic() + 30
        while True:
            running = admin.get(url).json()
            if running["data"]["totalMonths"] or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert running["data"]["status"] == "RUNNING"
        assert running["data"]["pendingMonths"] == 2 and running["data"]["totalMonths"] == 2
        assert [r["status"] for r in running["data"]["results"]] == ["pending", "pending"]
        assert running["data"]["summary"] is None
        assert running["message"] == "Import running: 0/2 months done"
    finally:
        admin.stack.elevenlabs.release_requests()
    admin.wait(accepted)


def test_validate_and_reports_read_the_imported_history(admin: Admin) -> None:
    admin.wait(
        admin.post(
            "/admin/bootstrap/import-historical",
            {
                "clientId": "client-maple",
                "startDate": "2025-03-01",
                "endDate": "2025-05-31",
                "batchSize": 3,
            },
        )
    )
    validation = admin.get(
        "/admin/bootstrap/validate",
        clientId="client-maple",
        startDate="2025-01-01",
        endDate="2025-05-31",
    ).json()
    assert validation["message"] == "Validation completed. 3/5 months have data."
    assert validation["data"]["dataGaps"] == ["2025-01", "2025-02"]
    overbooked = {i["period"] for i in validation["data"]["consistency"]["issues"]}
    assert overbooked == {"2025-04"}  # planted: bookings above calls
    combined = admin.get(
        "/admin/reports/combined-metrics",
        clientId="client-maple",
        startYear=2025,
        startMonth=3,
        endYear=2025,
        endMonth=5,
    ).json()
    assert combined["success"] is True
    months = combined["data"]["months"]
    assert [m["period"] for m in months] == ["2025-03", "2025-04", "2025-05"]
    row = months[0]["agents"][0]
    assert set(row) >= {
        "inboundCalls",
        "outboundCalls",
        "totalCalls",
        "successfulBookings",
        "totalDuration",
        "averageDuration",
        "successRate",
        "updatedAt",
        "sources",
    }
    assert row["sources"]["totalCalls"]["system"] == "elevenlabs"
    assert row["sources"]["successfulBookings"]["system"] == "gohighlevel"
    dashboard = admin.get("/admin/reports/dashboard-summary", clientId="client-maple").json()
    assert dashboard["message"] == "Dashboard summary retrieved successfully"
    assert dashboard["data"]["latestPeriodWithData"] == "2025-05"
    assert dashboard["data"]["trailing12Months"]["monthsWithData"] == 3
    assert dashboard["data"]["lastImport"]["status"] == "completed"


# --------------------------------------------------------------------------- bad input


def error_of(response: requests.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.text)
    body = response.json()
    assert body["success"] is False and body["error"] and body["requestId"]
    return dict(body)


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/admin/bootstrap/appointments/counts?clientId=nobody&year=2025&month=3", None),
        (
            "POST",
            "/admin/bootstrap/appointments/sync",
            {"clientId": "nobody", "year": 2025, "month": 3},
        ),
        (
            "GET",
            "/admin/bootstrap/appointments/historical?clientId=nobody&startDate=2025-01-01&endDate=2025-01-31",
            None,
        ),
        (
            "POST",
            "/admin/bootstrap/bulk-sync",
            {"clientId": "nobody", "startDate": "2025-01-01", "endDate": "2025-01-31"},
        ),
        (
            "POST",
            "/admin/bootstrap/import-historical",
            {"clientId": "nobody", "startDate": "2025-01-01", "endDate": "2025-01-31"},
        ),
        (
            "GET",
            "/admin/bootstrap/validate?clientId=nobody&startDate=2025-01-01&endDate=2025-01-31",
            None,
        ),
        ("GET", "/admin/reports/dashboard-summary?clientId=nobody", None),
        (
            "GET",
            "/admin/reports/combined-metrics?clientId=nobody&startYear=2025&startMonth=1&endYear=2025&endMonth=2",
            None,
        ),
        ("GET", "/admin/clients/nobody", None),
        ("GET", "/admin/bootstrap/imports/no-such-import", None),
    ],
)
def test_unknown_clients_and_imports_are_404(
    admin: Admin, method: str, path: str, body: Any
) -> None:
    response = admin.http.request(method, f"{admin.base}{path}", json=body)
    error = error_of(response, 404)
    assert "does not exist" in error["error"]


@pytest.mark.parametrize(
    ("change", "missing"),
    [
        ({"calId": None}, ["calId"]),
        ({"agents": [], "attribution": None}, ["elevenLabsAgentId"]),
        ({"locationId": None}, ["locationId", "refreshToken"]),
    ],
)
def test_a_client_missing_a_setting_is_422_naming_it(
    admin: Admin, change: dict[str, Any], missing: list[str]
) -> None:
    body = {**client_body(MAPLE, None), **change}
    assert admin.put("/admin/clients/client-partial", body).status_code == 200
    request = {"clientId": "client-partial", "startDate": "2025-01-01", "endDate": "2025-01-31"}
    error = error_of(admin.post("/admin/bootstrap/import-historical", request), 422)
    assert set(missing) <= set(error["details"]["missingSettings"])
    for name in missing:
        assert name in error["error"]


def test_a_client_without_a_refresh_token_is_422_naming_it(admin: Admin) -> None:
    body = {**client_body(MAPLE, None), "locationId": "locWithoutAnyToken01"}
    admin.put("/admin/clients/client-tokenless", body)
    for response in (
        admin.get(
            "/admin/bootstrap/appointments/counts", clientId="client-tokenless", year=2025, month=3
        ),
        admin.post(
            "/admin/bootstrap/appointments/sync",
            {"clientId": "client-tokenless", "year": 2025, "month": 3},
        ),
        admin.post(
            "/admin/bootstrap/import-historical",
            {"clientId": "client-tokenless", "startDate": "2025-01-01", "endDate": "2025-01-31"},
        ),
    ):
        error = error_of(response, 422)
        assert error["details"]["missingSettings"] == ["refreshToken"]
    # Calls alone need no GoHighLevel token.
    calls_only = admin.post(
        "/admin/bootstrap/import-historical",
        {
            "clientId": "client-tokenless",
            "startDate": "2025-01-01",
            "endDate": "2025-01-31",
            "includeAppointments": False,
        },
    )
    assert calls_only.status_code == 202
    admin.wait(calls_only)


IMPORT = {"clientId": "client-maple", "startDate": "2025-01-01", "endDate": "2025-03-31"}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"startDate": "2025-1-1"}, "startDate"),
        ({"startDate": "2025-02-30"}, "not a real date"),
        ({"startDate": "2025-04-01", "endDate": "2025-03-31"}, "before startDate"),
        ({"startDate": "2022-01-01", "endDate": "2025-03-31"}, "39 months"),
        ({"batchSize": 0}, "batchSize"),
        ({"batchSize": 13}, "batchSize"),
        ({"batchSize": "3"}, "batchSize"),
        ({"includeElevenLabs": "true"}, "includeElevenLabs"),
        ({"skipExisting": None}, "skipExisting"),
        ({"clientId": ["client-maple"]}, "clientId"),
        ({"extra": 1}, "extra"),
    ],
)
def test_bad_import_requests_are_422_naming_the_problem(
    admin: Admin, change: dict[str, Any], field: str
) -> None:
    error = error_of(admin.post("/admin/bootstrap/import-historical", {**IMPORT, **change}), 422)
    assert field in str(error)


@pytest.mark.parametrize(
    "query",
    [
        {"clientId": "client-maple", "year": 1999, "month": 3},
        {"clientId": "client-maple", "year": 2025, "month": 13},
        {"clientId": "client-maple", "year": 2025, "month": 0},
        {"clientId": "client-maple", "year": "twenty", "month": 3},
        {"clientId": "client-maple", "year": 2025},
    ],
)
def test_out_of_range_years_and_months_are_422(admin: Admin, query: dict[str, Any]) -> None:
    error = error_of(admin.get("/admin/bootstrap/appointments/counts", **query), 422)
    assert error["details"][0]["field"] in ("year", "month")


@pytest.mark.parametrize(
    ("path", "query"),
    [
        (
            "/admin/bootstrap/validate",
            {"clientId": "client-maple", "startDate": "2025-03-01", "endDate": "2025-01-01"},
        ),
        (
            "/admin/bootstrap/validate",
            {"clientId": "client-maple", "startDate": "2020-01-01", "endDate": "2025-01-01"},
        ),
        (
            "/admin/bootstrap/appointments/historical",
            {"clientId": "client-maple", "startDate": "01/01/2025", "endDate": "2025-01-31"},
        ),
        (
            "/admin/reports/combined-metrics",
            {
                "clientId": "client-maple",
                "startYear": 2025,
                "startMonth": 5,
                "endYear": 2025,
                "endMonth": 1,
            },
        ),
        (
            "/admin/reports/combined-metrics",
            {
                "clientId": "client-maple",
                "startYear": 2020,
                "startMonth": 1,
                "endYear": 2025,
                "endMonth": 1,
            },
        ),
    ],
)
def test_bad_date_ranges_in_queries_are_422(admin: Admin, path: str, query: dict[str, Any]) -> None:
    error_of(admin.get(path, **query), 422)


def test_bodies_with_wrong_types_and_broken_json(admin: Admin) -> None:
    error = error_of(
        admin.post(
            "/admin/bootstrap/appointments/sync",
            {"clientId": "client-maple", "year": "2025", "month": 3},
        ),
        422,
    )
    assert error["details"][0]["field"] == "year"
    error_of(admin.post("/admin/bootstrap/appointments/sync", ["not", "an", "object"]), 422)
    broken = admin.http.post(
        f"{admin.base}/admin/bootstrap/import-historical",
        data=b'{"clientId": "client-maple", ',
        headers={"Content-Type": "application/json"},
    )
    assert error_of(broken, 400)["error"] == "The request body is not valid JSON"
    empty = admin.http.post(f"{admin.base}/admin/bootstrap/import-historical")
    assert empty.status_code in (400, 422)


def test_the_error_request_id_is_api_gateways(admin: Admin) -> None:
    seen: dict[str, Any] = {}
    original = admin.api.event

    def event(*args: Any) -> dict[str, Any]:
        built = original(*args)
        seen.update(built["requestContext"])
        return built

    admin.api.event = event  # type: ignore[method-assign]
    response = admin.get("/admin/reports/dashboard-summary", clientId="nobody")
    assert response.json()["requestId"] == seen["requestId"]


# --------------------------------------------------------------------------- upstream faults


def test_a_failed_token_refresh_is_502_and_keeps_the_token(admin: Admin) -> None:
    ghl = admin.stack.ghl
    before = ghl.current_refresh_token(MAPLE.location_id)
    ghl.fail_next_refresh(500, count=5)
    error = error_of(
        admin.get(
            "/admin/bootstrap/appointments/counts", clientId="client-maple", year=2025, month=3
        ),
        502,
    )
    assert error["details"]["errorType"] == "GoHighLevelUnavailableError"
    assert ghl.current_refresh_token(MAPLE.location_id) == before
    ghl.clear_faults()
    ok = admin.get(
        "/admin/bootstrap/appointments/counts", clientId="client-maple", year=2025, month=3
    )
    assert ok.status_code == 200


def test_a_revoked_location_is_502_asking_to_reconnect(admin: Admin) -> None:
    admin.stack.ghl.revoke(COASTAL.location_id)
    error = error_of(
        admin.post(
            "/admin/bootstrap/appointments/sync",
            {"clientId": "client-coastal", "year": 2025, "month": 3},
        ),
        502,
    )
    assert "reconnect" in error["error"]


def test_a_429_storm_is_ridden_out_or_answered_503(admin: Admin) -> None:
    set_env(admin.stack, "AdminApiFunction", RETRY_BASE_SECONDS="0", MAX_ATTEMPTS="4")
    ghl = admin.stack.ghl
    ghl.fail_next(3, 429)
    ok = admin.get(
        "/admin/bootstrap/appointments/counts", clientId="client-maple", year=2025, month=3
    )
    assert ok.status_code == 200, ok.text
    ghl.fail_next(50, 429)
    error = error_of(
        admin.get(
            "/admin/bootstrap/appointments/counts", clientId="client-maple", year=2025, month=3
        ),
        503,
    )
    assert error["details"]["errorType"] == "GoHighLevelThrottledError"
    ghl.clear_faults()
