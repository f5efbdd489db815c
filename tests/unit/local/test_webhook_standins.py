"""The stand-ins' webhooks: the documented payloads, signed, delivered over HTTP, and the
faults tests ask for (dropped, duplicated, wrongly signed, unsigned, stale, out of order)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from local.elevenlabs import FakeElevenLabs
from local.fakes_common import FakeRequest, FakeResponse, FakeService, ManualClock, json_response
from local.gohighlevel import FakeGoHighLevel
from local.webhooks import LOCAL_ELEVENLABS_WEBHOOK_SECRET, ghl_public_key_pem
from revops.errors import WebhookSignatureError
from revops.integrations import elevenlabs_webhooks as el
from revops.integrations.gohighlevel import webhooks as ghl_webhooks

START = datetime(2026, 1, 5, 15, tzinfo=UTC)


class Receiver(FakeService):
    """Records what it is sent and answers 200."""

    default_base_url = "https://hooks.receiver.local"

    def __init__(self) -> None:
        super().__init__()
        self.received: list[FakeRequest] = []
        self.add_route("POST", r"/hook", "hook", self._hook)

    def _hook(self, request: FakeRequest) -> FakeResponse:
        self.received.append(request)
        return json_response(200, {"ok": True})

    def events(self) -> list[dict[str, Any]]:
        return [json.loads(r.body) for r in self.received]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as installed:
        yield installed


@pytest.fixture
def eleven(receiver: Receiver) -> FakeElevenLabs:
    fake = FakeElevenLabs()
    fake.webhooks.subscribe(f"{receiver.base_url}/hook")
    return fake


@pytest.fixture
def ghl(receiver: Receiver) -> FakeGoHighLevel:
    fake = FakeGoHighLevel(clock=ManualClock(START.timestamp()))
    fake.add_location("loc1", timezone="America/Toronto")
    fake.webhooks.subscribe(f"{receiver.base_url}/hook")
    return fake


def call(eleven: FakeElevenLabs, direction: str | None = "inbound") -> str:
    return eleven.add_conversation(
        agent_id="agent_a", agent_name="Ava", start=START, duration_secs=95, direction=direction
    )


def test_a_post_call_webhook_carries_the_conversation_and_verifies(
    eleven: FakeElevenLabs, receiver: Receiver
) -> None:
    conversation = call(eleven)
    [delivery] = eleven.end_call(conversation)
    assert delivery.status == 200
    request = receiver.received[0]
    event = json.loads(request.body)
    assert event["type"] == "post_call_transcription" and isinstance(event["event_timestamp"], int)
    data = event["data"]
    assert data["conversation_id"] == conversation and data["agent_id"] == "agent_a"
    assert data["metadata"]["call_duration_secs"] == 95
    assert data["metadata"]["phone_call"]["direction"] == "inbound"
    assert data["analysis"]["call_successful"] == "success"
    el.verify(
        request.body,
        request.header(el.SIGNATURE_HEADER),
        LOCAL_ELEVENLABS_WEBHOOK_SECRET,
        now=event["event_timestamp"],
    )


def test_a_failed_initiation_is_listed_as_a_failed_call_and_sent(
    eleven: FakeElevenLabs, receiver: Receiver
) -> None:
    conversation = eleven.fail_call_initiation(
        agent_id="agent_a", agent_name="Ava", at=START, failure_reason="busy"
    )
    [event] = receiver.events()
    assert event["type"] == "call_initiation_failure"
    assert event["data"]["failure_reason"] == "busy"
    assert event["data"]["conversation_id"] == conversation
    [listed] = eleven.conversations()
    assert (listed["status"], listed["direction"], listed["call_duration_secs"]) == (
        "failed",
        "outbound",
        0,
    )


def test_faults_on_demand(eleven: FakeElevenLabs, receiver: Receiver) -> None:
    first, second, third, fourth, fifth = (call(eleven) for _ in range(5))
    eleven.webhooks.drop_next()
    assert eleven.end_call(first) == []
    eleven.webhooks.duplicate_next()
    assert len(eleven.end_call(second)) == 2
    eleven.webhooks.corrupt_next()
    eleven.end_call(third)
    eleven.webhooks.unsigned_next()
    eleven.end_call(fourth)
    eleven.webhooks.stale_next()
    eleven.end_call(fifth)
    assert [e["data"]["conversation_id"] for e in eleven.webhooks.dropped] == [first]
    received = receiver.received
    assert [json.loads(r.body)["data"]["conversation_id"] for r in received] == [
        second,
        second,
        third,
        fourth,
        fifth,
    ]
    now = json.loads(received[0].body)["event_timestamp"]
    el.verify(
        received[1].body,
        received[1].header(el.SIGNATURE_HEADER),
        LOCAL_ELEVENLABS_WEBHOOK_SECRET,
        now=now,
    )
    with pytest.raises(WebhookSignatureError, match="does not match"):
        el.verify(
            received[2].body,
            received[2].header(el.SIGNATURE_HEADER),
            LOCAL_ELEVENLABS_WEBHOOK_SECRET,
            now=now,
        )
    assert received[3].header(el.SIGNATURE_HEADER) is None
    with pytest.raises(WebhookSignatureError, match="older than 30 minutes"):
        el.verify(
            received[4].body,
            received[4].header(el.SIGNATURE_HEADER),
            LOCAL_ELEVENLABS_WEBHOOK_SECRET,
            now=now,
        )


def test_appointment_webhooks_are_signed_documented_and_can_arrive_out_of_order(
    ghl: FakeGoHighLevel, receiver: Receiver
) -> None:
    clock = ghl.clock
    assert isinstance(clock, ManualClock)
    ghl.webhooks.hold()
    appointment = ghl.add_appointment(
        location_id="loc1",
        calendar_id="cal1",
        start=START + timedelta(days=3),
        status="confirmed",
        assigned_user_id="userA",
        notify=True,
    )
    clock.advance(60)
    ghl.set_appointment_status(appointment, "cancelled", notify=True)
    clock.advance(60)
    ghl.set_appointment_status(appointment, "confirmed", notify=True)
    clock.advance(60)
    ghl.remove_appointment(appointment, notify=True)
    assert receiver.received == []
    ghl.webhooks.release(order=[3, 1, 0, 2])
    events = receiver.events()
    assert [e["type"] for e in events] == [
        "AppointmentDelete",
        "AppointmentUpdate",
        "AppointmentCreate",
        "AppointmentUpdate",
    ]
    assert [e["appointment"]["appointmentStatus"] for e in events] == [
        "confirmed",
        "cancelled",
        "confirmed",
        "confirmed",
    ]
    updated = [datetime.fromisoformat(e["appointment"]["dateUpdated"]) for e in events]
    assert sorted(updated) == [updated[2], updated[1], updated[3], updated[0]]
    assert {e["locationId"] for e in events} == {"loc1"}
    assert set(events[0]["appointment"]) >= {"id", "calendarId", "assignedUserId", "startTime"}
    for request in receiver.received:
        ghl_webhooks.verify(
            request.body, request.header(ghl_webhooks.SIGNATURE_HEADER), ghl_public_key_pem()
        )


def test_the_stand_in_signs_in_the_header_the_receiver_reads() -> None:
    from local.webhooks import GHL_SIGNATURE_HEADER

    assert GHL_SIGNATURE_HEADER == ghl_webhooks.SIGNATURE_HEADER
