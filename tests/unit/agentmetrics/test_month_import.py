"""One client-month: ElevenLabs calls and GoHighLevel bookings, against the stand-ins and moto."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from local.elevenlabs import FakeElevenLabs
from local.fakes_common import ManualClock
from local.gohighlevel import FakeGoHighLevel
from revops.agentmetrics import bookings, calls
from revops.agentmetrics.periods import Period
from revops.integrations.elevenlabs import ElevenLabsClient
from revops.integrations.gohighlevel import (
    GoHighLevelClient,
    OAuthClient,
    RateLimiter,
    SecretsManagerTokenVault,
    TokenManager,
)
from revops.store.agentmetrics import AgentMetricsStore
from tests.unit.agentmetrics.conftest import (
    CALENDAR,
    EL_KEY,
    GHL_ID,
    GHL_SECRET,
    LOCATION,
    make_client,
)

TORONTO = ZoneInfo("America/Toronto")
MARCH = Period(2025, 3)


def local(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2025, month, day, hour, minute, tzinfo=TORONTO)


def eleven_client(fake: FakeElevenLabs) -> ElevenLabsClient:
    return ElevenLabsClient(EL_KEY, session=fake.session(), sleep=lambda s: None)


def ghl_client(
    fake: FakeGoHighLevel,
    vault: SecretsManagerTokenVault,
    store: AgentMetricsStore,
    clock: ManualClock,
) -> GoHighLevelClient:
    tokens = TokenManager(
        LOCATION,
        vault=vault,
        lock=store,
        oauth=OAuthClient(GHL_ID, GHL_SECRET, session=fake.session()),
    )
    return GoHighLevelClient(
        LOCATION,
        tokens,
        session=fake.session(),
        limiter=RateLimiter(clock=clock, sleep=clock.advance),
        sleep=clock.advance,
    )


@pytest.fixture
def conversations(eleven: FakeElevenLabs) -> dict[str, str]:
    ids = {
        "in": eleven.add_conversation(
            agent_id="agent_a",
            agent_name="Alpha",
            start=local(3, 10),
            duration_secs=100,
            direction="inbound",
        ),
        "out": eleven.add_conversation(
            agent_id="agent_a",
            agent_name="Alpha",
            start=local(4, 11),
            duration_secs=200,
            direction="outbound",
        ),
        "web": eleven.add_conversation(
            agent_id="agent_a",
            agent_name="Alpha",
            start=local(5, 12),
            duration_secs=300,
            direction=None,
        ),
        # 23:30 on 31 March in Toronto: April in UTC, March here.
        "late": eleven.add_conversation(
            agent_id="agent_b",
            agent_name="Beta",
            start=local(31, 23, 30),
            duration_secs=60,
            direction="inbound",
        ),
        # 00:30 on 1 April in Toronto: April locally and in UTC.
        "early_april": eleven.add_conversation(
            agent_id="agent_b",
            agent_name="Beta",
            start=local(1, 0, 30, month=4),
            duration_secs=60,
            direction="inbound",
        ),
        "other_agent": eleven.add_conversation(
            agent_id="agent_zzz",
            agent_name="Z",
            start=local(6, 9),
            duration_secs=60,
            direction="inbound",
        ),
    }
    return ids


def test_calls_are_counted_per_agent_in_the_local_month(
    eleven: FakeElevenLabs, store: AgentMetricsStore, conversations: dict[str, str]
) -> None:
    result = calls.import_calls(make_client(), MARCH, eleven_client(eleven), store)
    alpha, beta = result.agents["agent_a"], result.agents["agent_b"]
    assert (alpha.inbound_calls, alpha.outbound_calls, alpha.web_calls, alpha.total_calls) == (
        1,
        1,
        1,
        3,
    )
    assert alpha.total_duration == 600 and alpha.average_duration == 200.0
    assert beta.total_calls == 1  # the 23:30 call; 00:30 on 1 April is April
    rows = {r.conversation_id: r for r in store.calls_in_period("client-unit", "2025-03")}
    assert set(rows) == {conversations[k] for k in ("in", "out", "web", "late")}
    assert rows[conversations["web"]].direction == "web"
    history = store.history("client-unit", "2025-03", "agent_a")
    assert history is not None and history.total_calls == 3 and history.inbound_calls == 1


def test_details_are_fetched_only_when_the_direction_is_unknown(
    eleven: FakeElevenLabs, store: AgentMetricsStore, conversations: dict[str, str]
) -> None:
    calls.import_calls(make_client(), MARCH, eleven_client(eleven), store)
    assert eleven.calls["detail"] == 1  # only the web call
    eleven.reset_log()
    calls.import_calls(make_client(), MARCH, eleven_client(eleven), store)
    assert eleven.calls["detail"] == 0  # its direction is known from the first import


def test_reimporting_counts_nothing_twice(
    eleven: FakeElevenLabs, store: AgentMetricsStore, conversations: dict[str, str]
) -> None:
    client = make_client()
    first = calls.import_calls(client, MARCH, eleven_client(eleven), store)
    second = calls.import_calls(client, MARCH, eleven_client(eleven), store)
    assert first.agents == second.agents
    assert len(list(store.calls_in_period("client-unit", "2025-03"))) == 4
    history = store.history("client-unit", "2025-03", "agent_a")
    assert history is not None and history.total_calls == 3


def test_the_list_walk_uses_the_local_month_bounds(
    eleven: FakeElevenLabs, store: AgentMetricsStore
) -> None:
    calls.import_calls(make_client(), MARCH, eleven_client(eleven), store)
    params = [p for _, path, p in eleven.request_log if path.endswith("/conversations")]
    start, end = MARCH.bounds(TORONTO)
    assert {p["call_start_after_unix"] for p in params} == {str(int(start.timestamp()))}
    assert {p["call_start_before_unix"] for p in params} == {str(int(end.timestamp()))}
    assert {p["agent_id"] for p in params} == {"agent_a", "agent_b"}


def add(
    fake: FakeGoHighLevel, start: datetime, status: str, user: str, calendar: str = CALENDAR
) -> str:
    return fake.add_appointment(
        location_id=LOCATION,
        calendar_id=calendar,
        start=start,
        status=status,
        assigned_user_id=user,
    )


def test_bookings_by_assigned_user(
    ghl: FakeGoHighLevel,
    vault: SecretsManagerTokenVault,
    store: AgentMetricsStore,
    seeded_token: str,
    clock: ManualClock,
) -> None:
    add(ghl, local(3, 10), "confirmed", "userA")
    add(ghl, local(4, 10), "showed", "userA")
    add(ghl, local(5, 10), "cancelled", "userA")
    add(ghl, local(6, 10), "confirmed", "userB")
    add(ghl, local(7, 10), "confirmed", "frontDesk")  # nobody's
    add(ghl, local(31, 23, 30), "confirmed", "userB")  # April in UTC
    add(ghl, local(1, 0, 30, month=4), "confirmed", "userB")  # April
    counts = bookings.counts(
        make_client(), MARCH, ghl_client(ghl, vault, store, clock), ["confirmed", "showed"]
    )
    assert counts.total_appointments == 6 and counts.total_bookings == 5
    assert counts.unattributed_bookings == 1
    assert counts.agent_bookings["agent_a"].booking_count == 2
    assert counts.agent_bookings["agent_b"].booking_count == 2
    assert counts.date_range.start == "2025-03-01T05:00:00.000Z"
    assert counts.date_range.end == "2025-04-01T03:59:59.000Z"


def test_bookings_by_calendar_query_every_mapped_calendar(
    ghl: FakeGoHighLevel,
    vault: SecretsManagerTokenVault,
    store: AgentMetricsStore,
    seeded_token: str,
    clock: ManualClock,
) -> None:
    client = make_client(
        cal_id="calNew",
        attribution={"by": "calendar", "agents": {"calNew": "agent_a", "calFollow": "agent_b"}},
    )
    add(ghl, local(3, 10), "confirmed", "anyone", "calNew")
    add(ghl, local(3, 11), "showed", "anyone", "calFollow")
    add(ghl, local(3, 12), "confirmed", "anyone", "calStaff")  # not ours
    result = bookings.sync(
        client, MARCH, ghl_client(ghl, vault, store, clock), store, ["confirmed", "showed"]
    )
    assert result.total_appointments == 2
    assert result.agent_updates["agent_a"].new_bookings == 1
    assert result.agent_updates["agent_b"].new_bookings == 1
    queried = {p["calendarId"] for _, path, p in ghl.request_log if path == "/calendars/events"}
    assert queried == {"calNew", "calFollow"}


def test_sync_reports_previous_and_new_bookings_and_the_statuses_are_configurable(
    ghl: FakeGoHighLevel,
    vault: SecretsManagerTokenVault,
    store: AgentMetricsStore,
    seeded_token: str,
    clock: ManualClock,
) -> None:
    add(ghl, local(3, 10), "confirmed", "userA")
    add(ghl, local(4, 10), "new", "userA")
    client = make_client()
    first = bookings.sync(
        client, MARCH, ghl_client(ghl, vault, store, clock), store, ["confirmed", "showed"]
    )
    assert first.agent_updates["agent_a"].previous_bookings == 0
    assert first.agent_updates["agent_a"].new_bookings == 1
    assert first.agent_updates["agent_a"].appointments_found == 1  # booked ones, as the seed
    wider = make_client(booked_statuses=["confirmed", "new"])
    second = bookings.sync(
        wider, MARCH, ghl_client(ghl, vault, store, clock), store, ["confirmed", "showed"]
    )
    assert second.agent_updates["agent_a"].previous_bookings == 1
    assert second.agent_updates["agent_a"].new_bookings == 2
    row = store.history("client-unit", "2025-03", "agent_a")
    assert row is not None and row.successful_bookings == 2
    assert row.bookings_source["detail"]["bookedStatuses"] == ["confirmed", "new"]


def test_a_single_agent_without_mapping_gets_every_booking(
    ghl: FakeGoHighLevel,
    vault: SecretsManagerTokenVault,
    store: AgentMetricsStore,
    seeded_token: str,
    clock: ManualClock,
) -> None:
    client = make_client(agents=[{"agentId": "agent_a", "agentName": "Alpha"}], attribution=None)
    add(ghl, local(3, 10), "confirmed", "whoever")
    counts = bookings.counts(client, MARCH, ghl_client(ghl, vault, store, clock), ["confirmed"])
    assert counts.agent_bookings["agent_a"].booking_count == 1


def test_historical_groups_by_local_month(
    ghl: FakeGoHighLevel,
    vault: SecretsManagerTokenVault,
    store: AgentMetricsStore,
    seeded_token: str,
    clock: ManualClock,
) -> None:
    add(ghl, local(31, 23, 30), "confirmed", "userA")
    add(ghl, local(1, 9, month=4), "showed", "userB")
    result = bookings.historical(
        make_client(),
        [Period(2025, 3), Period(2025, 4)],
        "2025-03-01",
        "2025-04-30",
        ghl_client(ghl, vault, store, clock),
        ["confirmed", "showed"],
    )
    assert [(m.period, m.total_bookings) for m in result.months] == [("2025-03", 1), ("2025-04", 1)]
    assert result.total_bookings == 2


def test_a_late_call_is_april_in_utc_but_march_locally() -> None:
    late = local(31, 23, 30)
    assert late.astimezone(UTC).month == 4 and MARCH.contains(late, TORONTO)
