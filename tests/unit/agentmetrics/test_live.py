"""Webhook events applied to the numbers: once each, in the client's month, and appointments
in their latest state whatever the order they arrive in."""

from __future__ import annotations

import itertools
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from revops.agentmetrics.live.apply import Applier, Directory
from revops.agentmetrics.live.events import (
    AppointmentEvent,
    CallEvent,
    InvalidWebhookEventError,
    parse_message,
    project_elevenlabs,
    project_gohighlevel,
)
from revops.store.agentmetrics import AgentMetricsStore
from revops.store.live import LiveStore
from tests.unit.agentmetrics.conftest import CALENDAR, LOCATION, make_client

NOW = datetime(2026, 3, 20, 16, tzinfo=UTC)  # March 2026 in Toronto
CLIENT = make_client()
BOOKED = ["confirmed", "showed"]


@pytest.fixture
def applier(store: AgentMetricsStore) -> Applier:
    store.put_client(
        CLIENT.client_id, CLIENT.model_dump(mode="json", exclude={"client_id", "updated_at"})
    )
    return Applier(store, Directory([CLIENT]), BOOKED, now=NOW)


def call(conversation: str = "conv_1", **changes: Any) -> CallEvent:
    fields: dict[str, Any] = {
        "kind": "call",
        "eventType": "post_call_transcription",
        "conversationId": conversation,
        "agentId": "agent_a",
        "startUnix": int((NOW - timedelta(hours=1)).timestamp()),
        "durationSecs": 120,
        "direction": "inbound",
        "status": "done",
        "callSuccessful": "success",
        "receivedAt": "2026-03-20T16:00:00.000Z",
    }
    fields.update(changes)
    event = CallEvent.model_validate(fields)
    return event


def appointment(version_minutes: int, status: str, **changes: Any) -> AppointmentEvent:
    updated = datetime(2026, 3, 20, 12, tzinfo=UTC) + timedelta(minutes=version_minutes)
    fields: dict[str, Any] = {
        "kind": "appointment",
        "eventType": "AppointmentUpdate",
        "locationId": LOCATION,
        "appointmentId": "appt_1",
        "calendarId": CALENDAR,
        "assignedUserId": "userA",
        "status": status,
        "startTime": "2026-03-25T10:00:00-04:00",
        "dateUpdated": updated.isoformat(),
        "receivedAt": "2026-03-20T16:00:00.000Z",
    }
    fields.update(changes)
    return AppointmentEvent.model_validate(fields)


def row(store: AgentMetricsStore, period: str = "2026-03", agent: str = "agent_a") -> Any:
    return store.history(CLIENT.client_id, period, agent)


def current(store: AgentMetricsStore, agent: str = "agent_a") -> Any:
    return next((r for r in store.current(CLIENT.client_id) if r.agent_id == agent), None)


# --------------------------------------------------------------------------- calls


def test_a_call_is_recorded_and_counted_once_however_often_it_is_delivered(
    applier: Applier, store: AgentMetricsStore
) -> None:
    outcomes = [applier.apply(call()).status for _ in range(3)]
    assert outcomes == ["applied", "duplicate", "duplicate"]
    history = row(store)
    assert (history.total_calls, history.inbound_calls, history.total_duration) == (1, 1, 120)
    assert history.average_duration == 120.0 and history.calls_live_events == 1
    assert history.calls_source["detail"]["via"] == "post-call webhooks"
    live = current(store)
    assert live is not None and live.period == "2026-03" and live.total_calls == 1
    [recorded] = store.calls(["conv_1"]).values()
    assert recorded.received_at == "2026-03-20T16:00:00.000Z"


def test_a_call_the_import_already_recorded_is_not_counted_again(
    applier: Applier, store: AgentMetricsStore
) -> None:
    store.put_calls(
        [
            {
                "conversation_id": "conv_1",
                "client_id": CLIENT.client_id,
                "agent_id": "agent_a",
                "agent_name": "Alpha",
                "period": "2026-03",
                "start_time": "2026-03-20T15:00:00Z",
                "start_unix": int((NOW - timedelta(hours=1)).timestamp()),
                "duration_secs": 120,
                "direction": "inbound",
                "status": "done",
                "call_successful": "success",
            }
        ],
        "import-1",
    )
    assert applier.apply(call()).status == "duplicate"
    assert row(store) is None  # nothing counted twice (the import's numbers stand)


def test_the_clients_time_zone_decides_the_month_and_past_months_do_not_touch_agentmetrics(
    applier: Applier, store: AgentMetricsStore
) -> None:
    late = datetime(2026, 3, 1, 4, 30, tzinfo=UTC)  # 23:30 on 28 February in Toronto
    outcome = applier.apply(call("conv_late", startUnix=int(late.timestamp())))
    assert (outcome.status, outcome.period) == ("applied", "2026-02")
    assert row(store, "2026-02").total_calls == 1
    assert current(store) is None


def test_web_calls_and_failed_initiations_count_as_the_import_counts_them(
    applier: Applier, store: AgentMetricsStore
) -> None:
    applier.apply(call("conv_web", direction="web", durationSecs=30))
    applier.apply(
        call(
            "conv_fail",
            eventType="call_initiation_failure",
            direction="outbound",
            durationSecs=0,
            status="failed",
            callSuccessful="failure",
            failureReason="busy",
        )
    )
    history = row(store)
    assert (history.total_calls, history.inbound_calls, history.outbound_calls) == (2, 0, 1)
    assert history.total_duration == 30


def test_a_crash_after_the_transaction_is_repaired_by_the_redelivery(
    applier: Applier, store: AgentMetricsStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = AgentMetricsStore.derive_and_mirror
    calls = {"n": 0}

    def crash_once(self: AgentMetricsStore, item: Any, *, is_current: bool) -> None:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("the Lambda died here")
        original(self, item, is_current=is_current)

    monkeypatch.setattr(AgentMetricsStore, "derive_and_mirror", crash_once)
    with pytest.raises(RuntimeError):
        applier.apply(call())
    assert row(store).average_duration is None and current(store) is None
    assert applier.apply(call()).status == "duplicate"  # SQS delivers it again
    assert row(store).average_duration == 120.0 and current(store).total_calls == 1
    assert row(store).total_calls == 1


def test_an_agent_no_client_has_is_ignored(applier: Applier, store: AgentMetricsStore) -> None:
    outcome = applier.apply(call(agentId="agent_unknown"))
    assert outcome.status == "ignored" and "agent_unknown" in outcome.reason


# --------------------------------------------------------------------------- appointments

CONFIRM_CANCEL_CONFIRM = [
    appointment(0, "confirmed", eventType="AppointmentCreate"),
    appointment(10, "cancelled"),
    appointment(20, "confirmed"),
]


@pytest.mark.parametrize("order", list(itertools.permutations(range(3))))
def test_confirmed_cancelled_reconfirmed_in_any_order_ends_booked_once(
    applier: Applier, store: AgentMetricsStore, order: tuple[int, ...]
) -> None:
    for index in order:
        applier.apply(CONFIRM_CANCEL_CONFIRM[index])
        applier.apply(CONFIRM_CANCEL_CONFIRM[index])  # and each one delivered twice
    assert row(store).successful_bookings == 1
    stored = LiveStore(store).appointment("appt_1")
    assert (
        stored is not None
        and stored.status == "confirmed"
        and stored.version == (CONFIRM_CANCEL_CONFIRM[2].version_ms())
    )
    assert current(store).successful_bookings == 1


@pytest.mark.parametrize("order", list(itertools.permutations(range(3))))
def test_a_deleted_appointment_stops_counting_whatever_arrives_after(
    applier: Applier, store: AgentMetricsStore, order: tuple[int, ...]
) -> None:
    events = [
        appointment(0, "confirmed", eventType="AppointmentCreate"),
        appointment(10, "showed"),
        appointment(20, "showed", eventType="AppointmentDelete"),
    ]
    for index in order:
        applier.apply(events[index])
    history = row(store)
    assert history is None or history.successful_bookings == 0


def test_a_reschedule_moves_the_booking_to_its_new_month(
    applier: Applier, store: AgentMetricsStore
) -> None:
    applier.apply(appointment(0, "confirmed", eventType="AppointmentCreate"))
    applier.apply(appointment(5, "confirmed", startTime="2026-04-02T10:00:00-04:00"))
    assert row(store).successful_bookings == 0
    assert row(store, "2026-04").successful_bookings == 1
    assert current(store).successful_bookings == 0  # March is current; April is not yet


def test_a_status_change_credits_only_booked_statuses_and_the_mapped_agent(
    applier: Applier, store: AgentMetricsStore
) -> None:
    assert applier.apply(appointment(0, "new", eventType="AppointmentCreate")).status == "applied"
    assert row(store) is None
    applier.apply(appointment(1, "confirmed"))
    applier.apply(appointment(2, "confirmed", assignedUserId="userB"))  # reassigned
    assert (row(store).successful_bookings, row(store, agent="agent_b").successful_bookings) == (
        0,
        1,
    )
    applier.apply(appointment(3, "confirmed", calendarId="someOtherCalendar"))
    assert row(store, agent="agent_b").successful_bookings == 0  # not the client's calendar


def test_concurrent_events_for_one_appointment_end_in_its_latest_state(
    applier: Applier, store: AgentMetricsStore
) -> None:
    events = [appointment(i, "confirmed" if i % 2 else "cancelled") for i in range(12)]
    failures: list[BaseException] = []

    def apply(event: AppointmentEvent) -> None:
        try:
            applier.apply(event)
        except BaseException as exc:  # surfaced below: a thread's error must fail the test
            failures.append(exc)

    threads = [threading.Thread(target=apply, args=(e,)) for e in reversed(events)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    stored = LiveStore(store).appointment("appt_1")
    assert stored is not None and stored.version == events[-1].version_ms()
    assert row(store).successful_bookings == 1  # the latest (11) is confirmed


def test_an_unknown_location_is_ignored(applier: Applier) -> None:
    assert applier.apply(appointment(0, "confirmed", locationId="locNobody")).status == "ignored"


# --------------------------------------------------------------------------- messages


def test_projections_keep_what_the_numbers_need_and_parse_strictly() -> None:
    payload = {
        "type": "post_call_transcription",
        "event_timestamp": 1773_900_000,
        "data": {
            "conversation_id": "conv_9",
            "agent_id": "agent_a",
            "status": "done",
            "transcript": [{"role": "agent", "message": "hi" * 10_000}],
            "metadata": {
                "start_time_unix_secs": 1773_899_000,
                "call_duration_secs": 61,
                "phone_call": None,
            },
            "analysis": {"call_successful": "success"},
        },
    }
    projected = project_elevenlabs(payload)
    assert projected is not None and len(str(projected)) < 400  # the transcript stays out
    event = parse_message(
        __import__("json").dumps({**projected, "receivedAt": "2026-03-20T16:00:00Z"})
    )
    assert isinstance(event, CallEvent) and event.direction == "web" and event.duration_secs == 61
    assert project_elevenlabs({"type": "post_call_audio", "data": {}}) is None
    assert project_gohighlevel({"type": "ContactCreate"}) is None


@pytest.mark.parametrize(
    "message",
    [
        "not json",
        "{}",
        '{"kind": "call", "receivedAt": "2026-03-20T16:00:00Z"}',
        '{"kind": "call", "eventType": "post_call_transcription", "conversationId": "c", "agentId": "a",'
        ' "startUnix": "yesterday", "durationSecs": 1, "direction": "inbound", "status": "done",'
        ' "callSuccessful": "success", "receivedAt": "2026-03-20T16:00:00Z"}',
        '{"kind": "appointment", "eventType": "AppointmentUpdate", "locationId": "l", "appointmentId": "a",'
        ' "status": "confirmed", "startTime": "2026-03-25T10:00:00", "dateUpdated": "2026-03-20T12:00:00Z",'
        ' "receivedAt": "2026-03-20T16:00:00Z"}',
    ],
)
def test_an_unreadable_message_is_a_typed_poison_error(message: str) -> None:
    with pytest.raises(InvalidWebhookEventError):
        parse_message(message)


def test_webhooks_after_a_sync_move_the_counts_from_what_the_sync_counted(
    applier: Applier,
    store: AgentMetricsStore,
    ghl: Any,
    vault: Any,
    seeded_token: str,
    clock: Any,
) -> None:
    from revops.agentmetrics import bookings
    from revops.agentmetrics.periods import Period
    from tests.unit.agentmetrics.test_month_import import ghl_client

    march = Period(2026, 3)
    start = datetime(2026, 3, 25, 14, tzinfo=UTC)
    kept = ghl.add_appointment(
        location_id=LOCATION,
        calendar_id=CALENDAR,
        start=start,
        status="confirmed",
        assigned_user_id="userA",
    )
    gone = ghl.add_appointment(
        location_id=LOCATION,
        calendar_id=CALENDAR,
        start=start,
        status="showed",
        assigned_user_id="userA",
    )
    client = ghl_client(ghl, vault, store, clock)
    bookings.sync(CLIENT, march, client, store, BOOKED, now=NOW)
    assert row(store).successful_bookings == 2
    stored = LiveStore(store).appointment(kept)
    assert stored is not None and stored.source == "import" and stored.booked
    # Cancelled after the sync: the webhook takes the booking the sync counted away.
    clock.advance(3600)
    ghl.set_appointment_status(kept, "cancelled")
    [rendered] = [a for a in ghl.appointments() if a["id"] == kept]
    applier.apply(
        appointment(
            0,
            rendered["appointmentStatus"],
            appointmentId=kept,
            dateUpdated=rendered["dateUpdated"],
            startTime=rendered["startTime"],
        )
    )
    assert row(store).successful_bookings == 1
    # Deleted in GoHighLevel with no webhook reaching us: the next sync marks it deleted.
    ghl.remove_appointment(gone)
    bookings.sync(CLIENT, march, client, store, BOOKED, now=NOW)
    assert row(store).successful_bookings == 0
    deleted = LiveStore(store).appointment(gone)
    assert deleted is not None and deleted.deleted and not deleted.booked
    # A late update for it changes nothing now.
    assert applier.apply(appointment(90, "confirmed", appointmentId=gone)).status == "stale"


# --------------------------------------------------------------------------- reconciliation


def test_reconciliation_keeps_the_apis_numbers_and_reports_a_missed_and_a_phantom_webhook(
    applier: Applier, store: AgentMetricsStore, eleven: Any
) -> None:
    from revops.agentmetrics import calls, checks
    from revops.agentmetrics.models import BookingRateRange
    from revops.agentmetrics.periods import Period
    from tests.unit.agentmetrics.test_month_import import eleven_client

    march = Period(2026, 3)
    listed = []
    for i in range(3):  # three calls happened; ElevenLabs lists all three
        started = NOW - timedelta(days=1, minutes=i)
        listed.append(
            eleven.add_conversation(
                agent_id="agent_a",
                agent_name="Alpha",
                start=started,
                duration_secs=60,
                direction="inbound",
                conversation_id=f"conv_real_{i}",
            )
        )
        if i < 2:  # the third call's webhook never arrived
            applier.apply(
                call(f"conv_real_{i}", startUnix=int(started.timestamp()), durationSecs=60)
            )
    # A webhook for a conversation ElevenLabs does not list (a test call deleted since).
    applier.apply(call("conv_phantom", agentId="agent_b", durationSecs=30))
    assert (row(store).total_calls, row(store, agent="agent_b").total_calls) == (2, 1)
    assert row(store).calls_live_events == 2

    calls.import_calls(
        CLIENT, march, eleven_client(eleven), store, import_id="monthly-sync", now=NOW
    )
    a, b = row(store), row(store, agent="agent_b")
    assert (a.total_calls, b.total_calls) == (3, 0)  # the API's numbers stand
    assert a.calls_live_events == 0 and a.calls_drift["importId"] == "monthly-sync"
    assert a.calls_drift["fields"]["total_calls"] == {"live": 2, "api": 3, "difference": -1}
    assert b.calls_drift["fields"]["total_calls"] == {"live": 1, "api": 0, "difference": 1}
    assert current(store).total_calls == 3

    report = checks.validate(
        store,
        CLIENT,
        [march],
        BookingRateRange(min_percent=0, max_percent=100),
        "2026-03-01",
        "2026-03-31",
    )
    drift = {(d.agent_id, d.part): d for d in report.webhook_drift}
    assert drift[("agent_a", "calls")].fields["totalCalls"].difference == -1
    assert drift[("agent_b", "calls")].fields["totalCalls"].difference == 1
    issues = [i for i in report.consistency.issues if i.type == "webhook_drift"]
    assert {i.agent_id for i in issues} == {"agent_a", "agent_b"}
    assert "totalCalls 2 against the API's 3 (-1)" in next(
        i.detail for i in issues if i.agent_id == "agent_a"
    )

    # Re-imported with no webhook since, the last reconciliation's finding stays.
    calls.import_calls(CLIENT, march, eleven_client(eleven), store, import_id="again", now=NOW)
    assert row(store).calls_drift["importId"] == "monthly-sync"
    # A webhook that was delivered for a call ElevenLabs lists reconciles without drift.
    late = NOW - timedelta(hours=2)
    eleven.add_conversation(
        agent_id="agent_a",
        agent_name="Alpha",
        start=late,
        duration_secs=45,
        direction="outbound",
        conversation_id="conv_late",
    )
    applier.apply(
        call("conv_late", startUnix=int(late.timestamp()), durationSecs=45, direction="outbound")
    )
    calls.import_calls(CLIENT, march, eleven_client(eleven), store, import_id="third", now=NOW)
    clean = row(store).calls_drift
    assert clean["importId"] == "third" and clean["webhookEvents"] == 1
    assert all(f["difference"] == 0 for f in clean["fields"].values())
