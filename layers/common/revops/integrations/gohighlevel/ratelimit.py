"""Client-side pacing for the GoHighLevel API.

100 requests per 10 s per location (and a daily cap). The
`RateLimiter` spaces requests on a sliding window, waits out the interval when
`X-RateLimit-Remaining` reaches 0, and a 429 waits
`X-RateLimit-Interval-Milliseconds` (or exponential backoff) before retrying.
"""

from __future__ import annotations

import collections
import threading
import time
from collections.abc import Callable
from typing import Any


class RateLimiter:
    """Client-side pacing for one location: `max_requests` per `interval_seconds`."""

    def __init__(
        self,
        max_requests: int = 100,
        interval_seconds: float = 10.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.max_requests = max_requests
        self.interval_seconds = interval_seconds
        self.clock = clock
        self.sleep = sleep
        self._sent: collections.deque[float] = collections.deque()
        self._blocked_until = 0.0
        self._lock = threading.Lock()
        self.waited_seconds = 0.0

    def _wait(self, seconds: float) -> None:
        if seconds > 0:
            self.waited_seconds += seconds
            self.sleep(seconds)

    def acquire(self) -> None:
        with self._lock:
            now = self.clock()
            self._wait(self._blocked_until - now)
            now = self.clock()
            while self._sent and now - self._sent[0] >= self.interval_seconds:
                self._sent.popleft()
            if len(self._sent) >= self.max_requests:
                self._wait(self._sent[0] + self.interval_seconds - now)
                now = self.clock()
                while self._sent and now - self._sent[0] >= self.interval_seconds:
                    self._sent.popleft()
            self._sent.append(now)

    def observe(self, headers: Any) -> None:
        """Learn the server's limits from `X-RateLimit-*`; pause when none remain."""
        with self._lock:
            interval = _number(headers.get("X-RateLimit-Interval-Milliseconds"))
            maximum = _number(headers.get("X-RateLimit-Max"))
            remaining = _number(headers.get("X-RateLimit-Remaining"))
            if interval:
                self.interval_seconds = interval / 1000
            if maximum:
                self.max_requests = int(maximum)
            if remaining is not None and remaining <= 0:
                self._blocked_until = max(self._blocked_until, self.clock() + self.interval_seconds)

    def throttled(self, headers: Any) -> bool:
        """A 429. When the window's budget is spent (`X-RateLimit-Remaining` 0 or absent),
        block until the interval has passed and return True; otherwise (a 429 with budget
        left, e.g. a transient one) return False so the caller backs off exponentially."""
        with self._lock:
            remaining = _number(headers.get("X-RateLimit-Remaining"))
            if remaining is not None and remaining > 0:
                return False
            interval = _number(headers.get("X-RateLimit-Interval-Milliseconds"))
            wait = interval / 1000 if interval else self.interval_seconds
            self._blocked_until = max(self._blocked_until, self.clock() + wait)
            return True


def _number(value: Any) -> float | None:
    if value in (None, ""):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None
