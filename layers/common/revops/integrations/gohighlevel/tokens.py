"""GoHighLevel OAuth: stored per-location tokens, the refresh exchange, refresh under a lock.

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
"""

from __future__ import annotations

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

from revops.errors import ConfigurationError, UpstreamError
from revops.integrations import transport
from revops.integrations.gohighlevel.errors import (
    GoHighLevelAuthError,
    GoHighLevelLockTimeoutError,
    GoHighLevelReauthorizationError,
    GoHighLevelRefreshTokenMissingError,
    GoHighLevelRequestError,
    GoHighLevelThrottledError,
    GoHighLevelTokenTooLargeError,
    GoHighLevelUnavailableError,
)
from revops.integrations.secrets import get_json_secret
from revops.observability import metrics

DEFAULT_BASE_URL = "https://services.leadconnectorhq.com"
# Secrets Manager refuses a SecretString over 65,536 bytes. The stored JSON holds the
# refresh token, an access token (a JWT of a few KB) and its expiry, so a refresh token
# may take what is left after a generous allowance for the access token.
SECRET_STRING_MAX_BYTES = 65_536
ACCESS_TOKEN_ALLOWANCE_BYTES = 16_384
MAX_REFRESH_TOKEN_BYTES = SECRET_STRING_MAX_BYTES - ACCESS_TOKEN_ALLOWANCE_BYTES


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
        """Store a new version (idempotent per call through ClientRequestToken).

        A token whose JSON would exceed Secrets Manager's SecretString limit is refused
        before the call (GoHighLevelTokenTooLargeError), as AWS would refuse it."""
        size = len(token.to_json().encode("utf-8"))
        if size > SECRET_STRING_MAX_BYTES:
            raise GoHighLevelTokenTooLargeError(
                f"the tokens of location {location_id} take {size:,} bytes; "
                f"Secrets Manager stores at most {SECRET_STRING_MAX_BYTES:,}"
            )
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

    def rotate(self) -> str:
        """Exchange the stored refresh token now, whatever the access token's age (the
        integration test proves the refresh token works this way). Same lock and order as
        `refresh`: the new refresh token is stored before the access token is returned."""
        stale = self._stored().access_token
        return self.refresh(stale_access_token=stale or "")

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
