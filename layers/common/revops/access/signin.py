"""Sign-in and sign-out with Salesforce, the home page, and every other path.

* `GET /auth/login?next=/d/...`: starts the OAuth 2.0 web server flow with
  PKCE (`sessions.begin_login` makes the state, the verifier and the browser
  binding) and sends the browser to Salesforce's authorize endpoint.
* `GET /auth/callback?code&state`: takes the pending login (once, from the
  browser that started it, within 10 minutes), exchanges the code with the
  verifier and the connected app's secret, reads `userinfo`, revokes the
  Salesforce token at once (we keep none), checks the user belongs to our org
  and is active, starts a new session and returns to `next`: a relative path
  on our host, nothing else (`sessions.safe_next_path`).
* `POST /auth/logout`: with the session's CSRF token, and from our own origin
  when the browser says where it comes from; ends the session server side.
* `GET /auth/signed-out`, `GET /`: the signed-out page and the home page.
* anything else (API Gateway's `$default` route): the login when signed out,
  a not-found page when signed in.
"""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query

from revops.access import web
from revops.access.audit import AccessEvent
from revops.access.errors import AccessRefusedError, CsrfRejectedError, SignInFailedError
from revops.access.sessions import SignedIn
from revops.access.settings import AccessSettings
from revops.access.wiring import Services
from revops.integrations.salesforce_oauth import SignInRejectedError, code_challenge

app = web.new_app()
CALLBACK_PATH = "/auth/callback"
SIGNED_OUT_PATH = "/auth/signed-out"


def callback_url() -> str:
    return web.base_url(app, web.services(app).settings.docs_base_url) + CALLBACK_PATH


def _event(action: str, outcome: str, reason: str | None = None, **fields: Any) -> AccessEvent:
    return web.access_event(app, action, None, outcome, reason, **fields)


@app.get("/auth/login")
def login(
    next_path: Annotated[str | None, Query(alias="next", max_length=2048)] = None,
) -> Response[str]:
    svc = web.services(app)
    start = svc.sessions.begin_login(next_path or "/")
    url = svc.oauth.authorize_url(
        redirect_uri=callback_url(), state=start.state, challenge=code_challenge(start.verifier)
    )
    return web.redirect(url, [start.cookie])


@app.get(CALLBACK_PATH)
def callback(
    code: Annotated[str | None, Query(max_length=1024)] = None,
    state: Annotated[str | None, Query(max_length=256)] = None,
    error: Annotated[str | None, Query(max_length=256)] = None,
) -> Response[str]:
    svc = web.services(app)
    pending = svc.sessions.take_login(state or "", web.cookies_of(app))
    if pending is None:
        svc.audit.record(_event("sign_in", "failed", "unknown or stale state"))
        raise SignInFailedError("stale", "no pending sign-in for this state in this browser")
    web.remember(app, next=pending.next_path)
    if error or not code:
        reason = "cancelled" if error == "access_denied" else "failed"
        svc.audit.record(_event("sign_in", "failed", f"salesforce: {error or 'no code'}"))
        raise SignInFailedError(reason, f"Salesforce answered {error or 'without a code'}")
    try:
        tokens = svc.oauth.exchange(code, pending.verifier, callback_url())
    except SignInRejectedError as exc:
        svc.audit.record(_event("sign_in", "failed", f"token: {exc.error}"))
        raise SignInFailedError("failed", str(exc), exc.error) from exc
    try:
        info = svc.oauth.userinfo(tokens.access_token)
    finally:
        svc.oauth.revoke(tokens.access_token)
    who = {"user_id": info.user_id, "username": info.username}
    if info.organization_id[:15] != svc.checker.org_id()[:15]:
        svc.audit.record(_event("sign_in", "failed", "another org", **who))
        raise SignInFailedError("org", "the user belongs to another Salesforce org")
    if not info.active:
        svc.audit.record(_event("sign_in", "failed", "user inactive", **who))
        raise SignInFailedError("inactive", "the Salesforce user is inactive")
    user = SignedIn(
        info.user_id, info.username, info.name, info.organization_id, tokens.instance_url
    )
    _, cookies = svc.sessions.start(user, web.cookies_of(app))
    svc.audit.record(_event("sign_in", "allowed", **who))
    return web.redirect(pending.next_path, cookies)


@app.post("/auth/logout")
def logout() -> Response[str]:
    svc = web.services(app)
    identity = web.who(app)
    if identity is None:
        return web.redirect(SIGNED_OUT_PATH, svc.sessions.cleared(), 303)
    origin = web.header(app, "origin")
    ours = web.base_url(app, svc.settings.docs_base_url)
    if (origin and origin != ours) or not svc.sessions.csrf_ok(identity, web.form(app).get("csrf")):
        svc.audit.record(
            _event(
                "sign_out", "refused", "csrf", user_id=identity.user_id, username=identity.username
            )
        )
        raise CsrfRejectedError("logout without the session's token, or from another origin")
    cookies = svc.sessions.end(identity)
    svc.checker.forget(identity.session_hash)
    svc.audit.record(
        _event("sign_out", "allowed", user_id=identity.user_id, username=identity.username)
    )
    return web.redirect(SIGNED_OUT_PATH, cookies, 303)


@app.get(SIGNED_OUT_PATH)
def signed_out() -> Response[str]:
    return web.page(app, "signed_out", identity=None)


@app.get("/")
def home() -> Response[str]:
    svc = web.services(app)
    identity = web.who(app)
    if identity is None:
        return web.login_redirect("/")
    decision = svc.checker.dashboards(identity.session_hash, identity.user_id)
    if not decision.user.allowed:
        svc.sessions.end(identity)
        svc.checker.forget(identity.session_hash)
        event = _event("sign_in", "refused", "user inactive", user_id=identity.user_id)
        svc.audit.record(event)
        raise AccessRefusedError("inactive")
    return web.page(app, "home", dashboards=decision.permitted)


@app.not_found
def anything_else(exc: Exception) -> Response[str]:
    if web.who(app) is None:
        return web.login_redirect("/")
    return web.page(app, "not_found", 404, reason="path")


def handle(event: dict[str, Any], context: Any, services: Services | None = None) -> dict[str, Any]:
    return web.resolve(app, event, context, services or Services(AccessSettings.from_env()))
