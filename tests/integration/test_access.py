"""Documents and dashboards behind Salesforce sign-in, through API Gateway's contract.

The docs host (`DocsHttpApi`) runs in-process (`LocalHttpApi`): the real
sign-in, document and dashboard functions with template.yaml's environment,
the fake org's login page, token, userinfo and revoke endpoints, sharing and
`UserRecordAccess`, and moto's S3 and DynamoDB. `WebClient` is the browser.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
import requests

from local import demo_access
from local.demo_access import AVERY, BLAKE, CASEY, DREW, PASSWORD, Person, SeededDocument
from local.http_api import LocalHttpApi
from local.stack import LOCAL_DOCS_BASE_URL, LocalStack
from local.web_client import Visit, WebClient
from revops.access import wiring
from revops.integrations import transport
from revops.store.access import AccessStore, AuditItem, AuditStore, LoginItem

LOGIN = "https://fake-login.salesforce.com/services/oauth2/authorize"
S3 = "https://revops-local-backupbucket.s3.amazonaws.com/"
FILES = [
    ("Acme Corp", "Contract 2025.pdf", b"%PDF-1.7 acme contract " + bytes(range(256)) * 40),
    ("Acme Corp", "Résumé 東京 «final».pdf", "%PDF unicode name ✓".encode()),
    ("Globex", "Invoice 7.pdf", b"%PDF globex invoice"),
]


@dataclass
class Docs:
    stack: LocalStack
    api: LocalHttpApi
    people: demo_access.People
    documents: list[SeededDocument]

    def browser(self) -> WebClient:
        return WebClient(transport.new_session())

    def sign_in(self, person: Person, path: str = "/") -> tuple[WebClient, Visit]:
        client = self.browser()
        login = client.go(LOCAL_DOCS_BASE_URL + path)
        assert login.url.startswith(LOGIN) and "<form" in login.text
        return client, client.log_in(login, person.username, PASSWORD, stop_at=(S3,))

    def open(self, client: WebClient, document: SeededDocument) -> Visit:
        return client.go(document.link, stop_at=(S3,))

    def audit(self) -> list[AuditItem]:
        AuditStore(self.stack.physical_name("AccessAuditTable"), "us-east-1")  # binds the model
        return sorted(AuditItem.scan(), key=lambda item: item.sk)


@pytest.fixture
def docs(stack: LocalStack) -> Iterator[Docs]:
    wiring.checker.cache_clear()
    people = demo_access.set_up_people(stack.org)
    documents = demo_access.seed_documents(stack, FILES, LOCAL_DOCS_BASE_URL)
    globex = documents[2].account_id
    demo_access.share_documents(
        stack.org, people, {d.record_id: d.record_id for d in documents}, globex
    )
    api = LocalHttpApi(stack, "DocsHttpApi", LOCAL_DOCS_BASE_URL).install()
    try:
        yield Docs(stack, api, people, documents)
    finally:
        api.uninstall()


def presigned(visit: Visit) -> dict[str, str]:
    location = visit.response.headers["Location"]
    assert location.startswith(S3), location
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def test_a_click_while_signed_out_goes_to_salesforce_and_straight_back_to_the_document(
    docs: Docs,
) -> None:
    contract = docs.documents[0]
    client = docs.browser()

    login = client.go(contract.link)
    landed = client.log_in(login, AVERY.username, PASSWORD, stop_at=(S3,))

    assert landed.status == 302
    params = presigned(landed)
    assert params["X-Amz-Expires"] == "60"
    assert params["response-content-disposition"] == (
        "attachment; filename=\"Contract 2025.pdf\"; filename*=UTF-8''Contract%202025.pdf"
    )
    assert params["response-content-type"] == "application/pdf"
    body = requests.get(landed.response.headers["Location"], timeout=10).content
    assert hashlib.sha256(body).hexdigest() == contract.sha256
    assert docs.stack.org.web.logins == 1


def test_a_non_ascii_file_name_is_sent_in_rfc_5987_form(docs: Docs) -> None:
    client, _ = docs.sign_in(AVERY)

    params = presigned(docs.open(client, docs.documents[1]))

    disposition = params["response-content-disposition"]
    fallback = re.search(r'filename="([^"]*)"', disposition)
    assert fallback is not None and fallback.group(1).isascii()
    encoded = disposition.split("filename*=UTF-8''", 1)[1]
    assert unquote(encoded) == "Résumé 東京 «final».pdf"


def test_a_user_salesforce_does_not_share_with_is_refused_with_a_page_naming_the_record(
    docs: Docs,
) -> None:
    client, _ = docs.sign_in(BLAKE)

    refused = docs.open(client, docs.documents[0])

    assert refused.status == 403
    assert refused.response.headers["Content-Type"].startswith("text/html")
    assert docs.documents[0].record_id in refused.text
    assert "your Salesforce administrator" in refused.text
    outcomes = [(a.username, a.outcome, a.reason) for a in docs.audit() if a.action == "open"]
    assert outcomes == [(BLAKE.username, "refused", "no read access")]


def test_a_share_granted_in_salesforce_works_on_the_next_click(docs: Docs) -> None:
    client, _ = docs.sign_in(BLAKE)
    assert docs.open(client, docs.documents[0]).status == 403

    docs.stack.org.sharing.share(docs.documents[0].record_id, docs.people.id(BLAKE))

    assert docs.open(client, docs.documents[0]).status == 302


def test_group_and_role_hierarchy_shares_open_exactly_the_shared_documents(docs: Docs) -> None:
    drew, _ = docs.sign_in(DREW)
    casey, _ = docs.sign_in(CASEY)

    assert [docs.open(drew, d).status for d in docs.documents] == [403, 403, 302]
    assert [docs.open(casey, d).status for d in docs.documents] == [302, 302, 302]


def test_a_deactivated_user_is_refused_and_signed_out(docs: Docs) -> None:
    client, _ = docs.sign_in(DREW)
    assert docs.open(client, docs.documents[2]).status == 302

    docs.stack.org.update("User", docs.people.id(DREW), {"IsActive": False})
    refused = docs.open(client, docs.documents[0])
    after = client.go(docs.documents[2].link, stop_at=(S3,))

    assert refused.status == 403 and "not active" in refused.text
    assert after.url.startswith(LOGIN)  # the session ended server side
    login_again = docs.browser().go(LOCAL_DOCS_BASE_URL + "/")
    retry = docs.browser().log_in(login_again, DREW.username, PASSWORD)
    assert "check your username and password" in retry.text  # Salesforce refuses the login


def test_a_deleted_record_and_a_missing_file_are_not_found_pages(docs: Docs) -> None:
    client, _ = docs.sign_in(CASEY)
    docs.stack.org.delete("DocListEntry__c", docs.documents[0].record_id)
    docs.stack.client("s3").delete_object(
        Bucket=docs.stack.physical_name("BackupBucket"), Key=docs.documents[1].key
    )

    deleted = docs.open(client, docs.documents[0])
    missing = docs.open(client, docs.documents[1])
    nonsense = client.go(LOCAL_DOCS_BASE_URL + "/d/not-an-id")

    assert deleted.status == 404 and "deleted" in deleted.text
    assert missing.status == 404 and "file is missing" in missing.text
    assert nonsense.status == 404 and "nothing here" in nonsense.text


def test_salesforce_unreachable_is_a_try_again_page_with_503(docs: Docs) -> None:
    client, _ = docs.sign_in(CASEY)
    docs.stack.org.fail_nth_call(1, 503, "SERVER_UNAVAILABLE")

    answer = docs.open(client, docs.documents[0])

    assert answer.status == 503
    assert "Try again" in answer.text and answer.response.headers["Retry-After"] == "30"
    assert docs.open(client, docs.documents[0]).status == 302


def test_dashboards_load_after_sign_in_for_permitted_users_only(docs: Docs) -> None:
    s3 = docs.stack.client("s3")
    bucket = docs.stack.physical_name("DashboardsBucket")
    s3.put_object(
        Bucket=bucket,
        Key="migration/status.html",
        Body=b"<!doctype html><title>Migration status</title><h1>File migration status</h1>",
        ContentType="text/html; charset=utf-8",
    )
    s3.put_object(Bucket=bucket, Key="velocity/boca_velocity_history.json", Body=b"{}")
    path = "/dashboards/migration/status.html"

    signed_out = docs.browser().go(LOCAL_DOCS_BASE_URL + path)
    casey, page = docs.sign_in(CASEY, path)
    avery, refused = docs.sign_in(AVERY, path)
    history = casey.go(LOCAL_DOCS_BASE_URL + "/dashboards/velocity/boca_velocity_history.json")

    assert signed_out.url.startswith(LOGIN)
    assert page.status == 200 and "File migration status" in page.text
    assert "script-src 'unsafe-inline'" in page.response.headers["Content-Security-Policy"]
    assert refused.status == 403 and "Revops_Dashboards" in refused.text
    assert history.response.headers["Content-Disposition"].startswith("attachment")
    home = casey.go(LOCAL_DOCS_BASE_URL + "/")
    assert 'href="/dashboards/velocity/index.html"' in home.text
    assert "/dashboards/" not in avery.go(LOCAL_DOCS_BASE_URL + "/").text.split("<main>")[1]


def _csrf(home: Visit) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', home.text)
    assert found is not None
    return found.group(1)


def test_logout_is_a_post_with_the_csrf_token_and_ends_the_session_server_side(
    docs: Docs,
) -> None:
    client, home = docs.sign_in(AVERY)
    session_cookie = dict(client.cookies[urlsplit(LOCAL_DOCS_BASE_URL).netloc])
    logout = LOCAL_DOCS_BASE_URL + "/auth/logout"

    no_token = client.go(logout, method="POST", data={})
    other_origin = client.go(
        logout,
        method="POST",
        data={"csrf": _csrf(home)},
        headers={"Origin": "https://evil.example"},
    )
    by_get = client.go(logout)
    still_in = docs.open(client, docs.documents[0])
    out = client.go(logout, method="POST", data={"csrf": _csrf(home)})
    replayed = docs.browser()
    replayed.cookies[urlsplit(LOCAL_DOCS_BASE_URL).netloc] = session_cookie
    after = replayed.go(docs.documents[0].link, stop_at=(S3,))

    assert no_token.status == 403 and other_origin.status == 403
    assert by_get.url.startswith(LOGIN) is False and by_get.status in (200, 404)
    assert still_in.status == 302
    assert out.status == 200 and "signed out" in out.text
    assert after.url.startswith(LOGIN)


def test_tampered_and_expired_cookies_are_signed_out(docs: Docs) -> None:
    from local.stack import local_secret_values
    from revops.access.sessions import SESSION_COOKIE, CookieKeys

    client, _ = docs.sign_in(AVERY)
    host = urlsplit(LOCAL_DOCS_BASE_URL).netloc
    value = client.cookies[host][SESSION_COOKIE]
    session_id, expiry, signature = value.split(".")
    keys = CookieKeys.from_secret(local_secret_values()["SessionKeySecret"])
    forged_expiry = str(int(expiry) - 9 * 3600)
    expired = f"{session_id}.{forged_expiry}.{keys.sign(f'session|{session_id}|{forged_expiry}')}"
    variants = {
        "tampered": f"{session_id[:-1]}{'A' if session_id[-1] != 'A' else 'B'}.{expiry}.{signature}",
        "longer": f"{session_id}.{int(expiry) + 3600}.{signature}",
        "expired": expired,
    }
    for name, forged in variants.items():
        browser = docs.browser()
        browser.cookies[host] = {SESSION_COOKIE: forged}
        assert browser.go(docs.documents[0].link).url.startswith(LOGIN), name


def test_no_session_fixation_a_cookie_set_before_sign_in_is_never_the_session(
    docs: Docs,
) -> None:
    from revops.access.sessions import SESSION_COOKIE

    host = urlsplit(LOCAL_DOCS_BASE_URL).netloc
    client = docs.browser()
    client.cookies[host] = {SESSION_COOKIE: "attacker-chosen.9999999999.c2lnbmF0dXJl"}

    login = client.go(docs.documents[0].link)
    landed = client.log_in(login, AVERY.username, PASSWORD, stop_at=(S3,))

    assert landed.status == 302
    assert client.cookies[host][SESSION_COOKIE].split(".")[0] != "attacker-chosen"


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/x",
        "/\\evil.example",
        "/%2F%2Fevil.example",
        "javascript:alert(1)",
    ],
)
def test_sign_in_returns_only_to_a_relative_path_on_our_host(docs: Docs, target: str) -> None:
    client = docs.browser()
    login = client.go(
        f"{LOCAL_DOCS_BASE_URL}/auth/login?next={requests.utils.quote(target, safe='')}"
    )

    landed = client.log_in(login, AVERY.username, PASSWORD)

    assert landed.url == LOCAL_DOCS_BASE_URL + "/"
    assert landed.status == 200 and "signed in" in landed.text.lower()


def _start_sign_in(client: WebClient) -> tuple[Visit, dict[str, str]]:
    start = client.go(LOCAL_DOCS_BASE_URL + "/auth/login?next=%2F", stop_at=(LOGIN,))
    query = {
        k: v[0] for k, v in parse_qs(urlsplit(start.response.headers["Location"]).query).items()
    }
    return start, query


def _code_for(docs: Docs, client: WebClient) -> tuple[str, str]:
    """Run the Salesforce side of a sign-in; (code, state) of the callback, not yet visited."""
    start, query = _start_sign_in(client)
    page = client.go(start.response.headers["Location"])
    callback = client.log_in(page, AVERY.username, PASSWORD, stop_at=(LOCAL_DOCS_BASE_URL,))
    answer = {
        k: v[0] for k, v in parse_qs(urlsplit(callback.response.headers["Location"]).query).items()
    }
    assert answer["state"] == query["state"]
    return answer["code"], answer["state"]


def test_a_wrong_missing_or_replayed_state_fails_the_sign_in(docs: Docs) -> None:
    client = docs.browser()
    code, state = _code_for(docs, client)
    callback = LOCAL_DOCS_BASE_URL + "/auth/callback"

    wrong = client.go(f"{callback}?code={code}&state=not-{state}")
    missing = client.go(f"{callback}?code={code}")
    other_browser = docs.browser().go(f"{callback}?code={code}&state={state}")
    good = client.go(f"{callback}?code={code}&state={state}")
    replayed = client.go(f"{callback}?code={code}&state={state}")

    for failed in (wrong, missing, other_browser, replayed):
        assert failed.status == 400 and "expired" in failed.text
    assert good.status == 200 and good.url == LOCAL_DOCS_BASE_URL + "/"


def test_a_wrong_pkce_verifier_fails_the_sign_in(docs: Docs) -> None:
    client = docs.browser()
    _, query = _start_sign_in(client)
    AccessStore(docs.stack.physical_name("AccessTable"), "us-east-1")  # binds the model
    item = LoginItem.get(f"LOGIN#{hashlib.sha256(query['state'].encode()).hexdigest()}", "LOGIN")
    item.update(actions=[LoginItem.verifier.set("x" * 64)])  # the verifier no longer matches
    page = client.go(LOGIN + "?" + requests.compat.urlencode(query))
    answer = client.log_in(page, AVERY.username, PASSWORD)

    assert answer.status == 400
    assert "invalid_request" in answer.text  # Salesforce's answer to a verifier that does not match
    docs_cookies = client.cookies.get(urlsplit(LOCAL_DOCS_BASE_URL).netloc, {})
    assert "__Host-revops_session" not in docs_cookies  # no session came of it


def test_cancelling_at_salesforce_shows_a_page_not_an_error(docs: Docs) -> None:
    client = docs.browser()
    page = client.go(docs.documents[0].link)
    fields = dict(re.findall(r"<input type=hidden name='([^']+)' value='([^']*)'>", page.text))
    cancelled = client.go(page.url.split("?")[0], method="POST", data=fields | {"action": "cancel"})

    assert cancelled.status == 400 and "cancelled" in cancelled.text


def test_more_opens_a_minute_than_allowed_get_a_page_asking_to_wait(docs: Docs) -> None:
    from tests.integration.test_admin_api import set_env

    set_env(docs.stack, "OpenDocumentFunction", DOCUMENT_OPENS_PER_MINUTE="3")
    client, _ = docs.sign_in(CASEY)

    visits = [docs.open(client, docs.documents[0]) for _ in range(7)]

    # Counted per calendar minute: seven opens span at most two minutes, so one
    # minute holds four or more of them, whenever the test runs.
    answers = [v.status for v in visits]
    assert answers[:3] == [302, 302, 302]
    assert 429 in answers and set(answers) == {302, 429}
    waiting = next(v for v in visits if v.status == 429)
    assert "opened a lot of documents" in waiting.text
    assert waiting.response.headers["Retry-After"] == "60"


def test_every_route_answers_a_signed_out_person_with_the_login_only(docs: Docs) -> None:
    from local.http_api import http_routes

    examples = {
        "/": "/",
        "/d/{recordId}": docs.documents[0].link.removeprefix(LOCAL_DOCS_BASE_URL),
        "/dashboards/{section}/{name}": "/dashboards/velocity/index.html",
        "/auth/login": "/auth/login",
        "/auth/logout": "/auth/logout",
        "/auth/callback": "/auth/callback",
        "/auth/signed-out": "/auth/signed-out",
        "$default": "/anything/else?x=1",
    }
    routes = http_routes(docs.stack, "DocsHttpApi")
    assert {r.path for r in routes} == set(examples)
    for route in routes:
        method = "GET" if route.method == "ANY" else route.method
        visit = docs.browser().go(LOCAL_DOCS_BASE_URL + examples[route.path], method=method)
        if route.path in ("/auth/callback", "/auth/signed-out", "/auth/logout"):
            assert 'href="/auth/login?next=' in visit.text, route.path  # sign-in pages only
            assert "Contract" not in visit.text and "status" not in visit.text.lower()
        else:
            assert visit.url.startswith(LOGIN) and "<form" in visit.text, route.path


def test_every_page_carries_hsts_and_the_security_headers(docs: Docs) -> None:
    client, home = docs.sign_in(BLAKE)
    pages = [
        home.response,
        docs.open(client, docs.documents[0]).response,
        client.go(LOCAL_DOCS_BASE_URL + "/nope").response,
        docs.browser().go(LOCAL_DOCS_BASE_URL + "/auth/signed-out").response,
    ]
    for response in pages:
        headers = response.headers
        assert headers["Strict-Transport-Security"].startswith("max-age=63072000")
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["Referrer-Policy"] == "same-origin"
        assert headers["Cache-Control"] == "no-store"


def test_the_status_function_says_who_opened_an_accounts_documents(docs: Docs) -> None:
    avery, _ = docs.sign_in(AVERY)
    blake, _ = docs.sign_in(BLAKE)
    docs.open(avery, docs.documents[0])
    docs.open(avery, docs.documents[1])
    docs.open(blake, docs.documents[0])
    today = datetime.now(UTC).date()  # audit times are UTC; a day either side of now

    answer, error = docs.stack.invoke(
        "MigrationStatusFunction",
        {
            "view": "access",
            "accountId": docs.documents[0].account_id,
            "since": (today - timedelta(days=1)).isoformat(),
            "until": (today + timedelta(days=2)).isoformat(),
        },
    )

    assert error is None, answer
    report: dict[str, Any] = answer["access"]
    assert report["opens"] == 2 and report["refusals"] == 1
    people = {p["username"]: p for p in report["people"]}
    assert people[AVERY.username]["opens"] == 2 and people[AVERY.username]["documents"] == 2
    assert people[BLAKE.username]["refusals"] == 1
    assert {e["recordId"] for e in report["events"]} == {d.record_id for d in docs.documents[:2]}
