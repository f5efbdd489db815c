"""The docs host's functions with their `events/` files, as `sam local invoke -e` would run them,
and API Gateway's throttling of the docs host as template.yaml configures it."""

from __future__ import annotations

import pytest

from local.fakes_common import ManualClock
from local.http_api import LocalHttpApi
from local.stack import LOCAL_DOCS_BASE_URL, LocalStack
from tests.conftest import EVENTS, load_event

EXPECTED = {
    "sign_in_login.json": (
        "SignInFunction",
        302,
        "https://fake-login.salesforce.com/services/oauth2/authorize?",
    ),
    "sign_in_home_signed_out.json": ("SignInFunction", 302, "/auth/login?next=%2F"),
    "sign_in_callback_stale.json": ("SignInFunction", 400, None),
    "sign_in_unknown_path.json": ("SignInFunction", 302, "/auth/login?next=%2F"),
    "open_document_signed_out.json": (
        "OpenDocumentFunction",
        302,
        "/auth/login?next=%2Fd%2Fa005g0000000001AAA",
    ),
    "open_document_forged_cookie.json": (
        "OpenDocumentFunction",
        302,
        "/auth/login?next=%2Fd%2Fa005g0000000001AAA",
    ),
    "serve_dashboard_signed_out.json": (
        "ServeDashboardFunction",
        302,
        "/auth/login?next=%2Fdashboards%2Fvelocity%2Findex.html",
    ),
}


def test_every_docs_host_event_file_is_listed_here() -> None:
    on_disk = {
        p.name
        for prefix in ("sign_in_", "open_document_", "serve_dashboard_")
        for p in EVENTS.glob(f"{prefix}*.json")
    }
    assert on_disk == set(EXPECTED)


def test_the_docs_host_functions_run_from_their_event_files(stack: LocalStack) -> None:
    for name, (function, status, location) in EXPECTED.items():
        answer, error = stack.invoke(function, load_event(name))

        assert error is None, (name, answer)
        assert answer["statusCode"] == status, name
        headers = answer["headers"]
        assert headers["Strict-Transport-Security"].startswith("max-age="), name
        if location is None:
            assert headers["Content-Type"].startswith("text/html"), name
            assert "<!doctype html>" in answer["body"], name
        else:
            assert headers["Location"].startswith(location), name
    login, _ = stack.invoke("SignInFunction", load_event("sign_in_login.json"))
    assert [c.split("=")[0] for c in login["cookies"]] == ["__Host-revops_login"]
    assert all(a in login["cookies"][0] for a in ("HttpOnly", "Secure", "SameSite=Lax", "Path=/"))


@pytest.mark.parametrize("parameters", [{"DocsApiRateLimit": "2", "DocsApiBurstLimit": "4"}])
def test_the_docs_host_is_throttled_as_the_template_says(parameters: dict[str, str]) -> None:
    clock = ManualClock()
    with LocalStack(parameters=parameters) as stack:
        api = LocalHttpApi(stack, "DocsHttpApi", LOCAL_DOCS_BASE_URL, throttle=True, clock=clock)
        http = api.session()

        burst = [http.get(f"{LOCAL_DOCS_BASE_URL}/", allow_redirects=False) for _ in range(5)]
        clock.advance(1.0)  # two more tokens
        later = [http.get(f"{LOCAL_DOCS_BASE_URL}/", allow_redirects=False) for _ in range(3)]

    assert [r.status_code for r in burst] == [302, 302, 302, 302, 429]
    assert burst[-1].json() == {"message": "Too Many Requests"}
    assert [r.status_code for r in later] == [302, 302, 429]
