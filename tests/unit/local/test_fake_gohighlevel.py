"""The GoHighLevel stand-in: OAuth token rotation, calendar events, rate limits, faults."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from local.fakes_common import ManualClock
from local.gohighlevel import FakeGoHighLevel
from revops.integrations import transport

BASE = "https://services.leadconnectorhq.com"
TOKEN_URL = f"{BASE}/oauth/token"
EVENTS_URL = f"{BASE}/calendars/events"
CLIENT = {"client_id": "cid", "client_secret": "csecret"}
LOC = "locAAAAAAAAAAAAAAAA1"
OTHER = "locBBBBBBBBBBBBBBBB2"
CAL = "calendar000000000001"
T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
RATE_HEADERS = (
    "X-RateLimit-Limit-Daily",
    "X-RateLimit-Daily-Remaining",
    "X-RateLimit-Interval-Milliseconds",
    "X-RateLimit-Max",
    "X-RateLimit-Remaining",
)


def ms(value: datetime) -> int:
    return int(value.timestamp() * 1000)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0.timestamp())


@pytest.fixture
def fake(clock: ManualClock) -> FakeGoHighLevel:
    return FakeGoHighLevel(client_id="cid", client_secret="csecret", clock=clock)


@pytest.fixture
def http(fake: FakeGoHighLevel) -> Iterator[requests.Session]:
    session = fake.session()
    yield session
    session.close()


def refresh(http: requests.Session, token: str, **extra: str) -> requests.Response:
    return http.post(
        TOKEN_URL,
        data={**CLIENT, "grant_type": "refresh_token", "refresh_token": token, **extra},
    )


def events(
    http: requests.Session,
    access: str,
    *,
    start: datetime = T0 - timedelta(days=1),
    end: datetime = T0 + timedelta(days=7),
    version: str | None = "2021-04-15",
    **params: Any,
) -> requests.Response:
    query: dict[str, Any] = {
        "locationId": LOC,
        "calendarId": CAL,
        "startTime": ms(start),
        "endTime": ms(end),
    }
    query.update(params)
    query = {k: v for k, v in query.items() if v is not None}
    headers = {"Authorization": f"Bearer {access}"}
    if version is not None:
        headers["Version"] = version
    return http.get(EVENTS_URL, params=query, headers=headers)


# ------------------------------------------------------------------ transport


def test_install_routes_transport_sessions(fake: FakeGoHighLevel) -> None:
    seeded = fake.issue_refresh_token(LOC)
    with fake:
        response = refresh(transport.new_session(), seeded)
    assert response.status_code == 200
    assert fake.calls["token"] == 1


def test_unknown_path_is_404(http: requests.Session) -> None:
    response = http.get(f"{BASE}/contacts/")
    assert response.status_code == 404
    assert response.json()["statusCode"] == 404


# ---------------------------------------------------------------------- OAuth


def test_refresh_returns_new_tokens_and_rotates(
    fake: FakeGoHighLevel, http: requests.Session
) -> None:
    old = fake.issue_refresh_token(LOC)
    assert fake.current_refresh_token(LOC) == old
    response = refresh(http, old, user_type="Location")
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 86399
    assert body["userType"] == "Location"
    assert body["locationId"] == LOC
    assert isinstance(body["scope"], str) and body["scope"]
    assert body["refresh_token"] != old
    assert fake.current_refresh_token(LOC) == body["refresh_token"]
    assert events(http, body["access_token"]).status_code == 200

    reused = refresh(http, old)
    assert reused.status_code == 401
    assert reused.json()["error"] == "invalid_grant"
    assert "error_description" in reused.json()

    again = refresh(http, body["refresh_token"])
    assert again.status_code == 200
    assert again.json()["refresh_token"] not in (old, body["refresh_token"])
    # An access token stays valid until it expires, even after later refreshes.
    assert events(http, body["access_token"]).status_code == 200


def test_reseeding_replaces_the_previous_refresh_token(
    fake: FakeGoHighLevel, http: requests.Session
) -> None:
    first = fake.issue_refresh_token(LOC)
    second = fake.issue_refresh_token(LOC)
    assert refresh(http, first).status_code == 401
    assert refresh(http, second).status_code == 200


def test_concurrent_refresh_with_the_same_token_one_wins(fake: FakeGoHighLevel) -> None:
    old = fake.issue_refresh_token(LOC)
    fake.latency_secs = 0.02  # keep them overlapping
    barrier = threading.Barrier(8)
    results: list[requests.Response] = []
    lock = threading.Lock()

    def call() -> None:
        session = fake.session()
        barrier.wait()
        response = refresh(session, old)
        with lock:
            results.append(response)

    threads = [threading.Thread(target=call) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winners = [r for r in results if r.status_code == 200]
    losers = [r for r in results if r.status_code != 200]
    assert len(winners) == 1
    assert {r.status_code for r in losers} == {401}
    assert {r.json()["error"] for r in losers} == {"invalid_grant"}
    assert fake.current_refresh_token(LOC) == winners[0].json()["refresh_token"]
    assert fake.calls["token"] == 8


def test_authorization_code_grant_is_single_use(
    fake: FakeGoHighLevel, http: requests.Session
) -> None:
    code = fake.issue_authorization_code(LOC)
    data = {**CLIENT, "grant_type": "authorization_code", "code": code}
    first = http.post(TOKEN_URL, data=data)
    assert first.status_code == 200
    assert first.json()["locationId"] == LOC
    assert fake.current_refresh_token(LOC) == first.json()["refresh_token"]
    second = http.post(TOKEN_URL, data=data)
    assert second.status_code == 401
    assert second.json()["error"] == "invalid_grant"


def test_bad_client_credentials(fake: FakeGoHighLevel, http: requests.Session) -> None:
    token = fake.issue_refresh_token(LOC)
    response = http.post(
        TOKEN_URL,
        data={
            "client_id": "cid",
            "client_secret": "wrong",
            "grant_type": "refresh_token",
            "refresh_token": token,
        },
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert fake.current_refresh_token(LOC) == token  # not consumed


@pytest.mark.parametrize(
    ("data", "status"),
    [
        ({"client_id": "cid", "grant_type": "refresh_token", "refresh_token": "x"}, 422),
        ({**CLIENT, "grant_type": "refresh_token"}, 422),
        ({**CLIENT, "grant_type": "password", "refresh_token": "x"}, 400),
        (
            {**CLIENT, "grant_type": "refresh_token", "refresh_token": "x", "user_type": "Company"},
            400,
        ),
    ],
)
def test_malformed_token_requests(
    http: requests.Session, data: dict[str, str], status: int
) -> None:
    assert http.post(TOKEN_URL, data=data).status_code == status


def test_token_endpoint_wants_a_form_body(fake: FakeGoHighLevel, http: requests.Session) -> None:
    token = fake.issue_refresh_token(LOC)
    response = http.post(
        TOKEN_URL, json={**CLIENT, "grant_type": "refresh_token", "refresh_token": token}
    )
    assert response.status_code == 422


def test_fail_next_refresh_500_keeps_the_token(
    fake: FakeGoHighLevel, http: requests.Session
) -> None:
    token = fake.issue_refresh_token(LOC)
    fake.fail_next_refresh(500)
    failed = refresh(http, token)
    assert failed.status_code == 500
    assert failed.json()["statusCode"] == 500
    assert fake.current_refresh_token(LOC) == token
    assert refresh(http, token).status_code == 200


def test_fail_next_refresh_401(fake: FakeGoHighLevel, http: requests.Session) -> None:
    token = fake.issue_refresh_token(LOC)
    fake.fail_next_refresh(401, count=2)
    assert [refresh(http, token).status_code for _ in range(3)] == [401, 401, 200]


def test_fail_next_refresh_can_consume_the_token(
    fake: FakeGoHighLevel, http: requests.Session
) -> None:
    token = fake.issue_refresh_token(LOC)
    fake.fail_next_refresh(502, consume_token=True)
    assert refresh(http, token).status_code == 502
    assert fake.current_refresh_token(LOC) is None
    assert refresh(http, token).json()["error"] == "invalid_grant"


def test_revoke_kills_refresh_and_access_tokens(
    fake: FakeGoHighLevel, http: requests.Session
) -> None:
    token = fake.issue_refresh_token(LOC)
    access = refresh(http, token).json()["access_token"]
    fake.revoke(LOC)
    assert events(http, access).status_code == 401
    assert refresh(http, fake.current_refresh_token(LOC) or "gone").status_code == 401


# ----------------------------------------------------------------- API auth


def test_expired_access_token_is_invalid_jwt(
    fake: FakeGoHighLevel, http: requests.Session, clock: ManualClock
) -> None:
    token = fake.issue_refresh_token(LOC)
    access = refresh(http, token).json()["access_token"]
    clock.advance(86398)
    assert events(http, access).status_code == 200
    clock.advance(2)
    response = events(http, access)
    assert response.status_code == 401
    assert response.json() == {"statusCode": 401, "message": "Invalid JWT", "error": "Unauthorized"}
    assert "X-RateLimit-Remaining" not in response.headers


def test_expire_access_tokens_helper(fake: FakeGoHighLevel, http: requests.Session) -> None:
    access = fake.issue_access_token(LOC)
    fake.expire_access_tokens(LOC)
    assert events(http, access).status_code == 401


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer nope", "Basic abc", "nope"])
def test_bad_authorization_header_is_401(fake: FakeGoHighLevel, header: str | None) -> None:
    session = fake.session()
    headers = {"Version": "2021-04-15"}
    if header is not None:
        headers["Authorization"] = header
    params: dict[str, str | int] = {
        "locationId": LOC,
        "calendarId": CAL,
        "startTime": 0,
        "endTime": 1,
    }
    response = session.get(EVENTS_URL, params=params, headers=headers)
    assert response.status_code == 401
    assert response.json()["message"] == "Invalid JWT"


@pytest.mark.parametrize("version", [None, "2021-07-28", ""])
def test_version_header_is_required(
    fake: FakeGoHighLevel, http: requests.Session, version: str | None
) -> None:
    response = events(http, fake.issue_access_token(LOC), version=version)
    assert response.status_code == 400
    assert response.json()["statusCode"] == 400
    assert "Version" in response.json()["message"]


# --------------------------------------------------------------------- events


def test_events_shape_and_iso_offsets(fake: FakeGoHighLevel, http: requests.Session) -> None:
    fake.add_location(LOC, timezone="America/Chicago")
    appt = fake.add_appointment(
        location_id=LOC,
        calendar_id=CAL,
        start=T0,
        status="confirmed",
        assigned_user_id="userA",
        title="Demo",
        contact_id="contact1",
        group_id="grp1",
    )
    response = events(http, fake.issue_access_token(LOC))
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"events"}  # no pagination keys
    (event,) = body["events"]
    assert event["id"] == appt
    assert event["title"] == "Demo"
    assert event["calendarId"] == CAL
    assert event["locationId"] == LOC
    assert event["contactId"] == "contact1"
    assert event["groupId"] == "grp1"
    assert event["appointmentStatus"] == "confirmed"
    assert event["assignedUserId"] == "userA"
    assert event["startTime"] == "2026-03-02T09:00:00-06:00"
    assert event["endTime"] == "2026-03-02T09:30:00-06:00"
    assert datetime.fromisoformat(event["startTime"]) == T0
    for key in ("dateAdded", "dateUpdated"):
        assert datetime.fromisoformat(event[key]).utcoffset() is not None


def test_events_filter_by_start_window_inclusive(
    fake: FakeGoHighLevel, http: requests.Session
) -> None:
    ids = [
        fake.add_appointment(
            location_id=LOC,
            calendar_id=CAL,
            start=T0 + timedelta(hours=i),
            status="showed",
            assigned_user_id="userA",
        )
        for i in range(6)
    ]
    access = fake.issue_access_token(LOC)
    response = events(http, access, start=T0 + timedelta(hours=1), end=T0 + timedelta(hours=4))
    assert [e["id"] for e in response.json()["events"]] == ids[1:5]
    just_after = events(
        http, access, start=T0 + timedelta(hours=5, milliseconds=1), end=T0 + timedelta(days=1)
    )
    assert just_after.json()["events"] == []


def test_events_filters_by_calendar_user_and_group(
    fake: FakeGoHighLevel, http: requests.Session
) -> None:
    a = fake.add_appointment(
        location_id=LOC,
        calendar_id=CAL,
        start=T0,
        status="new",
        assigned_user_id="userA",
        group_id="g1",
    )
    b = fake.add_appointment(
        location_id=LOC,
        calendar_id="otherCal",
        start=T0,
        status="noshow",
        assigned_user_id="userB",
        group_id="g1",
    )
    fake.add_appointment(
        location_id=OTHER, calendar_id=CAL, start=T0, status="new", assigned_user_id="userA"
    )
    access = fake.issue_access_token(LOC)

    def ids(**params: Any) -> set[str]:
        response = events(http, access, **params)
        assert response.status_code == 200, response.text
        return {e["id"] for e in response.json()["events"]}

    assert ids() == {a}
    assert ids(calendarId=None, userId="userB") == {b}
    assert ids(calendarId=None, groupId="g1") == {a, b}
    assert ids(calendarId="nope") == set()


def test_events_other_location_is_forbidden(fake: FakeGoHighLevel, http: requests.Session) -> None:
    response = events(http, fake.issue_access_token(OTHER))
    assert response.status_code == 403


@pytest.mark.parametrize("missing", ["locationId", "startTime", "endTime"])
def test_events_missing_required_params_is_422(
    fake: FakeGoHighLevel, http: requests.Session, missing: str
) -> None:
    overrides: dict[str, Any] = {missing: None}
    response = events(http, fake.issue_access_token(LOC), **overrides)
    assert response.status_code == 422
    body = response.json()
    assert body["statusCode"] == 422
    assert any(missing in message for message in body["message"])


def test_events_need_calendar_user_or_group(fake: FakeGoHighLevel, http: requests.Session) -> None:
    response = events(http, fake.issue_access_token(LOC), calendarId=None)
    assert response.status_code == 400
    assert "calendarId" in response.json()["message"]


def test_events_non_numeric_time_is_422(fake: FakeGoHighLevel, http: requests.Session) -> None:
    response = events(http, fake.issue_access_token(LOC), startTime="2026-03-01T00:00:00Z")
    assert response.status_code == 422


def test_max_events_per_response_caps_silently(
    fake: FakeGoHighLevel, http: requests.Session
) -> None:
    ids = [
        fake.add_appointment(
            location_id=LOC,
            calendar_id=CAL,
            start=T0 + timedelta(minutes=i),
            status="confirmed",
            assigned_user_id="u",
        )
        for i in range(10)
    ]
    fake.max_events_per_response = 4
    access = fake.issue_access_token(LOC)
    capped = events(http, access).json()
    assert [e["id"] for e in capped["events"]] == ids[:4]
    assert set(capped) == {"events"}
    # Splitting the window recovers everything.
    got: list[str] = []
    for lo in range(0, 10, 3):
        window = events(
            http, access, start=T0 + timedelta(minutes=lo), end=T0 + timedelta(minutes=lo + 2)
        )
        got.extend(e["id"] for e in window.json()["events"])
    assert got == ids


def test_status_change_bumps_date_updated(
    fake: FakeGoHighLevel, http: requests.Session, clock: ManualClock
) -> None:
    appt = fake.add_appointment(
        location_id=LOC, calendar_id=CAL, start=T0, status="confirmed", assigned_user_id="u"
    )
    clock.advance(3600)
    fake.set_appointment_status(appt, "showed")
    (event,) = events(http, fake.issue_access_token(LOC)).json()["events"]
    assert event["appointmentStatus"] == "showed"
    assert datetime.fromisoformat(event["dateUpdated"]) - datetime.fromisoformat(
        event["dateAdded"]
    ) == timedelta(hours=1)


def test_add_appointment_validates(fake: FakeGoHighLevel) -> None:
    with pytest.raises(ValueError):
        fake.add_appointment(
            location_id=LOC, calendar_id=CAL, start=T0, status="booked", assigned_user_id="u"
        )
    with pytest.raises(ValueError):
        fake.add_appointment(
            location_id=LOC,
            calendar_id=CAL,
            start=datetime(2026, 1, 1),
            status="new",
            assigned_user_id="u",
        )


# ---------------------------------------------------------------- rate limits


def test_burst_limit_headers_and_window_reset(
    fake: FakeGoHighLevel, http: requests.Session, clock: ManualClock
) -> None:
    access = fake.issue_access_token(LOC)
    remaining: list[int] = []
    for _ in range(100):
        response = events(http, access)
        assert response.status_code == 200
        for header in RATE_HEADERS:
            assert header in response.headers
        assert response.headers["X-RateLimit-Max"] == "100"
        assert response.headers["X-RateLimit-Interval-Milliseconds"] == "10000"
        assert response.headers["X-RateLimit-Limit-Daily"] == "200000"
        remaining.append(int(response.headers["X-RateLimit-Remaining"]))
    assert remaining == list(range(99, -1, -1))
    assert response.headers["X-RateLimit-Daily-Remaining"] == str(200_000 - 100)

    clock.advance(9.9)
    over = events(http, access)
    assert over.status_code == 429
    assert over.json() == {"statusCode": 429, "message": "Too many requests"}
    assert over.headers["X-RateLimit-Remaining"] == "0"

    # Another location has its own bucket.
    assert events(http, fake.issue_access_token(OTHER), locationId=OTHER).status_code == 200

    clock.advance(0.1)
    fresh = events(http, access)
    assert fresh.status_code == 200
    assert fresh.headers["X-RateLimit-Remaining"] == "99"
    assert fresh.headers["X-RateLimit-Daily-Remaining"] == str(200_000 - 101)
    assert fake.calls["events"] == 103


def test_daily_limit(clock: ManualClock) -> None:
    fake = FakeGoHighLevel(clock=clock, daily_limit=3, burst_limit=100)
    http = fake.session()
    access = fake.issue_access_token(LOC)
    statuses = [events(http, access).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    clock.advance(86400)
    access = fake.issue_access_token(LOC)
    response = events(http, access)
    assert response.status_code == 200
    assert response.headers["X-RateLimit-Daily-Remaining"] == "2"


def test_token_endpoint_is_not_rate_limited(fake: FakeGoHighLevel, http: requests.Session) -> None:
    token = fake.issue_refresh_token(LOC)
    for _ in range(120):
        response = refresh(http, token)
        assert response.status_code == 200
        token = response.json()["refresh_token"]
    assert "X-RateLimit-Remaining" not in response.headers


def test_fail_next_storm_then_recovers(fake: FakeGoHighLevel, http: requests.Session) -> None:
    access = fake.issue_access_token(LOC)
    fake.fail_next(3, status=429)
    fake.fail_next(1, status=503)
    statuses = [events(http, access).status_code for _ in range(5)]
    assert statuses == [429, 429, 429, 503, 200]
    ok = events(http, access)
    assert ok.headers["X-RateLimit-Remaining"] == "98"  # injected failures are free
    assert fake.calls["events"] == 6


def test_request_log_records_params(fake: FakeGoHighLevel, http: requests.Session) -> None:
    access = fake.issue_access_token(LOC)
    events(http, access)
    method, path, params = fake.request_log[-1]
    assert (method, path) == ("GET", "/calendars/events")
    assert params["locationId"] == LOC
    assert params["startTime"] == str(ms(T0 - timedelta(days=1)))
