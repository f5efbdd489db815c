"""Salesforce sign-in for people: the OAuth 2.0 web server flow with PKCE.

Salesforce documents the flow in "OAuth 2.0 Web Server Flow for Web App
Integration" (help.salesforce.com, `remoteaccess_oauth_web_server_flow.htm`):

1. the browser goes to `<login>/services/oauth2/authorize` with
   `response_type=code`, `client_id`, `redirect_uri`, `scope`, `state` and the
   PKCE `code_challenge` (base64url SHA-256 of the verifier, RFC 7636 S256);
2. Salesforce signs the user in and redirects to the callback with `code` and
   `state` (or `error` and `error_description`, e.g. `access_denied`);
3. the server posts `grant_type=authorization_code`, `code`, `client_id`,
   `client_secret`, `redirect_uri` and `code_verifier` to
   `<login>/services/oauth2/token`. "If the code_challenge is invalid or
   doesn't match, the login fails with the invalid_request error code"; a
   missing verifier fails with `invalid_grant`;
4. `<login>/services/oauth2/userinfo` with the access token names the user
   (`user_id`, `organization_id`, `preferred_username`, `active`, ...);
5. `<login>/services/oauth2/revoke` ends the token: revops keeps no
   Salesforce token once it knows who signed in.

`<login>` is `https://login.salesforce.com`, `https://test.salesforce.com`
(sandboxes) or the org's My Domain. Errors are typed: `SignInRejectedError`
for a 4xx answer (its `error` is Salesforce's code), `SalesforceUnavailableError`
when Salesforce cannot be reached or answers 5xx.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import requests

from revops.errors import RevopsError
from revops.integrations import transport
from revops.integrations.salesforce import SalesforceUnavailableError

TIMEOUT_SECONDS = 10


class SignInRejectedError(RevopsError):
    """Salesforce refused a token or userinfo request (4xx)."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description


def code_challenge(verifier: str) -> str:
    """RFC 7636 S256: base64url(SHA-256(verifier)) without padding."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


@dataclass(frozen=True)
class Tokens:
    access_token: str
    instance_url: str
    identity_url: str


@dataclass(frozen=True)
class UserInfo:
    user_id: str
    organization_id: str
    username: str
    name: str
    email: str | None
    active: bool


class SalesforceSignIn:
    """The three server-side calls of the flow, and the authorize URL for the browser."""

    def __init__(
        self,
        login_url: str,
        client_id: str,
        client_secret: str,
        session: requests.Session | None = None,
    ) -> None:
        self.login_url = login_url.rstrip("/")
        self.client_id = client_id
        self.client_secret = client_secret
        self._session = session

    @property
    def session(self) -> requests.Session:
        if self._session is None:
            self._session = transport.new_session()
        return self._session

    def authorize_url(
        self, *, redirect_uri: str, state: str, challenge: str, scope: str = "openid id"
    ) -> str:
        query = urlencode(
            {
                "response_type": "code",
                "client_id": self.client_id,
                "redirect_uri": redirect_uri,
                "scope": scope,
                "state": state,
                "code_challenge": challenge,
                "code_challenge_method": "S256",
            }
        )
        return f"{self.login_url}/services/oauth2/authorize?{query}"

    def _send(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        try:
            response = self.session.request(
                method, f"{self.login_url}{path}", timeout=TIMEOUT_SECONDS, **kwargs
            )
        except requests.RequestException as exc:
            raise SalesforceUnavailableError(
                f"Salesforce sign-in unreachable: {type(exc).__name__}"
            ) from exc
        if response.status_code >= 500:
            raise SalesforceUnavailableError(f"Salesforce sign-in answered {response.status_code}")
        return response

    @staticmethod
    def _rejected(response: requests.Response) -> SignInRejectedError:
        try:
            body = response.json()
        except ValueError:
            body = {}
        if not isinstance(body, dict):
            body = {}
        return SignInRejectedError(
            str(body.get("error") or f"http_{response.status_code}"),
            str(body.get("error_description") or response.reason or ""),
        )

    def exchange(self, code: str, verifier: str, redirect_uri: str) -> Tokens:
        response = self._send(
            "POST",
            "/services/oauth2/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "client_id": self.client_id,
                "client_secret": self.client_secret,
                "redirect_uri": redirect_uri,
                "code_verifier": verifier,
            },
            headers={"Accept": "application/json"},
        )
        if response.status_code != 200:
            raise self._rejected(response)
        body = response.json()
        return Tokens(
            access_token=str(body["access_token"]),
            instance_url=str(body.get("instance_url") or ""),
            identity_url=str(body.get("id") or ""),
        )

    def userinfo(self, access_token: str) -> UserInfo:
        response = self._send(
            "GET",
            "/services/oauth2/userinfo",
            headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"},
        )
        if response.status_code != 200:
            raise self._rejected(response)
        body = response.json()
        return UserInfo(
            user_id=str(body["user_id"]),
            organization_id=str(body["organization_id"]),
            username=str(body.get("preferred_username") or ""),
            name=str(body.get("name") or body.get("preferred_username") or ""),
            email=body.get("email"),
            active=bool(body.get("active", False)),
        )

    def revoke(self, token: str) -> None:
        """Revoke a token; a failure is not the user's problem (the token expires anyway)."""
        with contextlib.suppress(SalesforceUnavailableError):
            self._send("POST", "/services/oauth2/revoke", data={"token": token})
