"""FakeOrg login (JWT bearer through simple-salesforce), sessions and transport wiring."""

from __future__ import annotations

import base64
import functools
import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceAuthenticationFailed, SalesforceExpiredSession

from local.salesforce import FakeOrg
from revops.integrations import transport

TOKEN_URL = "https://fake-login.salesforce.com/services/oauth2/token"


@functools.cache
def pem_key() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


@pytest.fixture
def org() -> FakeOrg:
    org = FakeOrg.with_standard_objects()
    org.insert("Account", {"Name": "Acme"})
    return org


def jwt_login(org: FakeOrg, username: str = "ops@revops.example", **kwargs: str) -> Salesforce:
    return Salesforce(
        username=username,
        consumer_key=kwargs.get("consumer_key", "my-connected-app"),
        privatekey=pem_key(),
        domain=kwargs.get("domain", "fake-login"),
        session=org.session(),
        version="62.0",
    )


def assertion(**claims: object) -> str:
    payload = {
        "iss": "app",
        "sub": "ops@revops.example",
        "aud": "https://fake-login.salesforce.com",
        "exp": str(int(time.time()) + 180),
    } | claims
    return jwt.encode(payload, pem_key(), algorithm="RS256")


def test_jwt_login_through_simple_salesforce_reaches_the_instance() -> None:
    org = FakeOrg.with_standard_objects()
    org.insert("Account", {"Name": "Acme"})

    sf = jwt_login(org)

    assert sf.sf_instance == "revops-demo.my.salesforce.com"
    assert sf.query("SELECT Name FROM Account")["records"][0]["Name"] == "Acme"
    assert org.auth.logins == 1


def test_token_response_has_the_oauth_fields(org: FakeOrg) -> None:
    response = org.session().post(
        TOKEN_URL,
        data={
            "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
            "assertion": assertion(),
        },
    )

    body = response.json()
    assert response.status_code == 200
    assert body["instance_url"] == "https://revops-demo.my.salesforce.com"
    assert body["token_type"] == "Bearer"
    assert body["id"].startswith("https://fake-login.salesforce.com/id/00D")
    assert body["access_token"].startswith("00D")
    assert body["issued_at"].isdigit() and base64.b64decode(body["signature"])
    assert "Sforce-Limit-Info" not in response.headers
    assert org.api_usage == 0


@pytest.mark.parametrize(
    ("claims", "error"),
    [
        ({"aud": "https://elsewhere.example.com"}, "audience is invalid"),
        ({"exp": str(int(time.time()) - 3600)}, "expired assertion"),
        ({"iss": ""}, "client identifier invalid"),
        ({"sub": ""}, "invalid user"),
    ],
)
def test_jwt_claims_are_checked(org: FakeOrg, claims: dict[str, str], error: str) -> None:
    response = org.session().post(
        TOKEN_URL,
        data={
            "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
            "assertion": assertion(**claims),
        },
    )

    assert response.status_code == 400
    assert response.json()["error_description"] == error


def test_garbage_assertion_and_unknown_grant_are_rejected(org: FakeOrg) -> None:
    session = org.session()
    garbage = session.post(
        TOKEN_URL,
        data={"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": "a.b"},
    )
    unknown = session.post(TOKEN_URL, data={"grant_type": "urn:example:unknown"})

    assert garbage.json() == {"error": "invalid_grant", "error_description": "invalid assertion"}
    assert unknown.json()["error"] == "unsupported_grant_type"


def test_configured_consumer_key_and_usernames_are_enforced(org: FakeOrg) -> None:
    org.consumer_key = "the-real-app"
    org.allowed_usernames = {"ops@revops.example"}

    with pytest.raises(SalesforceAuthenticationFailed) as wrong_app:
        jwt_login(org, consumer_key="another-app")
    with pytest.raises(SalesforceAuthenticationFailed) as wrong_user:
        jwt_login(org, username="intruder@revops.example", consumer_key="the-real-app")

    assert wrong_app.value.code == "invalid_client_id"
    assert wrong_user.value.code == "invalid_grant"
    assert (
        jwt_login(org, consumer_key="the-real-app").query("SELECT Id FROM Account")["totalSize"]
        == 1
    )


def test_login_user_id_is_the_user_with_that_username(org: FakeOrg) -> None:
    user_id = org.add_user("Ops", "ops@revops.example", username="ops@revops.example")

    body = (
        org.session()
        .post(
            TOKEN_URL,
            data={
                "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
                "assertion": assertion(),
            },
        )
        .json()
    )

    assert body["id"].endswith("/" + user_id)


def test_password_grant_is_accepted(org: FakeOrg) -> None:
    sf = Salesforce(
        username="ops@revops.example",
        password="pw",
        consumer_key="app",
        consumer_secret="secret",
        domain="fake-login",
        session=org.session(),
    )

    assert sf.query("SELECT COUNT() FROM Account")["totalSize"] == 1


def test_data_calls_without_a_valid_token_get_invalid_session_id(org: FakeOrg) -> None:
    url = f"{org.instance_url}/services/data/v62.0/query"
    session = org.session()

    missing = session.get(url, params={"q": "SELECT Id FROM Account"})
    wrong = session.get(
        url, params={"q": "SELECT Id FROM Account"}, headers={"Authorization": "Bearer nope"}
    )

    for response in (missing, wrong):
        assert response.status_code == 401
        assert response.json() == [
            {"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}
        ]


def test_expired_session_raises_and_a_new_login_works(org: FakeOrg) -> None:
    direct = Salesforce(
        instance_url=org.instance_url,
        session_id=org.issue_token(),
        session=org.session(),
        version="62.0",
    )
    assert direct.query("SELECT Id FROM Account")["totalSize"] == 1

    org.expire_session()

    with pytest.raises(SalesforceExpiredSession) as expired:
        direct.query("SELECT Id FROM Account")
    assert expired.value.content[0]["errorCode"] == "INVALID_SESSION_ID"
    assert jwt_login(org).query("SELECT Id FROM Account")["totalSize"] == 1


def test_client_logs_in_again_by_itself_after_expiry(org: FakeOrg) -> None:
    sf = org.client()
    sf.query("SELECT Id FROM Account")

    org.expire_session()
    result = sf.query("SELECT Id FROM Account")

    assert result["totalSize"] == 1
    assert org.auth.logins == 2
    assert org.calls["query"] == 3  # the 401, its retry, and the first query


def test_client_without_a_salesforce_login_host_gets_a_direct_token() -> None:
    org = FakeOrg(login_url="https://auth.example.test")
    org.declare_object("Widget__c", {"Size__c": "int"})
    org.insert("Widget__c", {"Size__c": 3})

    sf = org.client()

    assert sf.query("SELECT Size__c FROM Widget__c")["records"][0]["Size__c"] == 3


def test_install_routes_transport_sessions_to_the_org(org: FakeOrg) -> None:
    org.install()
    try:
        sf = Salesforce(
            username="ops@revops.example",
            consumer_key="app",
            privatekey=pem_key(),
            domain="fake-login",
            session=transport.new_session(),
            version="62.0",
        )
        assert sf.query("SELECT Name FROM Account")["records"][0]["Name"] == "Acme"
    finally:
        org.uninstall()

    assert transport.new_session().get_adapter(org.instance_url + "/x") is not org.adapter()
    assert transport.new_session().get_adapter(org.login_url + "/x") is not org.adapter()


def test_context_manager_installs_and_uninstalls(org: FakeOrg) -> None:
    with org:
        response = transport.new_session().get(f"{org.instance_url}/services/data/")
        assert response.status_code == 200
        assert {
            "label": "Winter '25",
            "url": "/services/data/v62.0",
            "version": "62.0",
        } in response.json()
    assert org._installed is False


def test_session_mounts_both_urls(org: FakeOrg) -> None:
    session = org.session()

    assert session.get_adapter(org.instance_url + "/x") is org.adapter()
    assert session.get_adapter(org.login_url + "/x") is org.adapter()
    assert (
        json.loads(session.get(org.instance_url + "/services/data/").text)[-1]["version"] == "62.0"
    )
