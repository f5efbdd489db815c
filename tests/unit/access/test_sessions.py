"""The cookie and session module: signing, expiry, idle timeout, logout, login binding, redirects."""

from __future__ import annotations

from datetime import timedelta

import pytest

from local.fakes_common import ManualClock
from revops.access.sessions import (
    LOGIN_COOKIE,
    SESSION_COOKIE,
    CookieKeys,
    SessionManager,
    SignedIn,
    safe_next_path,
)
from revops.errors import ConfigurationError
from revops.store.access import AccessStore
from tests.unit.access.conftest import KEY

ANN = SignedIn("0055g0000000001AAA", "ann@example.com", "Ann Lee", "00D5g0000000001AAA", "")


def cookie(cookies: list[object], name: str = SESSION_COOKIE) -> str:
    return next(str(c).split(";")[0] for c in cookies if str(c).startswith(name + "="))


def test_a_new_session_is_recognised_from_its_cookie_and_holds_no_salesforce_token(
    sessions: SessionManager,
) -> None:
    identity, cookies = sessions.start(ANN)
    header = cookie(cookies)

    who = sessions.who([header])

    assert who is not None and who.user_id == ANN.user_id and who.username == ANN.username
    attributes = str(cookies[0])
    for part in ("Path=/", "HttpOnly", "Secure", "SameSite=Lax", "Max-Age=28800"):
        assert part in attributes
    assert header.startswith("__Host-revops_session=") and "@" not in header
    assert identity.csrf_token == who.csrf_token


def test_a_session_ends_after_its_lifetime_even_when_used(
    sessions: SessionManager, clock: ManualClock
) -> None:
    _, cookies = sessions.start(ANN)
    header = cookie(cookies)
    for _ in range(15):  # used every half hour for 7.5 hours
        clock.advance(1800)
        assert sessions.who([header]) is not None
    clock.advance(1800)

    assert sessions.who([header]) is None


def test_a_session_ends_after_an_idle_hour(sessions: SessionManager, clock: ManualClock) -> None:
    _, cookies = sessions.start(ANN)
    clock.advance(3599)
    assert sessions.who([cookie(cookies)]) is not None
    clock.advance(3601)

    assert sessions.who([cookie(cookies)]) is None


def test_logout_ends_the_session_on_the_server(sessions: SessionManager) -> None:
    identity, cookies = sessions.start(ANN)

    cleared = sessions.end(identity)

    assert sessions.who([cookie(cookies)]) is None
    assert "Max-Age=0" in str(cleared[0])


@pytest.mark.parametrize(
    "forge",
    [
        lambda v: v[:-2] + ("AA" if not v.endswith("AA") else "BB"),  # signature
        lambda v: v.replace("=", "=X", 1),  # session id
        lambda v: v.replace(".", ".1", 1),  # expiry
        lambda v: v + ".extra",
        lambda v: "",
    ],
)
def test_a_tampered_cookie_is_nobody(sessions: SessionManager, forge: object) -> None:
    _, cookies = sessions.start(ANN)
    header = cookie(cookies)

    assert sessions.who([forge(header)]) is None  # type: ignore[operator]


def test_a_rotated_key_still_accepts_cookies_signed_with_the_previous_one(
    store: AccessStore, clock: ManualClock
) -> None:
    old = SessionManager(store, CookieKeys.from_secret({"key": KEY}), clock=clock)
    _, cookies = old.start(ANN)
    rotated = CookieKeys.from_secret({"key": "n" * 40, "previous": KEY})
    new = SessionManager(store, rotated, clock=clock)
    gone = SessionManager(store, CookieKeys.from_secret({"key": "n" * 40}), clock=clock)

    assert new.who([cookie(cookies)]) is not None
    assert gone.who([cookie(cookies)]) is None


def test_a_short_key_is_refused() -> None:
    with pytest.raises(ConfigurationError):
        CookieKeys.from_secret({"key": "short"})
    with pytest.raises(ConfigurationError):
        SessionManager(None, CookieKeys.from_secret({"key": KEY}), lifetime=timedelta(hours=9))  # type: ignore[arg-type]


def test_a_pending_login_works_once_within_ten_minutes_from_the_browser_that_began_it(
    sessions: SessionManager, clock: ManualClock
) -> None:
    first = sessions.begin_login("/d/a005g0000000001AAA")
    second = sessions.begin_login("/")
    browser = [cookie([first.cookie], LOGIN_COOKIE)]
    other = [cookie([second.cookie], LOGIN_COOKIE)]

    assert sessions.take_login(first.state, other) is None  # another browser's cookie
    assert sessions.take_login(first.state, []) is None
    taken = sessions.take_login(first.state, browser)
    assert taken is not None and taken.next_path == "/d/a005g0000000001AAA"
    assert taken.verifier == first.verifier
    assert sessions.take_login(first.state, browser) is None  # once
    clock.advance(601)
    assert sessions.take_login(second.state, other) is None  # expired


def test_signing_in_again_replaces_the_session(sessions: SessionManager) -> None:
    _, before = sessions.start(ANN)

    _, after = sessions.start(ANN, [cookie(before)])

    assert sessions.who([cookie(before)]) is None
    assert sessions.who([cookie(after)]) is not None


def test_csrf_tokens_belong_to_their_session(sessions: SessionManager) -> None:
    ann, _ = sessions.start(ANN)
    bob, _ = sessions.start(SignedIn("0055g0000000002AAA", "bob@example.com", "Bob", "00D", ""))

    assert sessions.csrf_ok(ann, ann.csrf_token)
    assert not sessions.csrf_ok(ann, bob.csrf_token)
    assert not sessions.csrf_ok(ann, None)


@pytest.mark.parametrize(
    ("candidate", "expected"),
    [
        ("/d/a005g0000000001AAA", "/d/a005g0000000001AAA"),
        ("/dashboards/velocity/index.html?x=1", "/dashboards/velocity/index.html?x=1"),
        ("https://evil.example/", "/"),
        ("//evil.example", "/"),
        ("/\\evil.example", "/"),
        ("/%2F%2Fevil.example", "/"),
        ("/%5cevil.example", "/"),
        ("javascript:alert(1)", "/"),
        ("/ok\r\nSet-Cookie: x=1", "/"),
        ("", "/"),
        (None, "/"),
        ("/" + "a" * 3000, "/"),
    ],
)
def test_only_relative_paths_on_our_host_are_returned_to(
    candidate: str | None, expected: str
) -> None:
    assert safe_next_path(candidate) == expected
