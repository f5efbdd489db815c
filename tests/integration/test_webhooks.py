"""Provider webhooks end to end on the local stack: the stand-ins send signed events to the
local API Gateway, the receiver verifies and queues them, the event source mapping's pollers
hand them to the consumer in batches, and the numbers move.

Assertions are on what a user sees: the dashboard's current month, callHistory, the
appointment's latest state, the dead-letter queue."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from local.live import connect_webhooks, drain, parked, queue_depth
from local.stack import LocalStack
from revops.agentmetrics.models import derive
from revops.store.agentmetrics import AgentMetricsStore
from revops.store.live import LiveStore
from tests.integration.test_admin_api import COASTAL, MAPLE, Admin, open_admin

AGENT = MAPLE.agents[0]


@pytest.fixture
def admin(stack: LocalStack) -> Iterator[Admin]:
    with open_admin(stack) as opened:
        connect_webhooks(stack, opened.base)
        yield opened


def store_of(stack: LocalStack) -> AgentMetricsStore:
    return AgentMetricsStore(stack.physical_name("AgentMetricsTable"), "us-east-1", derive)


def current_month(admin: Admin, client_id: str = "client-maple") -> dict[str, Any]:
    summary = admin.get("/admin/reports/dashboard-summary", clientId=client_id).json()["data"]
    return dict(summary["currentMonth"])


def agent_row(month: dict[str, Any], agent_id: str = AGENT.agent_id) -> dict[str, Any]:
    return next((a for a in month["agents"] if a["agentId"] == agent_id), {})


def this_month(minutes_ago: int, zone: str = MAPLE.time_zone) -> datetime:
    """A moment `minutes_ago` ago (ahead when negative), kept inside this local month."""
    now = datetime.now(ZoneInfo(zone))
    first = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    after = (first + timedelta(days=32)).replace(day=1)
    wanted = now - timedelta(minutes=minutes_ago)
    return min(max(wanted, first + timedelta(seconds=1)), after - timedelta(seconds=1)).astimezone(
        UTC
    )


def a_call(admin: Admin, *, minutes_ago: int = 5, direction: str | None = "inbound") -> str:
    return admin.stack.elevenlabs.add_conversation(
        agent_id=AGENT.agent_id,
        agent_name=AGENT.name,
        start=this_month(minutes_ago),
        duration_secs=90,
        direction=direction,
    )


# --------------------------------------------------------------------------- calls


def test_a_signed_post_call_webhook_moves_the_current_month(admin: Admin) -> None:
    before = agent_row(current_month(admin))
    conversation = a_call(admin)
    [delivery] = admin.stack.elevenlabs.end_call(conversation)
    assert delivery.status == 200
    assert delivery.answer["data"] == {
        "provider": "elevenlabs",
        "eventType": "post_call_transcription",
        "queued": True,
        "eventId": conversation,
    }
    drain(admin.stack)
    after = agent_row(current_month(admin))
    assert after["totalCalls"] == before.get("totalCalls", 0) + 1
    assert after["inboundCalls"] == before.get("inboundCalls", 0) + 1
    assert after["sources"]["totalCalls"]["detail"]["via"] == "post-call webhooks"
    [row] = store_of(admin.stack).calls([conversation]).values()
    assert row.received_at and row.direction == "inbound" and row.duration_secs == 90


def test_a_failed_initiation_counts_as_a_failed_outbound_call(admin: Admin) -> None:
    admin.stack.elevenlabs.fail_call_initiation(
        agent_id=AGENT.agent_id, agent_name=AGENT.name, at=datetime.now(UTC), failure_reason="busy"
    )
    drain(admin.stack)
    row = agent_row(current_month(admin))
    assert (row["totalCalls"], row["outboundCalls"], row["totalDuration"]) == (1, 1, 0)


@pytest.mark.parametrize("fault", ["corrupt_next", "unsigned_next", "stale_next"])
def test_bad_missing_and_replayed_elevenlabs_signatures_are_401_and_change_nothing(
    admin: Admin, fault: str
) -> None:
    getattr(admin.stack.elevenlabs.webhooks, fault)()
    [delivery] = admin.stack.elevenlabs.end_call(a_call(admin))
    assert delivery.status == 401
    assert delivery.answer["success"] is False and "signature refused" in delivery.answer["error"]
    assert queue_depth(admin.stack) == (0, 0)
    assert agent_row(current_month(admin)) == {}


def test_a_replay_of_a_good_delivery_after_30_minutes_is_refused(admin: Admin) -> None:
    webhooks = admin.stack.elevenlabs.webhooks
    [first] = admin.stack.elevenlabs.end_call(a_call(admin))
    assert first.status == 200
    drain(admin.stack)
    # The same bytes and signature, as captured 31 minutes ago.
    header = first.headers["ElevenLabs-Signature"]
    timestamp = int(header.split(",")[0][2:])
    stale = header.replace(f"t={timestamp}", f"t={timestamp - 31 * 60}")
    again = webhooks.redeliver(
        replace(first, headers={**first.headers, "ElevenLabs-Signature": stale})
    )
    assert again.status == 401 and "signature refused" in again.answer["error"]
    assert agent_row(current_month(admin))["totalCalls"] == 1


def test_duplicate_deliveries_are_counted_once(admin: Admin) -> None:
    webhooks = admin.stack.elevenlabs.webhooks
    webhooks.duplicate_next()
    deliveries = admin.stack.elevenlabs.end_call(a_call(admin))
    deliveries.append(webhooks.redeliver(deliveries[0]))  # and a provider retry on top
    assert [d.status for d in deliveries] == [200, 200, 200]
    drain(admin.stack)
    assert agent_row(current_month(admin))["totalCalls"] == 1


def test_event_types_the_numbers_do_not_use_are_accepted_and_not_queued(admin: Admin) -> None:
    [audio] = admin.stack.elevenlabs.webhooks.emit(
        {"type": "post_call_audio", "event_timestamp": 1, "data": {"full_audio": "AAAA"}}
    )
    [contact] = admin.stack.ghl.webhooks.emit({"type": "ContactCreate", "locationId": "x"})
    for delivery in (audio, contact):
        assert delivery.status == 200 and delivery.answer["data"]["queued"] is False
    assert queue_depth(admin.stack) == (0, 0)


def test_oversized_and_unreadable_signed_bodies_are_4xx(admin: Admin) -> None:
    webhooks = admin.stack.elevenlabs.webhooks
    [huge] = webhooks.emit({"type": "post_call_transcription", "data": {"pad": "x" * 1_100_000}})
    assert huge.status == 413
    signer = webhooks.signer
    body = b"[" * 100 + b"]" * 100
    headers = {
        "Content-Type": "application/json",
        **signer(body, datetime.now(UTC).timestamp(), True),
    }
    deep = admin.api.session().post(f"{admin.base}/webhooks/elevenlabs", data=body, headers=headers)
    assert deep.status_code == 400 and deep.json()["success"] is False


# --------------------------------------------------------------------------- appointments


def book(admin: Admin, status: str = "confirmed", *, notify: bool = True) -> str:
    spec = COASTAL
    return admin.stack.ghl.add_appointment(
        location_id=spec.location_id,
        calendar_id=spec.cal_id,
        start=this_month(-30, spec.time_zone),
        status=status,
        assigned_user_id="coastUsrReception9zz",
        notify=notify,
    )


def test_an_appointment_confirmed_cancelled_and_reconfirmed_out_of_order_ends_booked_once(
    admin: Admin,
) -> None:
    ghl = admin.stack.ghl
    agent = COASTAL.agent_for[COASTAL.cal_id]
    ghl.webhooks.hold()
    appointment = book(admin)
    ghl.set_appointment_status(appointment, "cancelled", notify=True)
    ghl.set_appointment_status(appointment, "confirmed", notify=True)
    ghl.webhooks.release(order=[2, 0, 1])  # newest first; the cancellation last
    ghl.webhooks.duplicate_next()
    ghl.set_appointment_status(appointment, "showed", notify=True)
    ghl.webhooks.release()
    drain(admin.stack)
    row = agent_row(current_month(admin, "client-coastal"), agent)
    assert row["successfulBookings"] == 1
    stored = LiveStore(store_of(admin.stack)).appointment(appointment)
    assert stored is not None and stored.status == "showed" and stored.booked
    ghl.set_appointment_status(appointment, "cancelled", notify=True)
    drain(admin.stack)
    assert agent_row(current_month(admin, "client-coastal"), agent)["successfulBookings"] == 0


def test_a_deleted_appointment_stops_counting(admin: Admin) -> None:
    appointment = book(admin)
    drain(admin.stack)
    agent = COASTAL.agent_for[COASTAL.cal_id]
    assert agent_row(current_month(admin, "client-coastal"), agent)["successfulBookings"] == 1
    admin.stack.ghl.remove_appointment(appointment, notify=True)
    drain(admin.stack)
    assert agent_row(current_month(admin, "client-coastal"), agent)["successfulBookings"] == 0


@pytest.mark.parametrize("fault", ["corrupt_next", "unsigned_next"])
def test_bad_and_missing_highlevel_signatures_are_401(admin: Admin, fault: str) -> None:
    getattr(admin.stack.ghl.webhooks, fault)()
    appointment = book(admin, notify=False)
    [delivery] = admin.stack.ghl.set_appointment_status(appointment, "showed", notify=True)
    assert delivery.status == 401
    assert queue_depth(admin.stack) == (0, 0)


def test_the_retired_rsa_header_alone_is_refused(admin: Admin) -> None:
    body = json.dumps({"type": "AppointmentCreate", "locationId": COASTAL.location_id}).encode()
    response = admin.api.session().post(
        f"{admin.base}/webhooks/gohighlevel",
        data=body,
        headers={"Content-Type": "application/json", "X-WH-Signature": "c2lnbmF0dXJl"},
    )
    assert response.status_code == 401 and "retired" in response.json()["error"]


# --------------------------------------------------------------------------- poison


def test_a_poison_event_goes_to_the_dead_letter_queue_and_the_rest_of_its_batch_is_applied(
    admin: Admin,
) -> None:
    stack = admin.stack
    lam = stack.client("lambda")
    [mapping] = lam.list_event_source_mappings(
        FunctionName=stack.physical_name("ApplyWebhookEventsFunction")
    )["EventSourceMappings"]
    lam.update_event_source_mapping(UUID=mapping["UUID"], Enabled=False)
    good = [a_call(admin, minutes_ago=i + 1) for i in range(4)]
    stack.elevenlabs.end_call(good[0])
    stack.elevenlabs.end_call(good[1])
    [poison] = stack.elevenlabs.webhooks.emit(
        {
            "type": "post_call_transcription",
            "event_timestamp": int(datetime.now(UTC).timestamp()),
            "data": {
                "conversation_id": "conv_poison",
                "agent_id": AGENT.agent_id,
                "status": "done",
                "metadata": {"start_time_unix_secs": "yesterday", "call_duration_secs": 10},
            },
        }
    )
    assert poison.status == 200  # signed, so accepted and kept: the consumer judges it
    stack.elevenlabs.end_call(good[2])
    stack.elevenlabs.end_call(good[3])
    assert queue_depth(stack) == (5, 0)
    lam.update_event_source_mapping(UUID=mapping["UUID"], Enabled=True)
    drain(stack)
    assert agent_row(current_month(admin))["totalCalls"] == 4
    [dead] = parked(stack)
    assert json.loads(dead["Body"])["conversationId"] == "conv_poison"
    assert store_of(stack).calls(["conv_poison"]) == {}


# --------------------------------------------------------------------------- reconciliation


def test_reconciliation_after_a_dropped_and_a_doubled_webhook(admin: Admin) -> None:
    from local.demo_agent_metrics import month_dates

    webhooks = admin.stack.elevenlabs.webhooks
    conversations = [a_call(admin, minutes_ago=10 + i) for i in range(3)]
    admin.stack.elevenlabs.end_call(conversations[0])
    webhooks.drop_next()
    admin.stack.elevenlabs.end_call(conversations[1])
    webhooks.duplicate_next()
    admin.stack.elevenlabs.end_call(conversations[2])
    drain(admin.stack)
    assert agent_row(current_month(admin))["totalCalls"] == 2  # one missed, none doubled

    month = datetime.now(ZoneInfo(MAPLE.time_zone)).strftime("%Y-%m")
    start, end = month_dates((month,))
    synced = admin.http.post(
        f"{admin.base}/admin/bootstrap/bulk-sync",
        json={
            "clientId": "client-maple",
            "startDate": start,
            "endDate": end,
            "syncAppointments": False,
        },
        headers={"Prefer": "wait=20"},
    )
    assert synced.status_code == 200, synced.text
    assert agent_row(current_month(admin))["totalCalls"] == 3  # the API's number stands

    report = admin.get(
        "/admin/bootstrap/validate", clientId="client-maple", startDate=start, endDate=end
    ).json()["data"]
    [drift] = [d for d in report["webhookDrift"] if d["agentId"] == AGENT.agent_id]
    assert drift["part"] == "calls" and drift["webhookEvents"] == 2
    assert drift["fields"]["totalCalls"] == {"live": 2, "api": 3, "difference": -1}
    assert drift["fields"]["inboundCalls"]["difference"] == -1
    [issue] = [i for i in report["consistency"]["issues"] if i["type"] == "webhook_drift"]
    assert issue["period"] == month and "(-1)" in issue["detail"]
