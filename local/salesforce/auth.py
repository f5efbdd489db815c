"""OAuth 2.0 token endpoint and bearer-token sessions.

`POST /services/oauth2/token` with the JWT bearer grant
(`grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer`, `assertion=<JWT>`),
as simple-salesforce sends it for `Salesforce(username=, consumer_key=,
privatekey=...)`. The signature is not verified (there is no certificate to
check it against), but the claims are: `iss` (the connected app's consumer
key), `sub` (the username), `aud` (the login URL, or login/test.salesforce.com)
and `exp` (not in the past, by the wall clock). The password grant is accepted
too. Failures answer 400 `{"error", "error_description"}` as Salesforce does.

A successful login returns `{access_token, instance_url, id, token_type,
issued_at, signature}`. Data calls must carry `Authorization: Bearer <token>`;
`revoke_all` (behind `FakeOrg.expire_session`) makes every token issued so far
invalid, so the next data call gets 401 INVALID_SESSION_ID until a new login.
Each token remembers the username it was issued to: the org runs the call as
that user (`username_for`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from local.fakes_common import FakeRequest, FakeResponse, json_response

JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
STANDARD_AUDIENCES = ("https://login.salesforce.com", "https://test.salesforce.com")
CLOCK_SKEW_SECS = 300


class TokenError(Exception):
    def __init__(self, error: str, description: str) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description


def _b64url_json(segment: str) -> Any:
    padded = segment + "=" * (-len(segment) % 4)
    return json.loads(base64.urlsafe_b64decode(padded.encode()))


def decode_jwt_claims(assertion: str) -> dict[str, Any]:
    """The JWT's payload (header checked for RS256, signature not verified)."""
    parts = assertion.split(".")
    if len(parts) != 3:
        raise TokenError("invalid_grant", "invalid assertion")
    try:
        header = _b64url_json(parts[0])
        claims = _b64url_json(parts[1])
    except (ValueError, binascii.Error) as exc:
        raise TokenError("invalid_grant", "invalid assertion") from exc
    if not isinstance(header, dict) or header.get("alg") != "RS256" or not isinstance(claims, dict):
        raise TokenError("invalid_grant", "invalid assertion")
    return claims


@dataclass(frozen=True)
class Grant:
    """Who an access token acts for: a username (None: the integration session) and scopes."""

    username: str | None
    scopes: tuple[str, ...] = ("api",)
    client_id: str | None = None


class Auth:
    """Issued access tokens and the token endpoint."""

    def __init__(
        self,
        *,
        org_id: str,
        instance_url: str,
        login_url: str,
        user_id_for: Callable[[str], str],
    ) -> None:
        self.org_id = org_id
        self.instance_url = instance_url
        self.login_url = login_url
        self._user_id_for = user_id_for
        self._tokens: dict[str, Grant] = {}
        self.consumer_key: str | None = None
        self.allowed_usernames: set[str] | None = None
        self.logins = 0
        # grant_type -> handler of the whole token request (e.g. authorization_code, web_auth.py)
        self.extra_grants: dict[str, Callable[[dict[str, str]], FakeResponse]] = {}

    # ------------------------------------------------------------ sessions

    def issue(
        self,
        username: str | None = None,
        scopes: tuple[str, ...] = ("api",),
        client_id: str | None = None,
    ) -> str:
        token = f"{self.org_id[:15]}!AQ{secrets.token_urlsafe(72)}"
        self._tokens[token] = Grant(username, scopes, client_id)
        return token

    def revoke(self, token: str) -> bool:
        return self._tokens.pop(token, None) is not None

    def revoke_all(self) -> None:
        self._tokens.clear()

    def grant_for(self, request: FakeRequest) -> Grant | None:
        """The grant behind the request's bearer token (None when there is no valid one)."""
        header = request.header("Authorization") or ""
        scheme, _, token = header.partition(" ")
        if scheme.lower() not in ("bearer", "oauth"):
            return None
        return self._tokens.get(token.strip())

    def is_authorized(self, request: FakeRequest) -> bool:
        return self.grant_for(request) is not None

    def username_for(self, request: FakeRequest) -> str | None:
        """The user a call runs as (None: a token issued without a login)."""
        grant = self.grant_for(request)
        return grant.username if grant else None

    # -------------------------------------------------------------- grants

    def token_endpoint(self, request: FakeRequest) -> FakeResponse:
        form = request.form()
        try:
            grant = form.get("grant_type", "")
            if grant == JWT_GRANT:
                username = self._check_assertion(form.get("assertion", ""))
            elif grant == "password":
                username = self._check_password(form)
            elif grant in self.extra_grants:
                return self.extra_grants[grant](form)
            else:
                raise TokenError("unsupported_grant_type", "grant type not supported")
        except TokenError as exc:
            return json_response(400, {"error": exc.error, "error_description": exc.description})
        return json_response(200, self._token_response(username))

    def _check_assertion(self, assertion: str) -> str:
        claims = decode_jwt_claims(assertion)
        issuer = str(claims.get("iss") or "")
        if not issuer or (self.consumer_key is not None and issuer != self.consumer_key):
            raise TokenError("invalid_client_id", "client identifier invalid")
        audience = str(claims.get("aud") or "").rstrip("/")
        if audience not in (*STANDARD_AUDIENCES, self.login_url, self.instance_url):
            raise TokenError("invalid_grant", "audience is invalid")
        try:
            expires = float(claims.get("exp", 0))
        except (TypeError, ValueError) as exc:
            raise TokenError("invalid_grant", "invalid assertion") from exc
        if expires + CLOCK_SKEW_SECS < time.time():
            raise TokenError("invalid_grant", "expired assertion")
        return self._check_username(str(claims.get("sub") or ""))

    def _check_password(self, form: dict[str, str]) -> str:
        if not form.get("client_id"):
            raise TokenError("invalid_client_id", "client identifier invalid")
        if self.consumer_key is not None and form["client_id"] != self.consumer_key:
            raise TokenError("invalid_client_id", "client identifier invalid")
        if not form.get("password"):
            raise TokenError("invalid_grant", "authentication failure")
        return self._check_username(form.get("username", ""))

    def _check_username(self, username: str) -> str:
        if not username or (
            self.allowed_usernames is not None and username not in self.allowed_usernames
        ):
            raise TokenError("invalid_grant", "invalid user")
        return username

    def _token_response(self, username: str) -> dict[str, Any]:
        self.logins += 1
        return self.token_body(username, self.issue(username))

    def token_body(self, username: str, token: str) -> dict[str, Any]:
        """The token endpoint's success body for `token`, issued to `username`."""
        issued_at = str(int(time.time() * 1000))
        user_id = self._user_id_for(username)
        identity = f"{self.login_url}/id/{self.org_id}/{user_id}"
        digest = hmac.new(token.encode(), (identity + issued_at).encode(), hashlib.sha256).digest()
        return {
            "access_token": token,
            "scope": "api",
            "instance_url": self.instance_url,
            "id": identity,
            "token_type": "Bearer",
            "issued_at": issued_at,
            "signature": base64.b64encode(digest).decode(),
        }
