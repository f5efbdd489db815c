"""Calendar events of one location.

`GET /calendars/events` has no paging and silently caps large
answers, so `events()` asks for bounded windows and splits a window whose
answer reaches `max_events_per_window` in two, de-duplicating by event id.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import requests

from revops.integrations import transport
from revops.integrations.gohighlevel.errors import (
    GoHighLevelAuthError,
    GoHighLevelRequestError,
    GoHighLevelThrottledError,
    GoHighLevelTruncatedError,
    GoHighLevelUnavailableError,
)
from revops.integrations.gohighlevel.ratelimit import RateLimiter
from revops.integrations.gohighlevel.tokens import DEFAULT_BASE_URL, TokenManager

API_VERSION = "2021-04-15"
MIN_WINDOW_MS = 60 * 60 * 1000  # never split below an hour


class GoHighLevelClient:
    """Calendar events of one location. `session`, `limiter` and `sleep` are injectable."""

    def __init__(
        self,
        location_id: str,
        tokens: TokenManager,
        *,
        session: requests.Session | None = None,
        base_url: str = DEFAULT_BASE_URL,
        limiter: RateLimiter | None = None,
        max_attempts: int = 6,
        retry_base_seconds: float = 1.0,
        max_events_per_window: int = 100,
        timeout_seconds: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.location_id = location_id
        self.tokens = tokens
        self.session = session or transport.new_session()
        self.base_url = base_url.rstrip("/")
        self.limiter = limiter or RateLimiter(sleep=sleep)
        self.max_attempts = max(1, max_attempts)
        self.retry_base_seconds = retry_base_seconds
        self.max_events_per_window = max_events_per_window
        self.timeout_seconds = timeout_seconds
        self.sleep = sleep
        self.requests_sent = 0
        self.throttled = 0
        self.last_headers: dict[str, str] = {}

    def events(self, calendar_id: str, start_ms: int, end_ms: int) -> list[dict[str, Any]]:
        """Every event of `calendar_id` starting in [start_ms, end_ms] (inclusive), by start."""
        found: dict[str, dict[str, Any]] = {}
        pending = [(start_ms, end_ms)]
        while pending:
            low, high = pending.pop()
            batch = self._events_page(calendar_id, low, high)
            if len(batch) >= self.max_events_per_window:
                if high - low < MIN_WINDOW_MS:
                    raise GoHighLevelTruncatedError(
                        f"calendar {calendar_id}: {len(batch)} events in under an hour; "
                        "the answer may be truncated"
                    )
                middle = low + (high - low) // 2
                pending += [(low, middle), (middle + 1, high)]
                continue
            for event in batch:
                found[str(event.get("id"))] = event
        return sorted(found.values(), key=lambda e: (str(e.get("startTime")), str(e.get("id"))))

    def probe(self, calendar_id: str, start_ms: int, end_ms: int) -> tuple[int, dict[str, str]]:
        """One `GET /calendars/events` request: (events returned, the answer's headers)."""
        events = self._events_page(calendar_id, start_ms, end_ms)
        return len(events), dict(self.last_headers)

    def _events_page(self, calendar_id: str, start_ms: int, end_ms: int) -> list[dict[str, Any]]:
        params = {
            "locationId": self.location_id,
            "calendarId": calendar_id,
            "startTime": str(start_ms),
            "endTime": str(end_ms),
        }
        body = self._get("/calendars/events", params)
        events = body.get("events")
        if not isinstance(events, list):
            raise GoHighLevelRequestError("GET /calendars/events: no events list in the answer")
        return events

    def _get(self, path: str, params: dict[str, str]) -> dict[str, Any]:
        token = self.tokens.access_token()
        refreshed = False
        last = ""
        attempt = 0
        while attempt < self.max_attempts:
            attempt += 1
            self.limiter.acquire()
            try:
                response = self.session.get(
                    f"{self.base_url}{path}",
                    params=params,
                    headers={
                        "Authorization": f"Bearer {token}",
                        "Version": API_VERSION,
                        "Accept": "application/json",
                    },
                    timeout=self.timeout_seconds,
                )
            except requests.RequestException as exc:
                last = f"unreachable: {type(exc).__name__}"
                self.sleep(self.retry_base_seconds * 2 ** (attempt - 1))
                continue
            self.requests_sent += 1
            self.last_headers = dict(response.headers)
            self.limiter.observe(response.headers)
            status = response.status_code
            if status == 200:
                body = response.json()
                return body if isinstance(body, dict) else {}
            if status == 401 and not refreshed:
                token = self.tokens.refresh(stale_access_token=token)
                refreshed = True
                attempt -= 1  # the refused token does not use up an attempt
                continue
            if status == 429:
                self.throttled += 1
                last = "429"
                if not self.limiter.throttled(response.headers):
                    self.sleep(self.retry_base_seconds * 2 ** (attempt - 1))
                continue
            if status >= 500:
                last = str(status)
                self.sleep(self.retry_base_seconds * 2 ** (attempt - 1))
                continue
            message = _message(response)
            if status in (401, 403):
                raise GoHighLevelAuthError(f"GET {path}: {status} {message}")
            raise GoHighLevelRequestError(f"GET {path}: {status} {message}")
        if last == "429":
            raise GoHighLevelThrottledError(
                f"GET {path}: still throttled after {self.max_attempts} attempts"
            )
        raise GoHighLevelUnavailableError(
            f"GET {path}: failed after {self.max_attempts} attempts ({last})"
        )


def _message(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(body, dict):
        return str(body.get("message", ""))[:200]
    return ""
