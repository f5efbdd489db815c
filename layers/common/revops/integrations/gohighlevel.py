"""The GoHighLevel (LeadConnector API v2) client: OAuth refresh and calendar events.

OAuth. The app's `client_id` / `client_secret` come from the GoHighLevel
secret. Each location (sub-account) has its own refresh token, kept in its own
Secrets Manager secret `<prefix>/<locationId>` as
`{"refresh_token", "access_token", "access_token_expires_at"}`. GoHighLevel
refresh tokens are single use: every refresh returns a new one and kills the
old. So a refresh (`TokenManager.refresh`):

1. takes a lock for the location (`RefreshLock`: a conditional put in DynamoDB
   with a lease), so two workers never present the same token;
2. re-reads the stored token under the lock (another worker may have
   refreshed already: its access token is then used as is);
3. exchanges the refresh token and stores the NEW refresh token (a new secret
   version; the old one stays as AWSPREVIOUS) before the access token is used;
4. on `invalid_grant`, re-reads the stored token: if another worker rotated it
   meanwhile, it retries once with that one, otherwise the location must be
   reconnected (`GoHighLevelReauthorizationError`). A failed refresh never
   touches the stored token.

Events. `GET /calendars/events` has no paging and silently caps large
answers, so `events()` asks for bounded windows and splits a window whose
answer reaches `max_events_per_window` in two, de-duplicating by event id.

Rate limits. 100 requests per 10 s per location (and a daily cap). The
`RateLimiter` spaces requests on a sliding window, waits out the interval when
`X-RateLimit-Remaining` reaches 0, and a 429 waits
`X-RateLimit-Interval-Milliseconds` (or exponential backoff) before retrying.
"""

from __future__ import annotations

import collections
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

import boto3
import requests
from aws_lambda_powertools.metrics import MetricUnit
from botocore.exceptions import ClientError

from revops.errors import ConfigurationError, UpstreamError, UpstreamThrottledError
from revops.integrations import transport
from revops.integrations.secrets import get_json_secret
from revops.observability import metrics

DEFAULT_BASE_URL = "https://services.leadconnectorhq.com"
API_VERSION = "2021-04-15"
MIN_WINDOW_MS = 60 * 60 * 1000  # never split below an hour


class GoHighLevelThrottledError(UpstreamThrottledError):
    """GoHighLevel kept answering 429 after every retry. Retry later."""


class GoHighLevelUnavailableError(UpstreamError):
    """GoHighLevel answered 5xx or could not be reached (API or token refresh)."""


class GoHighLevelReauthorizationError(UpstreamError):
    """The location's refresh token was refused (`invalid_grant`): reconnect the app there."""


class GoHighLevelAuthError(ConfigurationError):
    """The app's client id or secret is wrong, or the token has no access to the location."""


class GoHighLevelRefreshTokenMissingError(ConfigurationError):
    """No refresh token is stored for a location."""


class GoHighLevelRequestError(UpstreamError):
    """GoHighLevel rejected a request (4xx): a bug on our side, never retried."""


class GoHighLevelTruncatedError(UpstreamError):
    """Even the smallest window returned a full (so maybe truncated) answer."""


class GoHighLevelLockTimeoutError(UpstreamThrottledError):
    """Another worker held the location's refresh lock for too long. Retry later."""


# --------------------------------------------------------------------------- tokens


@dataclass(frozen=True)
class StoredToken:
    refresh_token: str
    access_token: str | None = None
    access_token_expires_at: float = 0.0

    def to_json(self) -> str:
        return json.dumps(
            {
                "refresh_token": self.refresh_token,
                "access_token": self.access_token,
                "access_token_expires_at": self.access_token_expires_at,
            }
        )

    def __repr__(self) -> str:  # never print a token
        return f"StoredToken(expires_at={self.access_token_expires_at})"


class TokenVault(Protocol):
    def read(self, location_id: str) -> StoredToken | None: ...

    def write(self, location_id: str, token: StoredToken) -> None: ...


class RefreshLock(Protocol):
    def acquire_lock(self, name: str, owner: str, lease_seconds: float) -> bool: ...

    def release_lock(self, name: str, owner: str) -> None: ...


class SecretsManagerTokenVault:
    """One secret per location, `<prefix>/<locationId>`; every write is a new version."""

    def __init__(self, prefix: str, client: Any | None = None) -> None:
        if not prefix:
            raise ConfigurationError("no GoHighLevel token secret prefix configured")
        self.prefix = prefix.rstrip("/")
        self._client = client

    @property
    def client(self) -> Any:
        return self._client if self._client is not None else boto3.client("secretsmanager")

    def name(self, location_id: str) -> str:
        return f"{self.prefix}/{location_id}"

    def read(self, location_id: str) -> StoredToken | None:
        try:
            raw = self.client.get_secret_value(SecretId=self.name(location_id))["SecretString"]
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code")
            if code == "ResourceNotFoundException":
                return None
            raise UpstreamError(f"reading the token of location {location_id}: {code}") from exc
        try:
            data = json.loads(raw)
        except ValueError:
            return None
        if not isinstance(data, dict) or not data.get("refresh_token"):
            return None
        return StoredToken(
            refresh_token=str(data["refresh_token"]),
            access_token=data.get("access_token") or None,
            access_token_expires_at=float(data.get("access_token_expires_at") or 0),
        )

    def write(self, location_id: str, token: StoredToken) -> None:
        """Store a new version (idempotent per call through ClientRequestToken)."""
        request_token = str(uuid.uuid4())
        for attempt in range(4):
            try:
                self.client.put_secret_value(
                    SecretId=self.name(location_id),
                    SecretString=token.to_json(),
                    ClientRequestToken=request_token,
                )
                return
            except ClientError as exc:
                code = exc.response.get("Error", {}).get("Code")
                if code == "ResourceNotFoundException":
                    self.client.create_secret(
                        Name=self.name(location_id),
                        SecretString=token.to_json(),
                        ClientRequestToken=request_token,
                        Description=f"GoHighLevel OAuth tokens of location {location_id}",
                    )
                    return
                if attempt == 3:
                    raise UpstreamError(
                        f"storing the token of location {location_id} failed: {code}"
                    ) from exc
                time.sleep(0.2 * (attempt + 1))


@dataclass(frozen=True)
class Grant:
    access_token: str
    refresh_token: str
    expires_in: float


class OAuthClient:
    """`POST /oauth/token` with `grant_type=refresh_token`."""

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        *,
        session: requests.Session | None = None,
        base_url: str = DEFAULT_BASE_URL,
        timeout_seconds: float = 30.0,
    ) -> None:
        if not client_id or not client_secret:
            raise GoHighLevelAuthError("no GoHighLevel client_id / client_secret")
        self._client_id = client_id
        self._client_secret = client_secret
        self.session = session or transport.new_session()
        self.base_url = base_url.rstrip("/")
        self.timeout_seconds = timeout_seconds

    @classmethod
    def from_secret(cls, secret_name: str, **kwargs: Any) -> OAuthClient:
        secret = get_json_secret(secret_name)
        missing = [k for k in ("client_id", "client_secret") if not secret.get(k)]
        if missing:
            raise GoHighLevelAuthError(f"secret {secret_name!r} lacks {', '.join(missing)}")
        return cls(str(secret["client_id"]), str(secret["client_secret"]), **kwargs)

    def refresh(self, refresh_token: str) -> Grant:
        try:
            response = self.session.post(
                f"{self.base_url}/oauth/token",
                data={
                    "client_id": self._client_id,
                    "client_secret": self._client_secret,
                    "grant_type": "refresh_token",
                    "refresh_token": refresh_token,
                    "user_type": "Location",
                },
                headers={"Accept": "application/json"},
                timeout=self.timeout_seconds,
            )
        except requests.RequestException as exc:
            raise GoHighLevelUnavailableError(
                f"token refresh: unreachable ({type(exc).__name__})"
            ) from exc
        body: dict[str, Any] = {}
        try:
            parsed = response.json()
            body = parsed if isinstance(parsed, dict) else {}
        except ValueError:
            pass
        if response.status_code == 200 and body.get("access_token") and body.get("refresh_token"):
            return Grant(
                access_token=str(body["access_token"]),
                refresh_token=str(body["refresh_token"]),
                expires_in=float(body.get("expires_in") or 86399),
            )
        error = str(body.get("error") or "")
        if error == "invalid_grant":
            raise GoHighLevelReauthorizationError("the refresh token was refused (invalid_grant)")
        if error == "invalid_client":
            raise GoHighLevelAuthError("GoHighLevel refused the app's client_id / client_secret")
        if response.status_code == 429:
            raise GoHighLevelThrottledError("token refresh: 429")
        if response.status_code >= 500 or response.status_code == 200:
            raise GoHighLevelUnavailableError(f"token refresh: {response.status_code}")
        raise GoHighLevelRequestError(f"token refresh: {response.status_code} {error}".strip())


class TokenManager:
    """A location's access token: from the vault while valid, else refreshed under a lock."""

    def __init__(
        self,
        location_id: str,
        *,
        vault: TokenVault,
        lock: RefreshLock,
        oauth: OAuthClient,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        lock_wait_seconds: float = 60.0,
        lease_seconds: float = 60.0,
        skew_seconds: float = 300.0,
    ) -> None:
        self.location_id = location_id
        self.vault = vault
        self.lock = lock
        self.oauth = oauth
        self.clock = clock
        self.sleep = sleep
        self.lock_wait_seconds = lock_wait_seconds
        self.lease_seconds = lease_seconds
        self.skew_seconds = skew_seconds
        self.refreshes = 0
        self._access: str | None = None
        self._expires_at = 0.0
        self._mutex = threading.Lock()

    def _usable(self, token: StoredToken) -> bool:
        return bool(token.access_token) and (
            token.access_token_expires_at - self.skew_seconds > self.clock()
        )

    def _stored(self) -> StoredToken:
        stored = self.vault.read(self.location_id)
        if stored is None:
            raise GoHighLevelRefreshTokenMissingError(
                f"no GoHighLevel refresh token is stored for location {self.location_id}"
            )
        return stored

    def access_token(self) -> str:
        with self._mutex:
            if self._access and self._expires_at - self.skew_seconds > self.clock():
                return self._access
            stored = self._stored()
            if self._usable(stored):
                self._remember(stored)
                assert stored.access_token is not None
                return stored.access_token
        return self.refresh()

    def _remember(self, token: StoredToken) -> None:
        self._access = token.access_token
        self._expires_at = token.access_token_expires_at

    def refresh(self, stale_access_token: str | None = None) -> str:
        """A fresh access token; `stale_access_token` is one the API just refused.

        A failed refresh keeps the stored token and counts
        `GoHighLevelTokenRefreshFailed` (the alarm in template.yaml).
        """
        try:
            return self._refresh(stale_access_token)
        except Exception:
            metrics.add_metric(name="GoHighLevelTokenRefreshFailed", unit=MetricUnit.Count, value=1)
            raise

    def _refresh(self, stale_access_token: str | None) -> str:
        with self._mutex, self._locked():
            stored = self._stored()
            if self._usable(stored) and stored.access_token != stale_access_token:
                self._remember(stored)  # another worker refreshed while we waited
                assert stored.access_token is not None
                return stored.access_token
            try:
                grant = self.oauth.refresh(stored.refresh_token)
            except GoHighLevelReauthorizationError:
                again = self._stored()
                if again.refresh_token == stored.refresh_token:
                    raise GoHighLevelReauthorizationError(
                        f"GoHighLevel refused the refresh token of location {self.location_id} "
                        "(invalid_grant): reconnect the app for this location"
                    ) from None
                grant = self.oauth.refresh(again.refresh_token)  # rotated by someone else
            token = StoredToken(
                refresh_token=grant.refresh_token,
                access_token=grant.access_token,
                access_token_expires_at=self.clock() + grant.expires_in,
            )
            self.vault.write(self.location_id, token)  # before the access token is used
            self.refreshes += 1
            self._remember(token)
            return grant.access_token

    @contextmanager
    def _locked(self) -> Iterator[None]:
        name = f"ghl-token#{self.location_id}"
        owner = str(uuid.uuid4())
        deadline = self.clock() + self.lock_wait_seconds
        delay = 0.05
        while not self.lock.acquire_lock(name, owner, self.lease_seconds):
            if self.clock() > deadline:
                raise GoHighLevelLockTimeoutError(
                    f"the token refresh lock of location {self.location_id} stayed taken"
                )
            self.sleep(delay)
            delay = min(delay * 2, 1.0)
        try:
            yield
        finally:
            self.lock.release_lock(name, owner)


# --------------------------------------------------------------------------- rate limits


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


# --------------------------------------------------------------------------- events


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
