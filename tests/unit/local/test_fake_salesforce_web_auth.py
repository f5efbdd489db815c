"""FakeOrg's OAuth 2.0 web server flow: authorize and login page, token with PKCE, userinfo, revoke."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from local.salesforce import FakeOrg
from local.salesforce.web_auth import s256

LOGIN = "https://fake-login.salesforce.com/services/oauth2"
CALLBACK = "https://docs.example/auth/callback"
CLIENT, SECRET = "web-client", "web-secret"


@dataclass
class Flow:
    org: FakeOrg
    http: requests.Session
    ann: str
    verifier: str

    def params(self, **overrides: str) -> dict[str, str]:
        return {
            "response_type": "code",
            "client_id": CLIENT,
            "redirect_uri": CALLBACK,
            "scope": "openid id",
            "state": "st-123",
            "code_challenge": s256(self.verifier),
            "code_challenge_method": "S256",
        } | overrides

    def authorize(self, cookie: str | None = None, **overrides: str) -> requests.Response:
        params = self.params(**overrides)
        headers = {"Cookie": cookie} if cookie else {}
        return self.http.get(
            f"{LOGIN}/authorize", params=params, headers=headers, allow_redirects=False
        )

    def login(
        self,
        username: str = "ann@revops.example",
        password: str = "pw-ann",
        action: str = "login",
        **extra: str,
    ) -> requests.Response:
        page = self.authorize(**extra)
        assert page.status_code == 200 and "<form" in page.text
        form = self.params(**extra) | {"username": username, "password": password, "action": action}
        return self.http.post(f"{LOGIN}/authorize", data=form, allow_redirects=False)

    def code(self, **kwargs: str) -> str:
        answer = self.login(**kwargs)
        assert answer.status_code == 302, answer.text
        query = parse_qs(urlsplit(answer.headers["Location"]).query)
        assert query["state"] == ["st-123"]
        return query["code"][0]

    def token(self, auth_code: str, **overrides: str | None) -> requests.Response:
        form = {
            "grant_type": "authorization_code",
            "code": auth_code,
            "client_id": CLIENT,
            "client_secret": SECRET,
            "redirect_uri": CALLBACK,
            "code_verifier": self.verifier,
        } | overrides
        return self.http.post(
            f"{LOGIN}/token", data={k: v for k, v in form.items() if v is not None}
        )

    def userinfo(self, token: str) -> requests.Response:
        return self.http.get(f"{LOGIN}/userinfo", headers={"Authorization": f"Bearer {token}"})


@pytest.fixture
def flow() -> Flow:
    org = FakeOrg.with_standard_objects()
    org.web.register_app(CLIENT, SECRET, [CALLBACK])
    ann = org.add_user("Ann Lee", "ann@revops.example", username="ann@revops.example")
    org.web.set_password("ann@revops.example", "pw-ann")
    return Flow(org, org.session(), ann, secrets.token_urlsafe(48))


def test_code_flow_with_pkce_gives_a_token_for_the_user(flow: Flow) -> None:
    usage = flow.org.api_usage
    answer = flow.token(flow.code())

    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    assert body["token_type"] == "Bearer" and body["id"].endswith(f"/{flow.ann}")
    assert "id_token" in body and "refresh_token" not in body
    info = flow.userinfo(body["access_token"]).json()
    assert info["user_id"] == flow.ann and info["organization_id"] == flow.org.org_id
    assert info["preferred_username"] == "ann@revops.example" and info["active"] is True
    assert flow.org.api_usage == usage  # identity endpoints are not API calls


def test_revoked_tokens_no_longer_answer_userinfo(flow: Flow) -> None:
    token = flow.token(flow.code()).json()["access_token"]

    revoked = flow.http.post(f"{LOGIN}/revoke", data={"token": token})
    again = flow.http.post(f"{LOGIN}/revoke", data={"token": token})

    assert revoked.status_code == 200
    assert flow.userinfo(token).status_code == 403
    assert again.status_code == 400 and again.json()["error"] == "unsupported_token_type"


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"client_id": "nobody"}, "invalid_client_id"),
        ({"redirect_uri": "https://evil.example/cb"}, "redirect_uri_mismatch"),
    ],
)
def test_unknown_clients_and_callbacks_get_an_error_page_not_a_redirect(
    flow: Flow, overrides: dict[str, str], error: str
) -> None:
    answer = flow.authorize(**overrides)

    assert answer.status_code == 400 and "Location" not in answer.headers
    assert error in answer.text


def test_a_missing_challenge_goes_back_as_invalid_request(flow: Flow) -> None:
    answer = flow.authorize(code_challenge="")

    query = parse_qs(urlsplit(answer.headers["Location"]).query)
    assert answer.status_code == 302 and answer.headers["Location"].startswith(CALLBACK)
    assert query["error"] == ["invalid_request"] and query["state"] == ["st-123"]


def test_wrong_passwords_inactive_and_frozen_users_stay_on_the_login_page(flow: Flow) -> None:
    bob = flow.org.add_user("Bob Gone", username="bob@revops.example", active=False)
    flow.org.web.set_password("bob@revops.example", "pw-bob")
    cy = flow.org.add_user("Cy Ice", username="cy@revops.example")
    flow.org.web.set_password("cy@revops.example", "pw-cy")
    flow.org.sharing.freeze(cy)

    for username, password in [
        ("ann@revops.example", "wrong"),
        ("bob@revops.example", "pw-bob"),
        ("cy@revops.example", "pw-cy"),
        ("nobody@revops.example", "x"),
    ]:
        answer = flow.login(username, password)
        assert answer.status_code == 200, username
        assert "check your username and password" in answer.text
    assert bob


def test_cancel_answers_access_denied(flow: Flow) -> None:
    answer = flow.login(action="cancel")

    query = parse_qs(urlsplit(answer.headers["Location"]).query)
    assert query["error"] == ["access_denied"]
    assert query["error_description"] == ["end-user denied authorization"]


@pytest.mark.parametrize(
    ("overrides", "error", "description"),
    [
        ({"client_secret": "nope"}, "invalid_client", "invalid client credentials"),
        ({"code_verifier": None}, "invalid_grant", "invalid code verifier"),
        (
            {"code_verifier": "another-verifier-another-verifier-another-1"},
            "invalid_request",
            "invalid code verifier",
        ),
        (
            {"redirect_uri": "https://docs.example/other"},
            "redirect_uri_mismatch",
            "redirect_uri must match configuration",
        ),
        ({"code": "made-up"}, "invalid_grant", "invalid authorization code"),
    ],
)
def test_token_requests_are_refused_as_salesforce_documents(
    flow: Flow, overrides: dict[str, str], error: str, description: str
) -> None:
    answer = flow.token(flow.code(), **overrides)

    assert answer.status_code == 400
    assert answer.json() == {"error": error, "error_description": description}


def test_a_code_works_once_and_its_replay_revokes_the_token(flow: Flow) -> None:
    code = flow.code()
    token = flow.token(code).json()["access_token"]

    replay = flow.token(code)

    assert replay.json()["error"] == "invalid_grant"
    assert flow.userinfo(token).status_code == 403


def test_a_code_expires_after_15_minutes(flow: Flow) -> None:
    code = flow.code()
    flow.org.advance_clock(timedelta(minutes=15, seconds=1))

    answer = flow.token(code)

    assert answer.json() == {
        "error": "invalid_grant",
        "error_description": "expired authorization code",
    }


def test_a_browser_signed_in_to_salesforce_gets_a_code_without_the_login_page(flow: Flow) -> None:
    login = flow.login()
    cookie = login.headers["Set-Cookie"].split(";")[0]
    assert cookie.startswith("sid=") and "HttpOnly" in login.headers["Set-Cookie"]

    again = flow.authorize(cookie=cookie)
    forced = flow.authorize(cookie=cookie, prompt="login")
    flow.org.web.forget_browser_sessions()
    forgotten = flow.authorize(cookie=cookie)

    assert again.status_code == 302 and "code=" in again.headers["Location"]
    assert forced.status_code == 200 and "<form" in forced.text
    assert forgotten.status_code == 200 and "<form" in forgotten.text
