"""The whole journey in Debian's chromium, over real HTTP on 127.0.0.1 (`local.http_front`).

A click on a stable link while signed out goes to the Salesforce login and
straight back to the document, which downloads with identical bytes and its
file name; a user Salesforce does not share the record with gets the refusal
page; a dashboard loads after sign-in and not before; a deactivated user is
refused; a presigned link used after it expires fails; sign-out ends it all.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from local import demo_access
from local.demo_access import AVERY, BLAKE, CASEY, DREW, PASSWORD, Person, SeededDocument
from local.demo_velocity import chromium, chromium_path
from local.http_front import HttpFront
from local.stack import LocalStack
from revops.access import wiring

pytestmark = pytest.mark.skipif(
    chromium_path() is None,
    reason="Debian's chromium is not installed: `make browser` installs it (CI does)",
)

FILES = [
    ("Acme Corp", "Contract 2025.pdf", b"%PDF-1.7 contract " + bytes(range(256)) * 64),
    ("Acme Corp", "Résumé 東京 «final».pdf", "%PDF résumé ✓".encode()),
    ("Globex", "Invoice 7.pdf", b"%PDF-1.7 invoice 7"),
]


class SkewedClock:
    """S3's clock, which a test can move forward (presigned links expire by it)."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        import time

        return time.time() + self.offset


@dataclass
class Site:
    stack: LocalStack
    front: HttpFront
    people: demo_access.People
    documents: list[SeededDocument]
    s3_clock: SkewedClock

    @property
    def login_prefix(self) -> str:
        return self.front.salesforce_url + "/services/oauth2/authorize"


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    logging.getLogger("moto").setLevel(logging.CRITICAL)
    clock = SkewedClock()
    with LocalStack() as stack:
        wiring.checker.cache_clear()
        people = demo_access.set_up_people(stack.org)
        with HttpFront(stack, s3_clock=clock) as front:
            documents = demo_access.seed_documents(stack, FILES, front.docs_url)
            demo_access.share_documents(
                stack.org,
                people,
                {d.record_id: d.record_id for d in documents},
                documents[2].account_id,
            )
            published, error = stack.invoke("MigrationStatusFunction", {"view": "publish"})
            assert error is None, published
            yield Site(stack, front, people, documents, clock)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    context = browser.new_context(accept_downloads=True)
    yield context
    context.close()


def console_errors(page: Any) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return errors


def log_in(page: Any, person: Person) -> None:
    page.fill("#username", person.username)
    page.fill("#password", PASSWORD)


def download(page: Any, action: Any) -> Any:
    with page.expect_download() as info:
        try:
            action()
        except Exception as exc:  # navigating straight into a download
            if "Download is starting" not in str(exc):
                raise
    return info.value


def test_a_signed_out_click_goes_to_the_login_and_back_and_the_document_downloads(
    site: Site, context: Any
) -> None:
    page = context.new_page()
    errors = console_errors(page)
    contract = site.documents[0]

    page.goto(contract.link)
    assert page.url.startswith(site.login_prefix)
    log_in(page, AVERY)
    file = download(page, lambda: page.click("#Login"))

    assert file.suggested_filename == "Contract 2025.pdf"
    with open(file.path(), "rb") as downloaded:
        assert hashlib.sha256(downloaded.read()).hexdigest() == contract.sha256
    assert file.url.startswith(site.front.s3_url + "/")
    unicode_file = download(page, lambda: page.goto(site.documents[1].link))
    assert unicode_file.suggested_filename == "Résumé 東京 «final».pdf"
    with open(unicode_file.path(), "rb") as downloaded:
        assert downloaded.read() == site.documents[1].body
    assert errors == []


def test_a_user_without_access_gets_the_refusal_page(site: Site, context: Any) -> None:
    page = context.new_page()
    errors = console_errors(page)  # chromium reports the page's own 403 as a failed load
    record = site.documents[0].record_id

    response = page.goto(site.documents[0].link)
    log_in(page, BLAKE)
    with page.expect_navigation():
        page.click("#Login")

    assert response is not None
    assert page.locator("#refused h2").inner_text() == "You don't have access to this document"
    assert page.locator("#record-id").inner_text() == record
    assert "your Salesforce administrator" in page.locator("#refused").inner_text()
    assert [e for e in errors if "status of 403" not in e] == []


def test_a_dashboard_loads_after_sign_in_and_not_before(site: Site, context: Any) -> None:
    page = context.new_page()
    errors = console_errors(page)
    status_page = site.front.docs_url + "/dashboards/migration/status.html"

    page.goto(status_page)
    assert page.url.startswith(site.login_prefix)
    assert "File migration status" not in page.content()
    log_in(page, CASEY)
    with page.expect_navigation():
        page.click("#Login")

    assert page.url == status_page
    assert page.locator("h1").inner_text() == "File migration status"
    page.goto(site.front.docs_url + "/")
    page.click("#status-link")
    assert page.url == status_page
    assert errors == []


def test_a_user_without_the_dashboard_permission_is_refused(site: Site, context: Any) -> None:
    page = context.new_page()
    page.goto(site.front.docs_url + "/dashboards/migration/status.html")
    log_in(page, AVERY)
    with page.expect_navigation():
        page.click("#Login")

    assert page.locator("#refused h2").inner_text() == "You don't have access to the dashboards"


def test_a_deactivated_user_is_refused(site: Site, context: Any) -> None:
    page = context.new_page()
    page.goto(site.front.docs_url + "/")
    log_in(page, DREW)
    with page.expect_navigation():
        page.click("#Login")
    assert page.locator("#signed-in-as").inner_text() == DREW.name
    drew = site.people.id(DREW)
    site.stack.org.update("User", drew, {"IsActive": False})
    try:
        page.goto(site.documents[0].link)

        assert page.locator("#refused h2").inner_text() == "Your Salesforce user is not active"
        page.goto(site.documents[2].link)  # signed out: back to the login, which refuses Drew
        assert page.url.startswith(site.login_prefix)
        log_in(page, DREW)
        page.click("#Login")
        assert "check your username and password" in page.locator("#error").inner_text()
    finally:
        site.stack.org.update("User", drew, {"IsActive": True})


def test_a_presigned_link_used_after_it_expires_fails(site: Site, context: Any) -> None:
    page = context.new_page()
    page.goto(site.front.docs_url + "/")
    log_in(page, CASEY)
    with page.expect_navigation():
        page.click("#Login")
    answer = context.request.get(site.documents[2].link, max_redirects=0)
    link = answer.headers["location"]
    assert answer.status == 302 and "X-Amz-Expires=60" in link

    site.s3_clock.offset = 61
    try:
        expired = page.goto(link)
        assert expired is not None and expired.status == 403
        assert "Request has expired" in page.content()
    finally:
        site.s3_clock.offset = 0
    fresh = context.request.get(link)
    assert fresh.status == 200 and fresh.body() == site.documents[2].body


def test_sign_out_ends_the_session(site: Site, context: Any) -> None:
    page = context.new_page()
    page.goto(site.front.docs_url + "/")
    log_in(page, AVERY)
    with page.expect_navigation():
        page.click("#Login")
    with page.expect_navigation():
        page.click("#sign-out")

    assert page.locator("#signed-out h2").inner_text() == "You're signed out of revops"
    site.stack.org.web.forget_browser_sessions()  # and out of Salesforce, so the login shows
    page.goto(site.documents[0].link)
    assert page.url.startswith(site.login_prefix)
