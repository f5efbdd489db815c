"""The OAuth half of the GoHighLevel stand-in: locations, refresh and access tokens.

`POST /oauth/token` - form-encoded `client_id`, `client_secret`, `grant_type`
(`refresh_token` with `refresh_token`, or `authorization_code` with `code`),
optional `user_type` (only `Location` is supported) and `redirect_uri`. Every
successful exchange returns a NEW refresh token and invalidates the one
presented (single use): a reused refresh token gets 401
`{"error": "invalid_grant", ...}`. Exchanges are serialised, so of several
concurrent refreshes with the same token exactly one succeeds. Access tokens
stay valid until they expire (`expires_in`, default 86399 s on `clock`).

`FakeGoHighLevel` (`local.gohighlevel`) adds the calendar API on top.
"""

from __future__ import annotations

import secrets
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from local.fakes_common import FakeRequest, FakeResponse, FakeService, json_response

DEFAULT_SCOPE = "calendars.readonly calendars/events.readonly"

GENERIC_MESSAGES = {
    429: "Too many requests",
    500: "Internal server error",
    502: "Bad gateway",
    503: "Service unavailable",
    504: "Gateway timeout",
}


@dataclass
class _AccessToken:
    location_id: str
    expires_at: float


@dataclass
class _RefreshFault:
    status: int
    consume_token: bool


def new_id(length: int = 20) -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    return "".join(secrets.choice(alphabet) for _ in range(length))


def api_error(status: int, message: str | list[str], error: str | None = None) -> FakeResponse:
    body: dict[str, Any] = {"statusCode": status, "message": message}
    if error:
        body["error"] = error
    return json_response(status, body)


def _oauth_error(status: int, error: str, description: str) -> FakeResponse:
    return json_response(status, {"error": error, "error_description": description})


class GoHighLevelOAuth(FakeService):
    """Locations and their tokens; subclasses add the API the tokens open."""

    def __init__(
        self,
        base_url: str | None = None,
        *,
        client_id: str,
        client_secret: str,
        clock: Callable[[], float] = time.time,
        timezone: str = "America/Chicago",
        access_token_ttl_secs: int = 86399,
        company_id: str = "fakeCompany000000001",
    ) -> None:
        super().__init__(base_url)
        self.client_id = client_id
        self.client_secret = client_secret
        self.clock = clock
        self.default_timezone = timezone
        self.access_token_ttl_secs = access_token_ttl_secs
        self.company_id = company_id
        self._location_tz: dict[str, str] = {}
        self._refresh_tokens: dict[str, str] = {}  # valid refresh token -> location
        self._current_refresh: dict[str, str] = {}  # location -> its valid refresh token
        self._auth_codes: dict[str, str] = {}  # unused authorization code -> location
        self._access_tokens: dict[str, _AccessToken] = {}
        self._refresh_faults: deque[_RefreshFault] = deque()
        self.add_route("POST", r"/oauth/token", "token", self._token)

    def add_location(self, location_id: str, *, timezone: str | None = None) -> None:
        """Declare a location (sub-account) and the timezone its event times are rendered in."""
        with self._lock:
            self._location_tz[location_id] = timezone or self._location_tz.get(
                location_id, self.default_timezone
            )

    def issue_refresh_token(self, location_id: str) -> str:
        """Seed an installation: a valid refresh token for `location_id` (replaces any other)."""
        with self._lock:
            self.add_location(location_id)
            return self._rotate_refresh(location_id)

    def current_refresh_token(self, location_id: str) -> str | None:
        with self._lock:
            return self._current_refresh.get(location_id)

    def issue_authorization_code(self, location_id: str) -> str:
        """A single-use code for `grant_type=authorization_code`."""
        with self._lock:
            self.add_location(location_id)
            code = new_id(40)
            self._auth_codes[code] = location_id
            return code

    def issue_access_token(self, location_id: str, *, ttl_secs: float | None = None) -> str:
        """An access token without going through /oauth/token (for API-only tests)."""
        with self._lock:
            self.add_location(location_id)
            token = "ghl_at_" + secrets.token_urlsafe(32)
            ttl = self.access_token_ttl_secs if ttl_secs is None else ttl_secs
            self._access_tokens[token] = _AccessToken(location_id, self.clock() + ttl)
            return token

    def expire_access_tokens(self, location_id: str | None = None) -> None:
        with self._lock:
            for token in self._access_tokens.values():
                if location_id is None or token.location_id == location_id:
                    token.expires_at = min(token.expires_at, self.clock())

    def revoke(self, location_id: str) -> None:
        """Uninstall the app from a location: its refresh and access tokens stop working."""
        with self._lock:
            token = self._current_refresh.pop(location_id, None)
            if token is not None:
                self._refresh_tokens.pop(token, None)
            for access in self._access_tokens.values():
                if access.location_id == location_id:
                    access.expires_at = float("-inf")

    # -------------------------------------------------------- fault injection

    def fail_next_refresh(
        self, status: int = 500, *, count: int = 1, consume_token: bool = False
    ) -> None:
        """Fail the next `count` /oauth/token exchanges with `status` (e.g. 500 or 401).

        With `consume_token=True` the presented refresh token is invalidated anyway,
        as when the server rotated it but the response was lost: the client's stored
        token is then dead and only a re-authorisation (or a token another worker
        received) helps.
        """
        with self._lock:
            for _ in range(count):
                self._refresh_faults.append(_RefreshFault(status, consume_token))

    def _token(self, request: FakeRequest) -> FakeResponse:
        if request.content_type != "application/x-www-form-urlencoded":
            return api_error(
                422,
                ["body must be application/x-www-form-urlencoded"],
                "Unprocessable Entity",
            )
        form = request.form()
        missing = [f for f in ("client_id", "client_secret", "grant_type") if not form.get(f)]
        if missing:
            return api_error(
                422, [f"{f} should not be empty" for f in missing], "Unprocessable Entity"
            )
        if form["client_id"] != self.client_id or form["client_secret"] != self.client_secret:
            return _oauth_error(401, "invalid_client", "Client authentication failed.")
        user_type = form.get("user_type")
        if user_type and user_type != "Location":
            return _oauth_error(
                400, "invalid_request", f"user_type {user_type!r} is not supported by the fake"
            )
        grant_type = form["grant_type"]
        if grant_type == "refresh_token":
            presented = form.get("refresh_token", "")
            location_id = self._refresh_tokens.get(presented)
        elif grant_type == "authorization_code":
            presented = form.get("code", "")
            location_id = self._auth_codes.get(presented)
        else:
            return _oauth_error(
                400, "unsupported_grant_type", f"grant_type {grant_type!r} is not supported."
            )
        if not presented:
            field_name = "refresh_token" if grant_type == "refresh_token" else "code"
            return api_error(422, [f"{field_name} should not be empty"], "Unprocessable Entity")

        if self._refresh_faults:
            fault = self._refresh_faults.popleft()
            if fault.consume_token and location_id is not None:
                self._consume(grant_type, presented, location_id)
            if fault.status == 401:
                return _oauth_error(401, "invalid_grant", "Injected failure: invalid grant.")
            return api_error(fault.status, GENERIC_MESSAGES.get(fault.status, "Injected failure"))

        if location_id is None:
            what = "refresh token" if grant_type == "refresh_token" else "authorization code"
            return _oauth_error(
                401, "invalid_grant", f"This {what} is invalid, expired or already used."
            )
        self._consume(grant_type, presented, location_id)
        new_refresh = self._rotate_refresh(location_id)
        access = self.issue_access_token(location_id)
        return json_response(
            200,
            {
                "access_token": access,
                "token_type": "Bearer",
                "expires_in": self.access_token_ttl_secs,
                "refresh_token": new_refresh,
                "scope": DEFAULT_SCOPE,
                "userType": "Location",
                "companyId": self.company_id,
                "locationId": location_id,
                "userId": "fakeInstallerUser001",
                "isBulkInstallation": False,
            },
        )

    def _consume(self, grant_type: str, presented: str, location_id: str) -> None:
        if grant_type == "refresh_token":
            self._refresh_tokens.pop(presented, None)
            if self._current_refresh.get(location_id) == presented:
                del self._current_refresh[location_id]
        else:
            self._auth_codes.pop(presented, None)

    def _rotate_refresh(self, location_id: str) -> str:
        old = self._current_refresh.get(location_id)
        if old is not None:
            self._refresh_tokens.pop(old, None)
        token = "ghl_rt_" + secrets.token_urlsafe(32)
        self._refresh_tokens[token] = location_id
        self._current_refresh[location_id] = token
        return token

    def _authenticate(self, request: FakeRequest) -> str | None:
        header = request.header("Authorization") or ""
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        access = self._access_tokens.get(token.strip())
        if access is None or access.expires_at <= self.clock():
            return None
        return access.location_id
