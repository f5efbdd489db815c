"""The ElevenLabs stand-in answers like the real conversations API, over real requests."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from local.elevenlabs import FakeElevenLabs
from local.fakes_common import FakeServiceAdapter
from revops.integrations import transport

BASE = "https://api.elevenlabs.io"
LIST = f"{BASE}/v1/convai/conversations"
KEY = "test-xi-api-key"
T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


@pytest.fixture
def fake() -> FakeElevenLabs:
    return FakeElevenLabs(api_key=KEY)


@pytest.fixture
def http(fake: FakeElevenLabs) -> Iterator[requests.Session]:
    session = fake.session()
    session.headers["xi-api-key"] = KEY
    yield session
    session.close()


def seed(
    fake: FakeElevenLabs, count: int, *, agent_id: str = "agent_a", start: datetime = T0
) -> list[str]:
    """`count` conversations one minute apart; returns ids newest first."""
    ids = [
        fake.add_conversation(
            agent_id=agent_id,
            agent_name="Front desk",
            start=start + timedelta(minutes=i),
            duration_secs=60 + i,
            direction="inbound" if i % 2 else "outbound",
        )
        for i in range(count)
    ]
    return list(reversed(ids))


def walk(http: requests.Session, **params: Any) -> tuple[list[str], int]:
    """Follow next_cursor to the end; returns (ids in order, pages fetched)."""
    ids: list[str] = []
    pages = 0
    cursor: str | None = None
    while True:
        query = dict(params)
        if cursor:
            query["cursor"] = cursor
        response = http.get(LIST, params=query)
        assert response.status_code == 200, response.text
        body = response.json()
        pages += 1
        ids.extend(c["conversation_id"] for c in body["conversations"])
        if not body["has_more"]:
            assert body["next_cursor"] is None
            return ids, pages
        cursor = body["next_cursor"]
        assert isinstance(cursor, str) and cursor


# ------------------------------------------------------------------ transport


def test_install_routes_transport_sessions_to_the_fake(fake: FakeElevenLabs) -> None:
    fake.add_conversation(
        agent_id="a", agent_name="A", start=T0, duration_secs=30, direction="inbound"
    )
    with fake:
        session = transport.new_session()
        response = session.get(LIST, headers={"xi-api-key": KEY})
        assert isinstance(response, requests.Response)
        assert response.status_code == 200
        assert response.headers["Content-Type"].startswith("application/json")
        assert len(response.json()["conversations"]) == 1
        assert fake.calls["list"] == 1
    # Uninstalled: sessions built earlier no longer reach the fake, new ones don't mount it.
    with pytest.raises(requests.ConnectionError):
        session.get(LIST, headers={"xi-api-key": KEY})
    assert fake.calls["list"] == 1
    assert not isinstance(transport.new_session().get_adapter(LIST), FakeServiceAdapter)


def test_streamed_response_body_is_readable(fake: FakeElevenLabs, http: requests.Session) -> None:
    seed(fake, 2)
    response = http.get(LIST, stream=True)
    assert b"".join(response.iter_content(7)).startswith(b'{"conversations":')


def test_unknown_path_is_fastapi_404(http: requests.Session) -> None:
    response = http.get(f"{BASE}/v1/convai/nope/x")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not Found"}
    assert http.post(LIST).status_code == 405


# ----------------------------------------------------------------------- auth


@pytest.mark.parametrize("url", [LIST, f"{LIST}/conv_x"])
def test_missing_api_key_is_401_needs_authorization(fake: FakeElevenLabs, url: str) -> None:
    response = fake.session().get(url)
    assert response.status_code == 401
    assert response.json()["detail"]["status"] == "needs_authorization"


@pytest.mark.parametrize("url", [LIST, f"{LIST}/conv_x"])
def test_wrong_api_key_is_401_invalid_api_key(fake: FakeElevenLabs, url: str) -> None:
    response = fake.session().get(url, headers={"xi-api-key": "nope"})
    assert response.status_code == 401
    assert response.json() == {
        "detail": {"status": "invalid_api_key", "message": "Invalid API key"}
    }


# ------------------------------------------------------------------ list page


def test_summary_items_have_the_real_fields(fake: FakeElevenLabs, http: requests.Session) -> None:
    conv_id = fake.add_conversation(
        agent_id="agent_a",
        agent_name="Front desk",
        start=T0,
        duration_secs=95,
        direction="outbound",
        status="failed",
        call_successful="failure",
        message_count=3,
    )
    body = http.get(LIST).json()
    assert body["has_more"] is False
    assert body["next_cursor"] is None
    assert body["conversations"] == [
        {
            "agent_id": "agent_a",
            "agent_name": "Front desk",
            "conversation_id": conv_id,
            "start_time_unix_secs": int(T0.timestamp()),
            "call_duration_secs": 95,
            "message_count": 3,
            "status": "failed",
            "call_successful": "failure",
            "direction": "outbound",
        }
    ]


def test_default_page_size_is_30_newest_first(fake: FakeElevenLabs, http: requests.Session) -> None:
    ids = seed(fake, 45)
    first = http.get(LIST).json()
    assert [c["conversation_id"] for c in first["conversations"]] == ids[:30]
    assert first["has_more"] is True
    starts = [c["start_time_unix_secs"] for c in first["conversations"]]
    assert starts == sorted(starts, reverse=True)
    second = http.get(LIST, params={"cursor": first["next_cursor"]}).json()
    assert [c["conversation_id"] for c in second["conversations"]] == ids[30:]
    assert second["has_more"] is False
    assert second["next_cursor"] is None


def test_cursor_walk_returns_every_conversation_once(
    fake: FakeElevenLabs, http: requests.Session
) -> None:
    ids = seed(fake, 250)
    # Same start second for a few: ordering must still be total.
    for i in range(5):
        ids.append(
            fake.add_conversation(
                agent_id="agent_a",
                agent_name="F",
                start=T0 - timedelta(hours=1),
                duration_secs=10,
                direction=None,
                conversation_id=f"conv_tie_{i}",
            )
        )
    walked, pages = walk(http, page_size=100)
    assert walked == ids
    assert len(set(walked)) == 255
    assert pages == 3
    assert fake.calls["list"] == 3
    assert [params.get("page_size") for _, _, params in fake.request_log] == ["100"] * 3
    assert "cursor" not in fake.request_log[0][2]
    assert all("cursor" in params for _, _, params in fake.request_log[1:])


def test_cursor_is_stable_when_conversations_arrive_mid_walk(
    fake: FakeElevenLabs, http: requests.Session
) -> None:
    ids = seed(fake, 150)
    first = http.get(LIST, params={"page_size": 100}).json()
    fake.add_conversation(
        agent_id="agent_a",
        agent_name="F",
        start=T0 + timedelta(days=1),
        duration_secs=5,
        direction="inbound",
    )
    again = http.get(LIST, params={"page_size": 100, "cursor": first["next_cursor"]}).json()
    repeat = http.get(LIST, params={"page_size": 100, "cursor": first["next_cursor"]}).json()
    assert again == repeat
    seen = [c["conversation_id"] for c in first["conversations"] + again["conversations"]]
    assert seen == ids


def test_invalid_cursor_is_rejected(http: requests.Session) -> None:
    response = http.get(LIST, params={"cursor": "not-a-cursor"})
    assert response.status_code == 400
    assert response.json()["detail"]["status"] == "invalid_cursor"


@pytest.mark.parametrize(
    ("value", "error_type"),
    [("101", "less_than_equal"), ("0", "greater_than_equal"), ("ten", "int_parsing")],
)
def test_bad_page_size_is_422(http: requests.Session, value: str, error_type: str) -> None:
    response = http.get(LIST, params={"page_size": value})
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["type"] == error_type
    assert error["loc"] == ["query", "page_size"]
    assert error["input"] == value


def test_page_size_bounds_are_accepted(fake: FakeElevenLabs, http: requests.Session) -> None:
    seed(fake, 101)
    assert len(http.get(LIST, params={"page_size": 1}).json()["conversations"]) == 1
    assert len(http.get(LIST, params={"page_size": 100}).json()["conversations"]) == 100


def test_time_window_filters_on_start_time(fake: FakeElevenLabs, http: requests.Session) -> None:
    ids = seed(fake, 10)  # starts T0 .. T0+9min, ids newest first
    after = int((T0 + timedelta(minutes=3)).timestamp())
    before = int((T0 + timedelta(minutes=7)).timestamp())
    body = http.get(
        LIST, params={"call_start_after_unix": after, "call_start_before_unix": before}
    ).json()
    got = [c["conversation_id"] for c in body["conversations"]]
    # minutes 3,4,5,6: after is inclusive, before exclusive
    assert got == ids[3:7]
    assert all(after <= c["start_time_unix_secs"] < before for c in body["conversations"])
    only_after = http.get(LIST, params={"call_start_after_unix": after}).json()
    assert [c["conversation_id"] for c in only_after["conversations"]] == ids[:7]


def test_time_window_walk_with_small_pages(fake: FakeElevenLabs, http: requests.Session) -> None:
    ids = seed(fake, 40)
    after = int((T0 + timedelta(minutes=5)).timestamp())
    walked, pages = walk(http, page_size=7, call_start_after_unix=after)
    assert walked == ids[:35]
    assert pages == 5


def test_bad_time_param_is_422(http: requests.Session) -> None:
    response = http.get(LIST, params={"call_start_after_unix": "yesterday"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "call_start_after_unix"]


def test_agent_filter(fake: FakeElevenLabs, http: requests.Session) -> None:
    a_ids = seed(fake, 3, agent_id="agent_a")
    b_ids = seed(fake, 2, agent_id="agent_b", start=T0 + timedelta(hours=1))
    body = http.get(LIST, params={"agent_id": "agent_b"}).json()
    assert [c["conversation_id"] for c in body["conversations"]] == b_ids
    assert {
        c["agent_id"]
        for c in http.get(LIST, params={"agent_id": "agent_a"}).json()["conversations"]
    } == {"agent_a"}
    assert len(a_ids) == 3
    assert http.get(LIST, params={"agent_id": "agent_zzz"}).json()["conversations"] == []


def test_data_api_lists_summaries_newest_first(fake: FakeElevenLabs) -> None:
    ids = seed(fake, 3)
    assert [c["conversation_id"] for c in fake.conversations()] == ids
    with pytest.raises(ValueError):
        fake.add_conversation(
            agent_id="a",
            agent_name="A",
            start=datetime(2026, 1, 1),
            duration_secs=1,
            direction=None,
        )
    with pytest.raises(ValueError):
        fake.add_conversation(
            agent_id="a",
            agent_name="A",
            start=T0,
            duration_secs=1,
            direction=None,
            conversation_id=ids[0],
        )


# --------------------------------------------------------------------- detail


def test_detail_of_phone_calls(fake: FakeElevenLabs, http: requests.Session) -> None:
    inbound = fake.add_conversation(
        agent_id="agent_a",
        agent_name="F",
        start=T0,
        duration_secs=120,
        direction="inbound",
        external_number="+15125550199",
    )
    outbound = fake.add_conversation(
        agent_id="agent_a",
        agent_name="F",
        start=T0,
        duration_secs=30,
        direction="outbound",
        call_successful="unknown",
        status="processing",
    )
    body = http.get(f"{LIST}/{inbound}").json()
    assert body["agent_id"] == "agent_a"
    assert body["conversation_id"] == inbound
    assert body["status"] == "done"
    assert body["metadata"]["start_time_unix_secs"] == int(T0.timestamp())
    assert body["metadata"]["call_duration_secs"] == 120
    phone = body["metadata"]["phone_call"]
    assert phone["type"] == "twilio"
    assert phone["direction"] == "inbound"
    assert phone["external_number"] == "+15125550199"
    assert {"phone_number_id", "agent_number"} <= phone.keys()
    assert body["analysis"]["call_successful"] == "success"
    assert 0 < len(body["transcript"]) <= 10
    assert {"role", "message", "time_in_call_secs"} <= body["transcript"][0].keys()

    other = http.get(f"{LIST}/{outbound}").json()
    assert other["metadata"]["phone_call"]["direction"] == "outbound"
    assert other["status"] == "processing"
    assert other["analysis"]["call_successful"] == "unknown"


def test_detail_of_web_call_has_no_phone_call(fake: FakeElevenLabs, http: requests.Session) -> None:
    web = fake.add_conversation(
        agent_id="agent_a", agent_name="F", start=T0, duration_secs=40, direction=None
    )
    assert http.get(f"{LIST}/{web}").json()["metadata"]["phone_call"] is None
    assert http.get(LIST).json()["conversations"][0]["direction"] is None


def test_update_conversation_is_visible(fake: FakeElevenLabs, http: requests.Session) -> None:
    conv = fake.add_conversation(
        agent_id="a",
        agent_name="A",
        start=T0,
        duration_secs=10,
        direction="inbound",
        status="processing",
        call_successful="unknown",
    )
    fake.update_conversation(conv, status="done", call_successful="success")
    body = http.get(f"{LIST}/{conv}").json()
    assert (body["status"], body["analysis"]["call_successful"]) == ("done", "success")


def test_unknown_conversation_is_404(http: requests.Session) -> None:
    response = http.get(f"{LIST}/conv_missing")
    assert response.status_code == 404
    detail = response.json()["detail"]
    assert detail["status"] == "conversation_not_found"
    assert "conv_missing" in detail["message"]


def test_counters_split_list_and_detail(fake: FakeElevenLabs, http: requests.Session) -> None:
    ids = seed(fake, 3)
    http.get(LIST)
    for conv in ids:
        http.get(f"{LIST}/{conv}")
    assert fake.calls["list"] == 1
    assert fake.calls["detail"] == 3
    assert fake.request_log[1] == ("GET", f"/v1/convai/conversations/{ids[0]}", {})
    fake.reset_log()
    assert fake.request_log == [] and sum(fake.calls.values()) == 0


# --------------------------------------------------------------------- faults


def test_fail_next_system_busy_then_recovers(fake: FakeElevenLabs, http: requests.Session) -> None:
    seed(fake, 1)
    fake.fail_next(2)
    for _ in range(2):
        response = http.get(LIST)
        assert response.status_code == 429
        assert response.json()["detail"]["status"] == "system_busy"
    assert http.get(LIST).status_code == 200
    assert fake.calls["list"] == 3


def test_fail_next_custom_status_and_endpoint(fake: FakeElevenLabs, http: requests.Session) -> None:
    (conv,) = seed(fake, 1)
    fake.fail_next(1, status=503, endpoint="detail")
    fake.fail_next(1, status=429, detail_status="too_many_concurrent_requests")
    assert http.get(LIST).json()["detail"]["status"] == "too_many_concurrent_requests"
    assert http.get(LIST).status_code == 200  # the 503 waits for a detail call
    response = http.get(f"{LIST}/{conv}")
    assert response.status_code == 503
    assert response.json()["detail"]["status"] == "service_unavailable"
    assert http.get(f"{LIST}/{conv}").status_code == 200


def test_faults_come_before_auth(fake: FakeElevenLabs) -> None:
    fake.fail_next(1, status=500)
    response = fake.session().get(LIST)
    assert response.status_code == 500
    assert response.json()["detail"]["status"] == "internal_server_error"
    assert fake.session().get(LIST).status_code == 401
    fake.fail_next(3)
    fake.clear_faults()
    assert fake.session().get(LIST, headers={"xi-api-key": KEY}).status_code == 200


def test_concurrency_limit_rejects_excess_in_flight(fake: FakeElevenLabs) -> None:
    seed(fake, 1)
    fake.limit_concurrency(2, hold_secs=0.3)
    barrier = threading.Barrier(5)
    results: list[requests.Response] = []
    lock = threading.Lock()

    def call() -> None:
        session = fake.session()
        barrier.wait()
        response = session.get(LIST, headers={"xi-api-key": KEY})
        with lock:
            results.append(response)

    threads = [threading.Thread(target=call) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    statuses = sorted(r.status_code for r in results)
    assert statuses == [200, 200, 429, 429, 429]
    rejected = [r.json()["detail"]["status"] for r in results if r.status_code == 429]
    assert rejected == ["too_many_concurrent_requests"] * 3
    assert fake.peak_in_flight >= 3
    assert fake.in_flight == 0

    fake.limit_concurrency(None, hold_secs=0)
    assert fake.session().get(LIST, headers={"xi-api-key": KEY}).status_code == 200


def test_concurrency_limit_with_held_requests_is_deterministic(fake: FakeElevenLabs) -> None:
    seed(fake, 1)
    fake.limit_concurrency(2)
    fake.hold_requests()
    results: list[int] = []

    def call() -> None:
        results.append(fake.session().get(LIST, headers={"xi-api-key": KEY}).status_code)

    threads = [threading.Thread(target=call) for _ in range(2)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 5
    while fake.in_flight < 2 and time.monotonic() < deadline:
        time.sleep(0.001)
    assert fake.in_flight == 2
    third = fake.session().get(LIST, headers={"xi-api-key": KEY})
    assert third.status_code == 429
    assert third.json()["detail"]["status"] == "too_many_concurrent_requests"
    fake.release_requests()
    for thread in threads:
        thread.join()
    assert results == [200, 200]
    assert fake.session().get(LIST, headers={"xi-api-key": KEY}).status_code == 200


def test_held_request_times_out_on_the_client(fake: FakeElevenLabs, http: requests.Session) -> None:
    fake.hold_requests()
    with pytest.raises(requests.exceptions.ReadTimeout):
        http.get(LIST, timeout=0.05)
    assert fake.in_flight == 0
    fake.release_requests()
    assert http.get(LIST, timeout=1).status_code == 200


def test_sequential_calls_never_hit_the_concurrency_limit(
    fake: FakeElevenLabs, http: requests.Session
) -> None:
    seed(fake, 1)
    fake.limit_concurrency(1, hold_secs=0.01)
    assert [http.get(LIST).status_code for _ in range(3)] == [200, 200, 200]
    assert fake.peak_in_flight == 1


def test_latency_beyond_read_timeout_raises(fake: FakeElevenLabs, http: requests.Session) -> None:
    fake.latency_secs = 0.2
    with pytest.raises(requests.exceptions.ReadTimeout):
        http.get(LIST, timeout=(1, 0.05))
    assert fake.calls["list"] == 1
    assert http.get(LIST, timeout=1).status_code == 200
