"""The ElevenLabs Conversational AI client: conversation lists and details.

Auth is the `xi-api-key` header, the key read from a Secrets Manager secret
shaped `{"api_key": "..."}`.

* `conversations(agent_id, after, before)` follows `next_cursor` with
  `page_size=100`, filtered by `agent_id`, `call_start_after_unix` and
  `call_start_before_unix`. The API does not document whether the bounds are
  inclusive, so callers de-duplicate by `conversation_id` and check start times.
* `conversation(id)` returns one conversation's detail (`metadata.phone_call`
  holds the call direction; it is null for web calls).

Requests pass through an adaptive concurrency gate: at most `max_concurrency`
are in flight, and a 429 `too_many_concurrent_requests` lowers that limit by
one (never below one) while the request waits its turn again with exponential
backoff; successes raise it back. 429 `system_busy`, 5xx and network errors are
retried with backoff. When the attempts run out the error is typed, so a Step
Functions `Retry` can name it.
"""

from __future__ import annotations

import contextlib
import random
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import requests

from revops.errors import ConfigurationError, UpstreamError, UpstreamThrottledError
from revops.integrations import transport
from revops.integrations.secrets import get_json_secret

DEFAULT_BASE_URL = "https://api.elevenlabs.io"
PAGE_SIZE = 100


class ElevenLabsThrottledError(UpstreamThrottledError):
    """ElevenLabs kept answering 429 after every retry. Retry later."""


class ElevenLabsUnavailableError(UpstreamError):
    """ElevenLabs answered 5xx or could not be reached after every retry."""


class ElevenLabsAuthError(ConfigurationError):
    """The API key is missing or wrong (401)."""


class ElevenLabsNotFoundError(UpstreamError):
    """A conversation does not exist (404)."""


class ElevenLabsRequestError(UpstreamError):
    """ElevenLabs rejected a request (400/422): a bug on our side, never retried."""


class ConcurrencyGate:
    """At most `limit` holders at once; the limit adapts to 429 concurrency answers."""

    def __init__(self, maximum: int) -> None:
        self.maximum = max(1, maximum)
        self.limit = self.maximum
        self.in_flight = 0
        self.peak = 0
        self._cond = threading.Condition()
        self._successes = 0

    def __enter__(self) -> ConcurrencyGate:
        with self._cond:
            while self.in_flight >= self.limit:
                self._cond.wait()
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
        return self

    def __exit__(self, *exc: object) -> None:
        with self._cond:
            self.in_flight -= 1
            self._cond.notify_all()

    def too_many(self) -> None:
        with self._cond:
            self.limit = max(1, min(self.limit, self.in_flight) - 1)
            self._successes = 0

    def succeeded(self) -> None:
        with self._cond:
            self._successes += 1
            if self.limit < self.maximum and self._successes >= 10:
                self.limit += 1
                self._successes = 0
                self._cond.notify_all()


def _detail_status(response: requests.Response) -> str:
    try:
        detail = response.json().get("detail")
    except ValueError:
        return ""
    if isinstance(detail, dict):
        return str(detail.get("status", ""))
    return ""


class ElevenLabsClient:
    """Typed, retrying access to the conversations API. `session` and `sleep` are injectable."""

    def __init__(
        self,
        api_key: str,
        *,
        session: requests.Session | None = None,
        base_url: str = DEFAULT_BASE_URL,
        max_concurrency: int = 4,
        max_attempts: int = 6,
        retry_base_seconds: float = 1.0,
        max_backoff_seconds: float = 30.0,
        timeout_seconds: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not api_key:
            raise ElevenLabsAuthError("no ElevenLabs API key")
        self._key = api_key
        self.session = session or transport.new_session()
        self.base_url = base_url.rstrip("/")
        self.gate = ConcurrencyGate(max_concurrency)
        self.max_attempts = max(1, max_attempts)
        self.retry_base_seconds = retry_base_seconds
        self.max_backoff_seconds = max_backoff_seconds
        self.timeout_seconds = timeout_seconds
        self.sleep = sleep
        self.retries = 0

    @classmethod
    def from_secret(cls, secret_name: str, **kwargs: Any) -> ElevenLabsClient:
        secret = get_json_secret(secret_name)
        if not secret.get("api_key"):
            raise ElevenLabsAuthError(f"secret {secret_name!r} lacks api_key")
        return cls(str(secret["api_key"]), **kwargs)

    @property
    def max_concurrency(self) -> int:
        return self.gate.maximum

    # ------------------------------------------------------------------ API

    def conversations(
        self, agent_id: str, after_unix: int, before_unix: int, page_size: int = PAGE_SIZE
    ) -> Iterator[dict[str, Any]]:
        """Every conversation summary of `agent_id` started in [after, before), page by page."""
        cursor: str | None = None
        while True:
            params: dict[str, Any] = {
                "agent_id": agent_id,
                "call_start_after_unix": after_unix,
                "call_start_before_unix": before_unix,
                "page_size": page_size,
            }
            if cursor:
                params["cursor"] = cursor
            page = self._get("/v1/convai/conversations", params)
            yield from page.get("conversations") or []
            cursor = page.get("next_cursor")
            if not page.get("has_more") or not cursor:
                return

    def conversation(self, conversation_id: str) -> dict[str, Any]:
        return self._get(f"/v1/convai/conversations/{conversation_id}", None)

    # ------------------------------------------------------------------ plumbing

    def _backoff(self, attempt: int, retry_after: str | None) -> None:
        delay = self.retry_base_seconds * (2**attempt)
        if retry_after:
            with contextlib.suppress(ValueError):
                delay = max(delay, float(retry_after))
        delay = min(delay, self.max_backoff_seconds)
        self.retries += 1
        self.sleep(delay * (0.5 + random.random() / 2))

    def _get(self, path: str, params: dict[str, Any] | None) -> dict[str, Any]:
        url = f"{self.base_url}{path}"
        last = ""
        for attempt in range(self.max_attempts):
            try:
                with self.gate:
                    response = self.session.get(
                        url,
                        params=params,
                        headers={"xi-api-key": self._key, "Accept": "application/json"},
                        timeout=self.timeout_seconds,
                    )
            except requests.RequestException as exc:
                last = f"unreachable: {type(exc).__name__}"
                self._backoff(attempt, None)
                continue
            status = response.status_code
            if status == 200:
                self.gate.succeeded()
                body = response.json()
                if not isinstance(body, dict):
                    raise ElevenLabsRequestError(f"GET {path}: the answer is not a JSON object")
                return body
            detail = _detail_status(response)
            if status == 429:
                if detail == "too_many_concurrent_requests":
                    self.gate.too_many()  # queue behind fewer requests in flight
                last = f"429 {detail or 'too many requests'}"
                self._backoff(attempt, response.headers.get("Retry-After"))
                continue
            if status >= 500:
                last = f"{status} {detail}".strip()
                self._backoff(attempt, None)
                continue
            if status == 401:
                raise ElevenLabsAuthError(f"ElevenLabs refused the API key ({detail or 401})")
            if status == 404:
                raise ElevenLabsNotFoundError(f"GET {path}: not found ({detail})")
            raise ElevenLabsRequestError(f"GET {path}: {status} {response.text[:300]}")
        if last.startswith("429"):
            raise ElevenLabsThrottledError(
                f"GET {path}: still throttled after {self.max_attempts} attempts ({last})"
            )
        raise ElevenLabsUnavailableError(
            f"GET {path}: failed after {self.max_attempts} attempts ({last})"
        )
