"""In-process stand-in for the ElevenLabs Conversational AI conversations API.

Endpoints (auth: header `xi-api-key`):

* `GET /v1/convai/conversations` - query `agent_id`, `cursor`, `page_size`
  (1..100, default 30), `call_start_after_unix`, `call_start_before_unix`.
  Answers `{"conversations": [summary...], "has_more", "next_cursor"}`, newest
  first (`start_time_unix_secs` descending, ties by `conversation_id`).
  The cursor is opaque and keyset-based: it names the last item returned, so a
  walk stays exact while conversations are added or removed mid-walk.
  Time filters: `call_start_after_unix` is inclusive (start >= after),
  `call_start_before_unix` is exclusive (start < before). The real API does not
  document its boundary semantics: clients should de-duplicate by
  `conversation_id` rather than rely on them.
* `GET /v1/convai/conversations/{conversation_id}` - detail with `transcript`,
  `metadata` (incl. `phone_call`, null for web calls) and `analysis`.

Errors use the real shapes: `{"detail": {"status": ..., "message": ...}}`
(401 `needs_authorization` / `invalid_api_key`, 404 `conversation_not_found`,
429 `too_many_concurrent_requests` / `system_busy`), and FastAPI validation
errors (422, `{"detail": [{"type", "loc", "msg", "input", ...}]}`).

Fault injection: `fail_next(...)` queues canned failures; `limit_concurrency(n)`
answers 429 `too_many_concurrent_requests` to the request that would make more
than `n` in flight (in-flight time comes from `latency_secs` / `hold_secs`).

Post-call webhooks (`webhooks`, a `local.webhooks.WebhookSender` signed with the
webhook's shared secret): `end_call(id)` sends `post_call_transcription` for a
stored conversation, its `data` shaped as the conversation detail (ElevenLabs
aligned the two in 2025); `fail_call_initiation(...)` records an outbound attempt
that never connected, listed like any conversation with status `failed`, and
sends `call_initiation_failure` (`failure_reason` busy / no-answer / unknown,
`metadata` of the telephony provider). Both carry `event_timestamp`.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from local.fakes_common import FakeRequest, FakeResponse, FakeService, json_response
from local.webhooks import (
    LOCAL_ELEVENLABS_WEBHOOK_SECRET,
    Delivery,
    WebhookSender,
    elevenlabs_signer,
)

Direction = Literal["inbound", "outbound"]
CONVERSATION_STATUSES = frozenset({"initiated", "in-progress", "processing", "done", "failed"})
CALL_SUCCESSFUL_VALUES = frozenset({"success", "failure", "unknown"})
DEFAULT_PAGE_SIZE = 30
MAX_PAGE_SIZE = 100

_DEFAULT_DETAIL_STATUS = {
    429: "system_busy",
    500: "internal_server_error",
    502: "bad_gateway",
    503: "service_unavailable",
    504: "gateway_timeout",
}


@dataclass
class _Conversation:
    conversation_id: str
    agent_id: str
    agent_name: str
    start_unix: int
    duration_secs: int
    direction: Direction | None
    status: str
    call_successful: str
    message_count: int
    external_number: str
    agent_number: str
    phone_number_id: str
    call_sid: str = field(default_factory=lambda: "CA" + uuid.uuid4().hex)
    stream_sid: str = field(default_factory=lambda: "MZ" + uuid.uuid4().hex)

    @property
    def sort_key(self) -> tuple[int, str]:
        return (-self.start_unix, self.conversation_id)

    def summary(self) -> dict[str, Any]:
        return {
            "agent_id": self.agent_id,
            "agent_name": self.agent_name,
            "conversation_id": self.conversation_id,
            "start_time_unix_secs": self.start_unix,
            "call_duration_secs": self.duration_secs,
            "message_count": self.message_count,
            "status": self.status,
            "call_successful": self.call_successful,
            "direction": self.direction,
        }

    def transcript(self) -> list[dict[str, Any]]:
        lines = [
            ("agent", "Hi, thanks for calling. How can I help you today?"),
            ("user", "I'd like to book an appointment."),
            ("agent", "Sure, what day works best for you?"),
            ("user", "Tuesday afternoon, please."),
        ]
        step = max(1, self.duration_secs // max(1, self.message_count))
        return [
            {
                "role": lines[i % len(lines)][0],
                "message": lines[i % len(lines)][1],
                "time_in_call_secs": min(i * step, self.duration_secs),
            }
            for i in range(self.message_count)
        ]

    def detail(self) -> dict[str, Any]:
        phone_call: dict[str, Any] | None = None
        if self.direction is not None:
            phone_call = {
                "type": "twilio",
                "direction": self.direction,
                "phone_number_id": self.phone_number_id,
                "agent_number": self.agent_number,
                "external_number": self.external_number,
                "stream_sid": self.stream_sid,
                "call_sid": self.call_sid,
            }
        return {
            "agent_id": self.agent_id,
            "conversation_id": self.conversation_id,
            "status": self.status,
            "user_id": None,
            "transcript": self.transcript(),
            "metadata": {
                "start_time_unix_secs": self.start_unix,
                "accepted_time_unix_secs": self.start_unix,
                "call_duration_secs": self.duration_secs,
                "cost": self.duration_secs * 10,
                "termination_reason": "Call ended by remote party",
                "phone_call": phone_call,
            },
            "analysis": {
                "call_successful": self.call_successful,
                "transcript_summary": "The caller asked to book an appointment.",
                "call_summary_title": "Appointment request",
                "evaluation_criteria_results": {},
                "data_collection_results": {},
            },
            "has_audio": True,
            "has_user_audio": True,
            "has_response_audio": True,
        }


@dataclass
class _Fault:
    status: int
    detail_status: str
    endpoint: str | None


def _error(status: int, detail_status: str, message: str) -> FakeResponse:
    return json_response(status, {"detail": {"status": detail_status, "message": message}})


def _encode_cursor(key: tuple[int, str]) -> str:
    raw = json.dumps([key[0], key[1]], separators=(",", ":")).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _decode_cursor(cursor: str) -> tuple[int, str]:
    padded = cursor + "=" * (-len(cursor) % 4)
    try:
        value = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, binascii.Error, UnicodeError) as exc:
        raise ValueError("malformed cursor") from exc
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not isinstance(value[0], int)
        or not isinstance(value[1], str)
    ):
        raise ValueError("malformed cursor")
    return (value[0], value[1])


class FakeElevenLabs(FakeService):
    """Stand-in for `https://api.elevenlabs.io` conversation history endpoints."""

    default_base_url = "https://api.elevenlabs.io"

    def __init__(
        self,
        base_url: str | None = None,
        *,
        api_key: str = "test-xi-api-key",
        webhook_secret: str = LOCAL_ELEVENLABS_WEBHOOK_SECRET,
    ) -> None:
        super().__init__(base_url)
        self.api_key = api_key
        self.webhooks = WebhookSender(elevenlabs_signer(webhook_secret))
        self._conversations: dict[str, _Conversation] = {}
        self._faults: deque[_Fault] = deque()
        self._max_concurrent: int | None = None
        self.add_route("GET", r"/v1/convai/conversations", "list", self._list)
        self.add_route(
            "GET", r"/v1/convai/conversations/(?P<conversation_id>[^/]+)", "detail", self._detail
        )

    # --------------------------------------------------------------- data API

    def add_conversation(
        self,
        *,
        agent_id: str,
        agent_name: str,
        start: datetime,
        duration_secs: int,
        direction: Direction | None,
        conversation_id: str | None = None,
        status: str = "done",
        call_successful: str = "success",
        message_count: int = 4,
        external_number: str | None = None,
    ) -> str:
        """Store a conversation and return its id. `direction=None` is a web (non-phone) call."""
        if start.tzinfo is None:
            raise ValueError("start must be timezone-aware")
        if direction not in ("inbound", "outbound", None):
            raise ValueError(f"direction must be inbound, outbound or None, not {direction!r}")
        if status not in CONVERSATION_STATUSES:
            raise ValueError(f"unknown conversation status {status!r}")
        if call_successful not in CALL_SUCCESSFUL_VALUES:
            raise ValueError(f"unknown call_successful value {call_successful!r}")
        if duration_secs < 0 or message_count < 0:
            raise ValueError("duration_secs and message_count must not be negative")
        with self._lock:
            conversation_id = conversation_id or f"conv_{uuid.uuid4().hex[:26]}"
            if conversation_id in self._conversations:
                raise ValueError(f"conversation {conversation_id} already exists")
            serial = len(self._conversations)
            self._conversations[conversation_id] = _Conversation(
                conversation_id=conversation_id,
                agent_id=agent_id,
                agent_name=agent_name,
                start_unix=int(start.timestamp()),
                duration_secs=int(duration_secs),
                direction=direction,
                status=status,
                call_successful=call_successful,
                message_count=message_count,
                external_number=external_number or f"+1555{serial % 10_000_000:07d}",
                agent_number="+15550100000",
                phone_number_id=f"phnum_{agent_id}",
            )
            return conversation_id

    def update_conversation(
        self,
        conversation_id: str,
        *,
        status: str | None = None,
        call_successful: str | None = None,
        duration_secs: int | None = None,
    ) -> None:
        """Change a stored conversation (e.g. `processing` -> `done` after analysis)."""
        with self._lock:
            conversation = self._conversations[conversation_id]
            if status is not None:
                if status not in CONVERSATION_STATUSES:
                    raise ValueError(f"unknown conversation status {status!r}")
                conversation.status = status
            if call_successful is not None:
                if call_successful not in CALL_SUCCESSFUL_VALUES:
                    raise ValueError(f"unknown call_successful value {call_successful!r}")
                conversation.call_successful = call_successful
            if duration_secs is not None:
                conversation.duration_secs = duration_secs

    def end_call(self, conversation_id: str) -> list[Delivery]:
        """Send the post-call webhook of a stored conversation (analysis done)."""
        with self._lock:
            detail = self._conversations[conversation_id].detail()
        return self.webhooks.emit(
            {
                "type": "post_call_transcription",
                "event_timestamp": int(self.webhooks.clock()),
                "data": {**detail, "conversation_initiation_client_data": {}},
            }
        )

    def fail_call_initiation(
        self,
        *,
        agent_id: str,
        agent_name: str,
        at: datetime,
        failure_reason: Literal["busy", "no-answer", "unknown"] = "no-answer",
        conversation_id: str | None = None,
        external_number: str = "+15550199999",
    ) -> str:
        """An outbound call that never connected: listed as `failed`, and its webhook sent."""
        conversation_id = self.add_conversation(
            agent_id=agent_id,
            agent_name=agent_name,
            start=at,
            duration_secs=0,
            direction="outbound",
            conversation_id=conversation_id,
            status="failed",
            call_successful="failure",
            message_count=0,
            external_number=external_number,
        )
        self.webhooks.emit(
            {
                "type": "call_initiation_failure",
                "event_timestamp": int(at.timestamp()),
                "data": {
                    "agent_id": agent_id,
                    "conversation_id": conversation_id,
                    "failure_reason": failure_reason,
                    "metadata": {
                        "type": "twilio",
                        "body": {
                            "CallStatus": failure_reason,
                            "To": external_number,
                            "From": "+15550100000",
                            "Direction": "outbound-api",
                        },
                    },
                },
            }
        )
        return conversation_id

    def remove_conversation(self, conversation_id: str) -> None:
        with self._lock:
            del self._conversations[conversation_id]

    def conversations(self) -> list[dict[str, Any]]:
        """Summaries of every stored conversation, newest first (as the list endpoint)."""
        with self._lock:
            ordered = sorted(self._conversations.values(), key=lambda c: c.sort_key)
            return [c.summary() for c in ordered]

    def conversation_detail(self, conversation_id: str) -> dict[str, Any]:
        with self._lock:
            return self._conversations[conversation_id].detail()

    # -------------------------------------------------------- fault injection

    def fail_next(
        self,
        count: int = 1,
        status: int = 429,
        detail_status: str | None = None,
        *,
        endpoint: Literal["list", "detail"] | None = None,
    ) -> None:
        """Answer the next `count` requests (to `endpoint`, or any) with `status`.

        The body is `{"detail": {"status": detail_status, "message": ...}}`;
        `detail_status` defaults to `system_busy` for 429 and a generic name for 5xx.
        Faults apply before authentication and are consumed in order.
        """
        resolved = detail_status or _DEFAULT_DETAIL_STATUS.get(status, "error")
        with self._lock:
            for _ in range(count):
                self._faults.append(_Fault(status, resolved, endpoint))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def limit_concurrency(
        self, max_in_flight: int | None, *, hold_secs: float | None = None
    ) -> None:
        """Reject with 429 `too_many_concurrent_requests` beyond `max_in_flight` at once.

        `hold_secs` sets `latency_secs`, how long each request stays in flight;
        `None` for `max_in_flight` lifts the limit.
        """
        with self._lock:
            self._max_concurrent = max_in_flight
            if hold_secs is not None:
                self.latency_secs = hold_secs

    # --------------------------------------------------------------- handlers

    def _admit(self, request: FakeRequest, route_name: str) -> FakeResponse | None:
        if self._max_concurrent is not None and self.in_flight > self._max_concurrent:
            return _error(
                429,
                "too_many_concurrent_requests",
                "You have too many concurrent requests in flight. Your plan allows "
                f"{self._max_concurrent}; please wait for one to finish.",
            )
        for index, fault in enumerate(self._faults):
            if fault.endpoint is None or fault.endpoint == route_name:
                del self._faults[index]
                return _error(
                    fault.status, fault.detail_status, f"Injected failure ({fault.detail_status})."
                )
        return self._authenticate(request)

    def _authenticate(self, request: FakeRequest) -> FakeResponse | None:
        key = request.header("xi-api-key")
        if key is None:
            return _error(
                401,
                "needs_authorization",
                "Neither authorization header nor xi-api-key received, please provide one.",
            )
        if key != self.api_key:
            return _error(401, "invalid_api_key", "Invalid API key")
        return None

    def _list(self, request: FakeRequest) -> FakeResponse:
        errors: list[dict[str, Any]] = []
        page_size = _int_param(request, "page_size", errors, ge=1, le=MAX_PAGE_SIZE)
        after = _int_param(request, "call_start_after_unix", errors)
        before = _int_param(request, "call_start_before_unix", errors)
        if errors:
            return json_response(422, {"detail": errors})
        size = page_size if page_size is not None else DEFAULT_PAGE_SIZE

        cursor_key: tuple[int, str] | None = None
        cursor = request.param("cursor")
        if cursor:
            try:
                cursor_key = _decode_cursor(cursor)
            except ValueError:
                return _error(400, "invalid_cursor", "The provided cursor is invalid.")

        agent_id = request.param("agent_id")
        selected = [
            c
            for c in self._conversations.values()
            if (not agent_id or c.agent_id == agent_id)
            and (after is None or c.start_unix >= after)
            and (before is None or c.start_unix < before)
            and (cursor_key is None or c.sort_key > cursor_key)
        ]
        selected.sort(key=lambda c: c.sort_key)
        page = selected[:size]
        has_more = len(selected) > size
        return json_response(
            200,
            {
                "conversations": [c.summary() for c in page],
                "has_more": has_more,
                "next_cursor": _encode_cursor(page[-1].sort_key) if has_more and page else None,
            },
        )

    def _detail(self, request: FakeRequest, conversation_id: str) -> FakeResponse:
        conversation = self._conversations.get(conversation_id)
        if conversation is None:
            return _error(
                404, "conversation_not_found", f"Conversation {conversation_id} not found."
            )
        return json_response(200, conversation.detail())

    def _not_found(self, request: FakeRequest) -> FakeResponse:
        return json_response(404, {"detail": "Not Found"})

    def _method_not_allowed(self, request: FakeRequest) -> FakeResponse:
        return json_response(405, {"detail": "Method Not Allowed"})


def _int_param(
    request: FakeRequest,
    name: str,
    errors: list[dict[str, Any]],
    *,
    ge: int | None = None,
    le: int | None = None,
) -> int | None:
    """Parse an optional integer query parameter the way FastAPI validates it."""
    raw = request.param(name)
    if raw is None:
        return None
    loc = ["query", name]
    try:
        value = int(raw.strip())
    except ValueError:
        errors.append(
            {
                "type": "int_parsing",
                "loc": loc,
                "msg": "Input should be a valid integer, unable to parse string as an integer",
                "input": raw,
            }
        )
        return None
    if ge is not None and value < ge:
        errors.append(
            {
                "type": "greater_than_equal",
                "loc": loc,
                "msg": f"Input should be greater than or equal to {ge}",
                "input": raw,
                "ctx": {"ge": ge},
            }
        )
        return None
    if le is not None and value > le:
        errors.append(
            {
                "type": "less_than_equal",
                "loc": loc,
                "msg": f"Input should be less than or equal to {le}",
                "input": raw,
                "ctx": {"le": le},
            }
        )
        return None
    return value
