"""The queue's messages: one provider event each, projected from the webhook's payload.

The receiver projects only the fields the numbers need (a post-call transcript can be
large; SQS messages cannot) and checks nothing but the signature and the event type,
so that whatever a provider signs is kept: a signed event the consumer cannot read is a
poison message, retried and then parked in the dead-letter queue where an operator sees
it, never dropped on the floor. The consumer validates strictly (`parse_message`).

* ElevenLabs `post_call_transcription` (and `call_initiation_failure`, an outbound
  attempt that never connected: a failed call of 0 s, as the conversations API lists
  it) -> `CallEvent`, keyed by `conversationId`.
* HighLevel `AppointmentCreate` / `AppointmentUpdate` / `AppointmentDelete` ->
  `AppointmentEvent`, keyed by the appointment id and ordered by its `dateUpdated`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, ConfigDict, Field, TypeAdapter, ValidationError

from revops.agentmetrics.models import ID_PATTERN, Direction, WireModel
from revops.errors import InvalidInputError

CALL_EVENT_TYPES = ("post_call_transcription", "call_initiation_failure")
APPOINTMENT_EVENT_TYPES = ("AppointmentCreate", "AppointmentUpdate", "AppointmentDelete")
# 2000-01-01T00:00:00Z .. 2101-01-01T00:00:00Z: the years the API serves, local months included.
MIN_UNIX, MAX_UNIX = 946_684_800, 4_133_980_800


class InvalidWebhookEventError(InvalidInputError):
    """A queued event that cannot be applied: retried, then parked in the dead-letter queue."""


def _aware(value: str) -> str:
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError("needs a UTC offset")
    return value


Instant = Annotated[str, Field(max_length=40), AfterValidator(_aware)]


class _Event(WireModel):
    model_config = ConfigDict(
        alias_generator=WireModel.model_config["alias_generator"],
        populate_by_name=True,
        extra="ignore",
        strict=True,
    )

    received_at: Instant = Field(description="When the receiver accepted the webhook.")
    request_id: str = Field("", max_length=128)


class CallEvent(_Event):
    kind: Literal["call"]
    event_type: Literal["post_call_transcription", "call_initiation_failure"]
    conversation_id: str = Field(pattern=r"^[A-Za-z0-9_.:-]{1,128}$")
    agent_id: str = Field(pattern=ID_PATTERN)
    start_unix: int = Field(ge=MIN_UNIX, lt=MAX_UNIX)
    duration_secs: int = Field(ge=0, le=7 * 24 * 3600)
    direction: Direction
    status: str = Field(max_length=40)
    call_successful: str = Field(max_length=40)
    failure_reason: str | None = Field(None, max_length=80)


class AppointmentEvent(_Event):
    kind: Literal["appointment"]
    event_type: Literal["AppointmentCreate", "AppointmentUpdate", "AppointmentDelete"]
    location_id: str = Field(pattern=ID_PATTERN)
    appointment_id: str = Field(pattern=ID_PATTERN)
    calendar_id: str | None = Field(None, max_length=128)
    assigned_user_id: str | None = Field(None, max_length=128)
    status: str = Field(max_length=40)
    start_time: Instant
    date_updated: Instant

    @property
    def deleted(self) -> bool:
        return self.event_type == "AppointmentDelete"

    def version_ms(self) -> int:
        parsed = datetime.fromisoformat(self.date_updated.replace("Z", "+00:00"))
        return int(parsed.timestamp() * 1000)


LiveEvent = Annotated[CallEvent | AppointmentEvent, Field(discriminator="kind")]
_ADAPTER: TypeAdapter[CallEvent | AppointmentEvent] = TypeAdapter(LiveEvent)


def parse_message(body: str) -> CallEvent | AppointmentEvent:
    """A queue message, strictly; InvalidWebhookEventError names what is wrong."""
    try:
        return _ADAPTER.validate_json(body)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '<message>'}: {e['msg']}"
            for e in exc.errors()[:10]
        )
        raise InvalidWebhookEventError(f"the queued event cannot be applied: {problems}") from exc


# --------------------------------------------------------------------------- projections


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def phone_direction(phone_call: Any) -> Direction:
    """A conversation's direction from `metadata.phone_call` (none: a web call)."""
    if not isinstance(phone_call, dict) or not phone_call:
        return "web"
    value = phone_call.get("direction")
    return value if value in ("inbound", "outbound") else "web"


def project_elevenlabs(payload: Any) -> dict[str, Any] | None:
    """The queue message for an ElevenLabs webhook; None for types the numbers do not use
    (`post_call_audio`, anything new)."""
    payload = _dict(payload)
    kind = payload.get("type")
    if kind not in CALL_EVENT_TYPES:
        return None
    data = _dict(payload.get("data"))
    common = {
        "kind": "call",
        "eventType": kind,
        "conversationId": data.get("conversation_id"),
        "agentId": data.get("agent_id"),
    }
    if kind == "call_initiation_failure":
        return {
            **common,
            "startUnix": payload.get("event_timestamp"),
            "durationSecs": 0,
            "direction": "outbound",
            "status": "failed",
            "callSuccessful": "failure",
            "failureReason": data.get("failure_reason"),
        }
    metadata = _dict(data.get("metadata"))
    return {
        **common,
        "startUnix": metadata.get("start_time_unix_secs"),
        "durationSecs": metadata.get("call_duration_secs"),
        "direction": phone_direction(metadata.get("phone_call")),
        "status": data.get("status"),
        "callSuccessful": _dict(data.get("analysis")).get("call_successful") or "unknown",
    }


def project_gohighlevel(payload: Any) -> dict[str, Any] | None:
    """The queue message for a HighLevel webhook; None for types other than appointments."""
    payload = _dict(payload)
    kind = payload.get("type")
    if kind not in APPOINTMENT_EVENT_TYPES:
        return None
    appointment = _dict(payload.get("appointment"))
    return {
        "kind": "appointment",
        "eventType": kind,
        "locationId": payload.get("locationId") or appointment.get("locationId"),
        "appointmentId": appointment.get("id"),
        "calendarId": appointment.get("calendarId"),
        "assignedUserId": appointment.get("assignedUserId"),
        "status": appointment.get("appointmentStatus"),
        "startTime": appointment.get("startTime"),
        "dateUpdated": appointment.get("dateUpdated") or appointment.get("dateAdded"),
    }
