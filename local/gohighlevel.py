"""In-process stand-in for the GoHighLevel (LeadConnector) API v2 pieces revops uses.

Endpoints:

* `POST /oauth/token` - single-use refresh tokens, rotated on every exchange
  (`local.gohighlevel_oauth`, which this class extends).
* Appointment webhooks (`webhooks`, a `local.webhooks.WebhookSender` signing with
  the stand-in's own Ed25519 key in `X-GHL-Signature`): `AppointmentCreate`,
  `AppointmentUpdate` (status changes, reschedules) and `AppointmentDelete`,
  shaped `{"type", "locationId", "appointment": {..., "dateUpdated"}}` as HighLevel
  documents them, sent when a change is made with `notify=True`.
* `GET /calendars/events` - headers `Authorization: Bearer <access token>` and
  `Version: 2021-04-15`; query `locationId`, one of `calendarId` / `userId` /
  `groupId`, and `startTime` / `endTime` in epoch milliseconds. Returns
  `{"events": [...]}` with no pagination: events whose start lies in
  [startTime, endTime] (both inclusive), ascending by start, times rendered as
  ISO-8601 strings with the location's UTC offset.

  `max_events_per_response` (constructor argument / attribute, default None)
  silently truncates the result to the first N events by start time. The real
  endpoint also has no paging and caps large result sets without saying so, so
  clients must query bounded windows and split a window whose result reaches
  the cap (or looks suspiciously round) before trusting it.

Check order for API calls: bearer token (401 `Invalid JWT`) -> injected faults
(`fail_next`) -> rate limit (429) -> Version header (400) -> query validation
(422 for missing/invalid fields, 400 when none of calendarId/userId/groupId,
403 when `locationId` is not the token's location).

Rate limits follow the published v2 limits: a burst of `burst_limit` (100)
requests per `burst_window_secs` (10 s) and `daily_limit` (200,000) per day,
per location, measured on the injectable `clock`. The burst window is fixed:
it opens at the first request and resets once `burst_window_secs` have passed.
Every response to an authenticated API call carries `X-RateLimit-Limit-Daily`,
`X-RateLimit-Daily-Remaining`, `X-RateLimit-Interval-Milliseconds`,
`X-RateLimit-Max` and `X-RateLimit-Remaining`; over the limit the answer is
429 `{"statusCode": 429, "message": "Too many requests"}`. `/oauth/token` is
not rate limited here and carries no such headers.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from local.fakes_common import FakeRequest, FakeResponse, json_response
from local.gohighlevel_oauth import (
    GENERIC_MESSAGES,
    GoHighLevelOAuth,
    api_error,
    new_id,
)
from local.webhooks import Delivery, WebhookSender, ghl_signer

API_VERSION = "2021-04-15"
APPOINTMENT_STATUSES = frozenset({"new", "confirmed", "cancelled", "showed", "noshow", "invalid"})


@dataclass
class _Appointment:
    id: str
    location_id: str
    calendar_id: str
    contact_id: str
    group_id: str
    assigned_user_id: str
    title: str
    status: str
    start: datetime
    end: datetime
    date_added: datetime
    date_updated: datetime

    def to_json(self, tz: tzinfo) -> dict[str, Any]:
        def iso(value: datetime) -> str:
            return value.astimezone(tz).isoformat()

        return {
            "id": self.id,
            "title": self.title,
            "calendarId": self.calendar_id,
            "locationId": self.location_id,
            "contactId": self.contact_id,
            "groupId": self.group_id,
            "appointmentStatus": self.status,
            "assignedUserId": self.assigned_user_id,
            "users": [self.assigned_user_id],
            "notes": "",
            "address": "",
            "isRecurring": False,
            "startTime": iso(self.start),
            "endTime": iso(self.end),
            "dateAdded": iso(self.date_added),
            "dateUpdated": iso(self.date_updated),
        }


@dataclass
class _Bucket:
    window_start: float
    count: int
    day: str
    daily_count: int


class FakeGoHighLevel(GoHighLevelOAuth):
    """Stand-in for `https://services.leadconnectorhq.com` (OAuth + calendar events)."""

    default_base_url = "https://services.leadconnectorhq.com"

    def __init__(
        self,
        base_url: str | None = None,
        *,
        client_id: str = "test-ghl-client-id",
        client_secret: str = "test-ghl-client-secret",
        clock: Callable[[], float] = time.time,
        timezone: str = "America/Chicago",
        access_token_ttl_secs: int = 86399,
        max_events_per_response: int | None = None,
        burst_limit: int = 100,
        burst_window_secs: float = 10.0,
        daily_limit: int = 200_000,
        company_id: str = "fakeCompany000000001",
    ) -> None:
        super().__init__(
            base_url,
            client_id=client_id,
            client_secret=client_secret,
            clock=clock,
            timezone=timezone,
            access_token_ttl_secs=access_token_ttl_secs,
            company_id=company_id,
        )
        self.max_events_per_response = max_events_per_response
        self.burst_limit = burst_limit
        self.burst_window_secs = burst_window_secs
        self.daily_limit = daily_limit
        self._appointments: dict[str, _Appointment] = {}
        self._buckets: dict[str, _Bucket] = {}
        self._faults: deque[int] = deque()
        self.webhooks = WebhookSender(ghl_signer(), clock=clock)
        self.add_route("GET", r"/calendars/events", "events", self._events)

    # --------------------------------------------------------------- data API

    def add_appointment(
        self,
        *,
        location_id: str,
        calendar_id: str,
        start: datetime,
        status: str,
        assigned_user_id: str,
        title: str = "Discovery call",
        appointment_id: str | None = None,
        end: datetime | None = None,
        contact_id: str | None = None,
        group_id: str = "",
        date_added: datetime | None = None,
        notify: bool = False,
    ) -> str:
        """Store an appointment and return its id; `end` defaults to start + 30 minutes.

        `notify` sends the `AppointmentCreate` webhook."""
        if start.tzinfo is None or (end is not None and end.tzinfo is None):
            raise ValueError("start and end must be timezone-aware")
        if status not in APPOINTMENT_STATUSES:
            raise ValueError(f"unknown appointment status {status!r}")
        with self._lock:
            self.add_location(location_id)
            appointment_id = appointment_id or new_id()
            if appointment_id in self._appointments:
                raise ValueError(f"appointment {appointment_id} already exists")
            added = date_added or datetime.fromtimestamp(self.clock(), UTC)
            self._appointments[appointment_id] = _Appointment(
                id=appointment_id,
                location_id=location_id,
                calendar_id=calendar_id,
                contact_id=contact_id or new_id(),
                group_id=group_id,
                assigned_user_id=assigned_user_id,
                title=title,
                status=status,
                start=start,
                end=end or start + timedelta(minutes=30),
                date_added=added,
                date_updated=added,
            )
        if notify:
            self._notify("AppointmentCreate", appointment_id)
        return appointment_id

    def set_appointment_status(
        self, appointment_id: str, status: str, *, notify: bool = False
    ) -> list[Delivery]:
        """Change an appointment's status (bumps `dateUpdated` to the clock); `notify` sends
        the `AppointmentUpdate` webhook."""
        if status not in APPOINTMENT_STATUSES:
            raise ValueError(f"unknown appointment status {status!r}")
        with self._lock:
            appointment = self._appointments[appointment_id]
            appointment.status = status
            appointment.date_updated = datetime.fromtimestamp(self.clock(), UTC)
        return self._notify("AppointmentUpdate", appointment_id) if notify else []

    def reschedule_appointment(
        self, appointment_id: str, start: datetime, *, notify: bool = False
    ) -> list[Delivery]:
        """Move an appointment (same length); `notify` sends the `AppointmentUpdate` webhook."""
        with self._lock:
            appointment = self._appointments[appointment_id]
            length = appointment.end - appointment.start
            appointment.start, appointment.end = start, start + length
            appointment.date_updated = datetime.fromtimestamp(self.clock(), UTC)
        return self._notify("AppointmentUpdate", appointment_id) if notify else []

    def remove_appointment(self, appointment_id: str, *, notify: bool = False) -> list[Delivery]:
        """Delete an appointment; `notify` sends the `AppointmentDelete` webhook."""
        with self._lock:
            appointment = self._appointments[appointment_id]
            appointment.date_updated = datetime.fromtimestamp(self.clock(), UTC)
            payload = self._webhook_payload("AppointmentDelete", appointment)
            del self._appointments[appointment_id]
        return self.webhooks.emit(payload) if notify else []

    def _webhook_payload(self, kind: str, appointment: _Appointment) -> dict[str, Any]:
        """The documented appointment webhook: `type`, `locationId` and the `appointment`."""
        rendered = appointment.to_json(self._tz(appointment.location_id))
        fields = [
            "id",
            "title",
            "calendarId",
            "contactId",
            "groupId",
            "appointmentStatus",
            "assignedUserId",
            "users",
            "notes",
            "address",
            "startTime",
            "endTime",
            "dateAdded",
            "dateUpdated",
        ]
        body = {name: rendered[name] for name in fields}
        body["source"] = "booking_widget"
        return {"type": kind, "locationId": appointment.location_id, "appointment": body}

    def _notify(self, kind: str, appointment_id: str) -> list[Delivery]:
        with self._lock:
            payload = self._webhook_payload(kind, self._appointments[appointment_id])
        return self.webhooks.emit(payload)

    def appointments(self, location_id: str | None = None) -> list[dict[str, Any]]:
        """Every stored appointment as the API renders it, ascending by start."""
        with self._lock:
            chosen = sorted(
                (
                    a
                    for a in self._appointments.values()
                    if location_id is None or a.location_id == location_id
                ),
                key=lambda a: (a.start, a.id),
            )
            return [a.to_json(self._tz(a.location_id)) for a in chosen]

    # ------------------------------------------------------------ OAuth state

    def fail_next(self, count: int = 1, status: int = 429) -> None:
        """Answer the next `count` authenticated API calls with `status` (not /oauth/token).

        The body is `{"statusCode": status, "message": ...}` and the response carries
        the location's current rate-limit headers. Injected failures do not consume
        rate-limit budget. They apply after the bearer token check.
        """
        with self._lock:
            self._faults.extend([status] * count)

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()
            self._refresh_faults.clear()

    # --------------------------------------------------------------- handlers

    def _rate_limit(self, location_id: str) -> tuple[bool, dict[str, str]]:
        """Count one request for `location_id`; (allowed, rate-limit headers)."""
        now = self.clock()
        day = datetime.fromtimestamp(now, UTC).date().isoformat()
        bucket = self._buckets.get(location_id)
        if bucket is None:
            bucket = self._buckets[location_id] = _Bucket(now, 0, day, 0)
        if now - bucket.window_start >= self.burst_window_secs:
            bucket.window_start, bucket.count = now, 0
        if bucket.day != day:
            bucket.day, bucket.daily_count = day, 0
        allowed = bucket.count < self.burst_limit and bucket.daily_count < self.daily_limit
        if allowed:
            bucket.count += 1
            bucket.daily_count += 1
        return allowed, self._rate_headers(bucket)

    def _rate_headers(self, bucket: _Bucket) -> dict[str, str]:
        return {
            "X-RateLimit-Limit-Daily": str(self.daily_limit),
            "X-RateLimit-Daily-Remaining": str(max(0, self.daily_limit - bucket.daily_count)),
            "X-RateLimit-Interval-Milliseconds": str(int(self.burst_window_secs * 1000)),
            "X-RateLimit-Max": str(self.burst_limit),
            "X-RateLimit-Remaining": str(max(0, self.burst_limit - bucket.count)),
        }

    def _current_headers(self, location_id: str) -> dict[str, str]:
        bucket = self._buckets.get(location_id)
        if bucket is None:
            day = datetime.fromtimestamp(self.clock(), UTC).date().isoformat()
            bucket = _Bucket(self.clock(), 0, day, 0)
        return self._rate_headers(bucket)

    def _events(self, request: FakeRequest) -> FakeResponse:
        location_id = self._authenticate(request)
        if location_id is None:
            return api_error(401, "Invalid JWT", "Unauthorized")
        if self._faults:
            status = self._faults.popleft()
            response = api_error(status, GENERIC_MESSAGES.get(status, "Injected failure"))
            response.headers.update(self._current_headers(location_id))
            return response
        allowed, headers = self._rate_limit(location_id)
        if not allowed:
            response = api_error(429, "Too many requests")
            response.headers.update(headers)
            return response
        response = self._events_body(request, location_id)
        response.headers.update(headers)
        return response

    def _events_body(self, request: FakeRequest, token_location: str) -> FakeResponse:
        if request.header("Version") != API_VERSION:
            return api_error(
                400, f"Version header must be {API_VERSION} for this endpoint", "Bad Request"
            )
        problems: list[str] = []
        location_id = request.param("locationId")
        if not location_id:
            problems.append("locationId should not be empty")
        start_ms = _millis(request.param("startTime"), "startTime", problems)
        end_ms = _millis(request.param("endTime"), "endTime", problems)
        if problems:
            return api_error(422, problems, "Unprocessable Entity")
        assert start_ms is not None and end_ms is not None
        calendar_id = request.param("calendarId")
        user_id = request.param("userId")
        group_id = request.param("groupId")
        if not (calendar_id or user_id or group_id):
            return api_error(
                400, "Either of calendarId, userId or groupId is required", "Bad Request"
            )
        if location_id != token_location:
            return api_error(403, "The token does not have access to this location.", "Forbidden")
        if end_ms < start_ms:
            return api_error(400, "endTime must not be before startTime", "Bad Request")

        chosen = sorted(
            (
                a
                for a in self._appointments.values()
                if a.location_id == location_id
                and (not calendar_id or a.calendar_id == calendar_id)
                and (not user_id or a.assigned_user_id == user_id)
                and (not group_id or a.group_id == group_id)
                and start_ms <= int(a.start.timestamp() * 1000) <= end_ms
            ),
            key=lambda a: (a.start, a.id),
        )
        if self.max_events_per_response is not None:
            chosen = chosen[: self.max_events_per_response]
        tz = self._tz(location_id)
        return json_response(200, {"events": [a.to_json(tz) for a in chosen]})

    def _tz(self, location_id: str) -> tzinfo:
        name = self._location_tz.get(location_id, self.default_timezone)
        try:
            return ZoneInfo(name)
        except (KeyError, ValueError):  # no tz database on this machine
            return UTC

    def _not_found(self, request: FakeRequest) -> FakeResponse:
        return api_error(404, f"Cannot {request.method} {request.path}", "Not Found")

    def _method_not_allowed(self, request: FakeRequest) -> FakeResponse:
        return api_error(404, f"Cannot {request.method} {request.path}", "Not Found")


def _millis(raw: str | None, name: str, problems: list[str]) -> int | None:
    if raw is None or raw == "":
        problems.append(f"{name} should not be empty")
        return None
    try:
        return int(raw)
    except ValueError:
        problems.append(f"{name} must be a number string (epoch milliseconds)")
        return None
