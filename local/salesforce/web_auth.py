"""The OAuth 2.0 web server flow (authorization code with PKCE), as a browser meets it.

Connected apps are registered with `register_app(client_id, client_secret,
callback_urls)`; users sign in with a password set by `set_password`. The
endpoints follow Salesforce's "OAuth 2.0 Web Server Flow for Web App
Integration" and the OAuth endpoint references:

* `GET /services/oauth2/authorize?response_type=code&client_id&redirect_uri
  [&scope][&state][&code_challenge][&code_challenge_method][&prompt][&login_hint]`.
  An unknown `client_id` or a `redirect_uri` that is not one of the app's
  callback URLs is shown as an error page (never redirected to). Other errors
  go back to the callback as `?error=...&error_description=...[&state]`
  (`unsupported_response_type`, `invalid_request` for a missing or non-S256
  challenge when the app requires PKCE). Otherwise the login page is shown, or,
  when the browser already holds a session of this fake Salesforce (its `sid`
  cookie) and `prompt` is not `login`, the code is issued at once.
* `POST /services/oauth2/authorize`: the login form. A wrong password, an
  unknown, inactive (`User.IsActive = false`) or frozen
  (`UserLogin.IsFrozen`) user gets the login page again with Salesforce's
  generic message. "Cancel" answers the callback with `error=access_denied`
  and `error_description=end-user denied authorization`. Success redirects to
  `redirect_uri?code=...&state=...`; the code is single use and valid for
  15 minutes. (No approval page: the app is taken to be "Admin approved users
  are pre-authorized", as the README asks.)
* `POST /services/oauth2/token` with `grant_type=authorization_code`, `code`,
  `client_id`, `client_secret`, `redirect_uri` and `code_verifier`. Errors are
  400 `{"error", "error_description"}`: `invalid_client_id`,
  `invalid_client` ("invalid client credentials"), `invalid_grant` for an
  unknown, used or expired code ("invalid authorization code", "expired
  authorization code") and, as documented for PKCE, when the authorize request
  had a `code_challenge` but the token request has no `code_verifier`;
  `invalid_request` when the verifier's S256 hash does not match the
  challenge; `redirect_uri_mismatch`. A second use of a code also revokes the
  tokens the first use issued (RFC 6749 §4.1.2). Success answers
  `{access_token, signature, scope, id_token?, instance_url, id, token_type,
  issued_at}` (`id_token` with the `openid` scope, `refresh_token` with
  `refresh_token`).
* `GET|POST /services/oauth2/userinfo` with the bearer token: the OpenID
  Connect claims (`sub`, `user_id`, `organization_id`, `preferred_username`,
  `name`, `email`, `active`, `urls`, ...). A token that is not valid answers
  403 `Bad_OAuth_Token`.
* `POST /services/oauth2/revoke` with `token=`: 200 with an empty body; an
  unknown token answers 400 `unsupported_token_type`.

None of these count against the org's API limits.
"""

from __future__ import annotations

import base64
import hashlib
import html
import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from local.fakes_common import FakeRequest, FakeResponse, json_response
from local.salesforce.schema import normalize_id

if TYPE_CHECKING:
    from local.salesforce.org import FakeOrg

OAUTH = r"(?i)/services/oauth2"
CODE_LIFETIME = timedelta(minutes=15)
LOGIN_FAILED = (
    "Please check your username and password. If you still can't log in, "
    "contact your Salesforce administrator."
)
DENIED = "end-user denied authorization"
SID_COOKIE = "sid"
_AUTHORIZE_PARAMS = (
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
    "login_hint",
)


@dataclass
class ConnectedApp:
    client_id: str
    client_secret: str
    callback_urls: tuple[str, ...]
    require_pkce: bool = True


@dataclass
class AuthCode:
    client_id: str
    redirect_uri: str
    username: str
    scopes: tuple[str, ...]
    challenge: str | None
    expires: datetime
    used: bool = False
    tokens: list[str] = field(default_factory=list)


def s256(verifier: str) -> str:
    """The PKCE S256 challenge of a verifier: base64url(SHA-256), no padding."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


class WebAuth:
    """Connected apps, user passwords, authorization codes and the browser-facing pages."""

    def __init__(self, org: FakeOrg) -> None:
        self.org = org
        self.apps: dict[str, ConnectedApp] = {}
        self._passwords: dict[str, str] = {}
        self._codes: dict[str, AuthCode] = {}
        self._browser_sessions: dict[str, str] = {}  # sid cookie -> username
        self.logins = 0
        org.auth.extra_grants["authorization_code"] = self.token

    def routes(self) -> list[tuple[str, str, str, Any]]:
        return [
            ("GET", OAUTH + r"/authorize/?", "oauth_authorize", self.authorize),
            ("POST", OAUTH + r"/authorize/?", "oauth_login", self.login),
            ("GET", OAUTH + r"/userinfo/?", "oauth_userinfo", self.userinfo),
            ("POST", OAUTH + r"/userinfo/?", "oauth_userinfo", self.userinfo),
            ("POST", OAUTH + r"/revoke/?", "oauth_revoke", self.revoke),
        ]

    # ------------------------------------------------------------------ setup

    def register_app(
        self,
        client_id: str,
        client_secret: str,
        callback_urls: list[str] | tuple[str, ...],
        *,
        require_pkce: bool = True,
    ) -> ConnectedApp:
        app = ConnectedApp(client_id, client_secret, tuple(callback_urls), require_pkce)
        self.apps[client_id] = app
        return app

    def set_password(self, username: str, password: str) -> None:
        self._passwords[username] = password

    def forget_browser_sessions(self) -> None:
        """Log every browser out of this fake Salesforce."""
        self._browser_sessions.clear()

    # ------------------------------------------------------------------ pages

    def _page(self, status: int, title: str, body: str) -> FakeResponse:
        text = (
            "<!doctype html><html lang=en><head><meta charset=utf-8>"
            "<link rel=icon href='data:,'>"
            f"<title>{html.escape(title)}</title></head><body>"
            f"<main style='max-width:420px;margin:40px auto;font-family:sans-serif'>"
            f"<h1>{html.escape(title)}</h1>{body}</main></body></html>"
        )
        return FakeResponse(status, text, {"Cache-Control": "no-store"}, "text/html")

    def _login_page(self, params: dict[str, str], error: str | None = None) -> FakeResponse:
        hidden = "".join(
            f"<input type=hidden name='{name}' value='{html.escape(params[name], quote=True)}'>"
            for name in _AUTHORIZE_PARAMS
            if params.get(name)
        )
        message = f"<p id=error role=alert>{html.escape(error)}</p>" if error else ""
        hint = html.escape(params.get("login_hint", ""), quote=True)
        return self._page(
            200,
            "Login | Salesforce",
            f"{message}<form method=post action='/services/oauth2/authorize'>{hidden}"
            f"<label>Username <input id=username name=username autocomplete=username value='{hint}'></label><br>"
            "<label>Password <input id=password name=password type=password autocomplete=current-password></label><br>"
            "<button id=Login name=action value=login>Log In</button> "
            "<button id=cancel name=action value=cancel>Cancel</button></form>",
        )

    @staticmethod
    def _redirect(
        url: str, params: dict[str, str], headers: dict[str, str] | None = None
    ) -> FakeResponse:
        separator = "&" if "?" in url else "?"
        location = url + separator + urlencode(params)
        return FakeResponse(302, None, {"Location": location, **(headers or {})})

    def _error_back(self, params: dict[str, str], error: str, description: str) -> FakeResponse:
        answer = {"error": error, "error_description": description}
        if params.get("state"):
            answer["state"] = params["state"]
        return self._redirect(params["redirect_uri"], answer)

    # ------------------------------------------------------------------ authorize

    def _checked(self, params: dict[str, str]) -> FakeResponse | None:
        """An error answer for a bad authorize request, or None when it is good."""
        app = self.apps.get(params.get("client_id", ""))
        if app is None:
            return self._page(
                400, "Error", "<p>error=invalid_client_id: client identifier invalid</p>"
            )
        if params.get("redirect_uri") not in app.callback_urls:
            return self._page(
                400,
                "Error",
                "<p>error=redirect_uri_mismatch: redirect_uri must match configuration</p>",
            )
        if params.get("response_type") != "code":
            return self._error_back(
                params, "unsupported_response_type", "response type not supported"
            )
        challenge, method = (
            params.get("code_challenge"),
            params.get("code_challenge_method", "S256"),
        )
        if (app.require_pkce and not challenge) or (challenge and method != "S256"):
            return self._error_back(params, "invalid_request", "missing or invalid code challenge")
        return None

    def authorize(self, request: FakeRequest) -> FakeResponse:
        params = request.params
        refused = self._checked(params)
        if refused is not None:
            return refused
        username = self._browser_sessions.get(_cookie(request, SID_COOKIE) or "")
        if username and params.get("prompt") != "login" and self._may_log_in(username):
            return self._issue_code(params, username)
        return self._login_page(params)

    def login(self, request: FakeRequest) -> FakeResponse:
        form = request.form()
        params = {name: form[name] for name in _AUTHORIZE_PARAMS if form.get(name)}
        refused = self._checked(params)
        if refused is not None:
            return refused
        if form.get("action") == "cancel":
            return self._error_back(params, "access_denied", DENIED)
        username = form.get("username", "").strip()
        password = form.get("password", "")
        known = self._passwords.get(username)
        if (
            known is None
            or not secrets.compare_digest(known, password)
            or not self._may_log_in(username)
        ):
            return self._login_page(params, LOGIN_FAILED)
        self.logins += 1
        sid = secrets.token_urlsafe(24)
        self._browser_sessions[sid] = username
        cookie = f"{SID_COOKIE}={sid}; Path=/; HttpOnly; SameSite=Lax"
        return self._issue_code(params, username, {"Set-Cookie": cookie})

    def _user(self, username: str) -> dict[str, Any] | None:
        return next(
            (
                u
                for u in self.org.store.rows(self.org.store.object("User"))
                if u.get("Username") == username
            ),
            None,
        )

    def _may_log_in(self, username: str) -> bool:
        user = self._user(username)
        return (
            user is not None
            and bool(user.get("IsActive"))
            and not self.org.sharing.is_frozen(user["Id"])
        )

    def _issue_code(
        self, params: dict[str, str], username: str, headers: dict[str, str] | None = None
    ) -> FakeResponse:
        code = "aPrx" + secrets.token_urlsafe(48)
        self._codes[code] = AuthCode(
            client_id=params["client_id"],
            redirect_uri=params["redirect_uri"],
            username=username,
            scopes=tuple(params.get("scope", "api").split()) or ("api",),
            challenge=params.get("code_challenge"),
            expires=self.org.now + CODE_LIFETIME,
        )
        answer = {"code": code}
        if params.get("state"):
            answer["state"] = params["state"]
        return self._redirect(params["redirect_uri"], answer, headers)

    # ------------------------------------------------------------------ token

    def token(self, form: dict[str, str]) -> FakeResponse:
        """`grant_type=authorization_code` at the token endpoint."""

        def fail(error: str, description: str) -> FakeResponse:
            return json_response(400, {"error": error, "error_description": description})

        app = self.apps.get(form.get("client_id", ""))
        if app is None:
            return fail("invalid_client_id", "client identifier invalid")
        if not secrets.compare_digest(app.client_secret, form.get("client_secret", "")):
            return fail("invalid_client", "invalid client credentials")
        grant = self._codes.get(form.get("code", ""))
        if grant is None or grant.client_id != app.client_id:
            return fail("invalid_grant", "invalid authorization code")
        if grant.used:
            for token in grant.tokens:  # a replayed code: revoke what it gave
                self.org.auth.revoke(token)
            return fail("invalid_grant", "invalid authorization code")
        if self.org.now > grant.expires:
            return fail("invalid_grant", "expired authorization code")
        if form.get("redirect_uri") != grant.redirect_uri:
            return fail("redirect_uri_mismatch", "redirect_uri must match configuration")
        verifier = form.get("code_verifier")
        if grant.challenge and not verifier:
            return fail("invalid_grant", "invalid code verifier")
        if grant.challenge and not secrets.compare_digest(s256(verifier or ""), grant.challenge):
            return fail("invalid_request", "invalid code verifier")
        if not self._may_log_in(grant.username):
            return fail("inactive_user", "user is inactive")
        grant.used = True
        token = self.org.auth.issue(grant.username, grant.scopes, app.client_id)
        grant.tokens.append(token)
        body = self.org.auth.token_body(grant.username, token)
        body["scope"] = " ".join(grant.scopes)
        if "openid" in grant.scopes:
            body["id_token"] = self._id_token(grant.username, app.client_id)
        if {"refresh_token", "offline_access"} & set(grant.scopes):
            body["refresh_token"] = "5Aep" + secrets.token_urlsafe(48)
        return json_response(200, body)

    def _id_token(self, username: str, audience: str) -> str:
        import jwt

        from local.salesforce.org import _private_key

        user = self._user(username) or {}
        now = int(time.time())
        claims = {
            "iss": self.org.login_url,
            "sub": self._identity(user),
            "aud": audience,
            "exp": now + 300,
            "iat": now,
        }
        return str(jwt.encode(claims, _private_key(), algorithm="RS256"))

    # ------------------------------------------------------------------ identity

    def _identity(self, user: dict[str, Any]) -> str:
        return f"{self.org.login_url}/id/{self.org.org_id}/{user.get('Id', '')}"

    def userinfo(self, request: FakeRequest) -> FakeResponse:
        grant = self.org.auth.grant_for(request)
        user = self._user(grant.username) if grant and grant.username else None
        if grant is None or user is None:
            return FakeResponse(403, "Bad_OAuth_Token", content_type="text/plain")
        name = str(user.get("Name") or "")
        given, _, family = name.partition(" ")
        base = self.org.instance_url
        return json_response(
            200,
            {
                "sub": self._identity(user),
                "user_id": user["Id"],
                "organization_id": self.org.org_id,
                "preferred_username": user.get("Username"),
                "nickname": str(user.get("Username") or "").split("@")[0],
                "name": name,
                "email": user.get("Email"),
                "email_verified": True,
                "given_name": given,
                "family_name": family,
                "zoneinfo": "America/New_York",
                "photos": {
                    "picture": f"{base}/profilephoto/005/F",
                    "thumbnail": f"{base}/profilephoto/005/T",
                },
                "profile": f"{base}/{user['Id']}",
                "picture": f"{base}/profilephoto/005/F",
                "address": {"country": "US"},
                "is_salesforce_integration_user": False,
                "urls": {
                    "rest": f"{base}/services/data/v{{version}}/",
                    "sobjects": f"{base}/services/data/v{{version}}/sobjects/",
                    "query": f"{base}/services/data/v{{version}}/query/",
                    "profile": f"{base}/{user['Id']}",
                    "custom_domain": base,
                },
                "active": bool(user.get("IsActive")),
                "user_type": "STANDARD",
                "language": "en_US",
                "locale": "en_US",
                "utcOffset": -18000000,
                "updated_at": self.org.now.strftime("%Y-%m-%dT%H:%M:%SZ"),
            },
        )

    def revoke(self, request: FakeRequest) -> FakeResponse:
        token = request.form().get("token") or request.param("token") or ""
        if not self.org.auth.revoke(token):
            return json_response(
                400,
                {
                    "error": "unsupported_token_type",
                    "error_description": "this token type is not supported",
                },
            )
        return FakeResponse(200)

    def user_id(self, username: str) -> str | None:
        user = self._user(username)
        return normalize_id(user["Id"]) if user else None


def _cookie(request: FakeRequest, name: str) -> str | None:
    for part in (request.header("Cookie") or "").split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return None
