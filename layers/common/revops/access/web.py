"""HTTP plumbing shared by the sign-in, document and dashboard functions.

* `new_app()`: an `APIGatewayHttpResolver` whose errors are pages, mapped once:
  `SignInFailedError` → 400, `AccessRefusedError` → 403, `CsrfRejectedError` →
  403, `DocumentNotFoundError` and invalid paths → 404, `TooManyRequestsError`
  → 429, Salesforce unreachable or failing → 503 (a try-again page), anything
  else → 500 with the request id. A person never sees JSON, a stack trace or a
  bare status code.
* Every response carries HSTS and the usual security headers (OWASP ASVS
  V14.4): a CSP with no script or network access for our pages, no framing,
  no referrer, no caching, `nosniff`.
* `base_url()`: our public origin, from `DOCS_BASE_URL` (a custom domain) or
  from the domain API Gateway says it served (never from a client header).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, quote

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.shared.cookies import Cookie

from revops.access import pages
from revops.access.audit import AccessEvent
from revops.access.errors import (
    AccessRefusedError,
    CsrfRejectedError,
    DocumentNotFoundError,
    SignInFailedError,
    TooManyRequestsError,
)
from revops.access.links import check_base_url
from revops.access.sessions import Identity, clearing_cookies
from revops.errors import UpstreamError
from revops.observability import logger

if TYPE_CHECKING:
    from revops.access.wiring import Services

HTML = "text/html; charset=utf-8"
PAGE_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
DASHBOARD_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; "
    "form-action 'none'; frame-ancestors 'none'; base-uri 'none'"
)


def security_headers(csp: str = PAGE_CSP) -> dict[str, str]:
    return {
        "Strict-Transport-Security": "max-age=63072000; includeSubDomains",
        "Content-Security-Policy": csp,
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "same-origin",  # no referrer to other sites (S3, Salesforce); Origin kept for CSRF
        "Cache-Control": "no-store",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Cross-Origin-Resource-Policy": "same-origin",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
    }


def page(
    app: APIGatewayHttpResolver,
    name: str,
    status: int = 200,
    cookies: list[Cookie] | None = None,
    **context: Any,
) -> Response[str]:
    """An HTML page, with the request's identity and the settings' contact filled in."""
    web = app.context.get("web") or {}
    context.setdefault("identity", web.get("identity"))
    context.setdefault("contact", web.get("contact") or "your Salesforce administrator")
    context.setdefault("permission", web.get("permission") or "the dashboard permission")
    context.setdefault("request_id", request_id(app))
    return Response(
        status_code=status,
        content_type=HTML,
        body=pages.render(name, **context),
        headers=security_headers(),
        cookies=cookies or [],
    )


def redirect(
    location: str, cookies: list[Cookie] | None = None, status: int = 302
) -> Response[str]:
    headers = security_headers() | {"Location": location}
    return Response(status_code=status, body="", headers=headers, cookies=cookies or [])


def login_redirect(path: str) -> Response[str]:
    return redirect(f"/auth/login?next={quote(path, safe='')}")


def request_id(app: APIGatewayHttpResolver) -> str | None:
    try:
        return str(app.current_event.request_context.request_id or "") or None
    except (AttributeError, KeyError, TypeError):
        return None


def cookies_of(app: APIGatewayHttpResolver) -> list[str]:
    """The request's cookies as API Gateway (payload 2.0) passes them: `name=value` strings."""
    return list(app.current_event.cookies or [])


def source_ip(app: APIGatewayHttpResolver) -> str | None:
    try:
        return str(app.current_event.request_context.http.source_ip)
    except (AttributeError, KeyError, TypeError):
        return None


def header(app: APIGatewayHttpResolver, name: str) -> str | None:
    headers: Mapping[str, str] = app.current_event.headers or {}
    lowered = name.lower()
    return next((v for k, v in headers.items() if k.lower() == lowered), None)


def form(app: APIGatewayHttpResolver) -> dict[str, str]:
    """A urlencoded POST body (the logout form), first value of each field."""
    body = app.current_event.decoded_body or ""
    return {k: v[0] for k, v in parse_qs(body, keep_blank_values=True).items() if v}


def base_url(app: APIGatewayHttpResolver, configured: str) -> str:
    """Our public origin: the configured custom domain, or the API's own domain."""
    if configured:
        return check_base_url(configured)
    domain = str(app.current_event.request_context.domain_name or "")
    return check_base_url(f"https://{domain}")


def resolve(
    app: APIGatewayHttpResolver, event: dict[str, Any], context: Any, services: Services
) -> dict[str, Any]:
    """Answer one API Gateway (payload 2.0) event with `services`."""
    settings = services.settings
    app.append_context(
        services=services,
        web={"contact": settings.access_contact, "permission": str(settings.permission())},
    )
    return app.resolve(event, context)


def services(app: APIGatewayHttpResolver) -> Services:
    found: Services = app.context["services"]
    return found


def remember(app: APIGatewayHttpResolver, **values: Any) -> None:
    """Facts the error pages show (the identity, where to retry, ...)."""
    app.context.setdefault("web", {}).update(values)


def who(app: APIGatewayHttpResolver) -> Identity | None:
    """Ask the session module who sent this request; remembered for the page."""
    identity = services(app).sessions.who(cookies_of(app))
    remember(app, identity=identity, instance_url=identity.instance_url if identity else None)
    return identity


def access_event(
    app: APIGatewayHttpResolver,
    action: str,
    identity: Identity | None,
    outcome: str = "allowed",
    reason: str | None = None,
    **fields: Any,
) -> AccessEvent:
    """An audit event for this request, by this person (or nobody yet)."""
    if identity is not None:
        fields = {"user_id": identity.user_id, "username": identity.username} | fields
    return AccessEvent(
        action, outcome, reason, request_id=request_id(app), source_ip=source_ip(app), **fields
    )


def new_app() -> APIGatewayHttpResolver:
    """A resolver whose every failure is a page."""
    app = APIGatewayHttpResolver(enable_validation=True)

    @app.exception_handler(SignInFailedError)
    def _sign_in_failed(exc: SignInFailedError) -> Response[str]:
        web = app.context.get("web") or {}
        return page(
            app,
            "sign_in_failed",
            400,
            reason=exc.reason,
            code=exc.code,
            next=web.get("next", "/"),
        )

    @app.exception_handler(AccessRefusedError)
    def _refused(exc: AccessRefusedError) -> Response[str]:
        web = app.context.get("web") or {}
        cookies = clearing_cookies() if exc.reason == "inactive" else None
        identity = None if exc.reason == "inactive" else web.get("identity")
        instance = web.get("instance_url")
        link = f"{instance}/{exc.record_id}" if instance and exc.record_id else None
        return page(
            app,
            "refused",
            403,
            cookies,
            reason=exc.reason,
            record_id=exc.record_id,
            identity=identity,
            salesforce_url=link,
        )

    @app.exception_handler(DocumentNotFoundError)
    def _not_found(exc: DocumentNotFoundError) -> Response[str]:
        return page(app, "not_found", 404, reason=exc.reason, record_id=exc.record_id)

    @app.exception_handler(RequestValidationError)
    def _bad_path(exc: RequestValidationError) -> Response[str]:
        return page(app, "not_found", 404, reason="path")

    @app.exception_handler(TooManyRequestsError)
    def _too_many(exc: TooManyRequestsError) -> Response[str]:
        web = app.context.get("web") or {}
        response = page(app, "too_many", 429, limit=web.get("limit"), retry=web.get("retry"))
        response.headers["Retry-After"] = "60"
        return response

    @app.exception_handler(CsrfRejectedError)
    def _csrf(exc: CsrfRejectedError) -> Response[str]:
        return page(app, "forbidden", 403)

    @app.exception_handler(UpstreamError)
    def _unavailable(exc: UpstreamError) -> Response[str]:
        logger.warning(
            "Salesforce unavailable", error_type=type(exc).__name__, error=str(exc)[:300]
        )
        web = app.context.get("web") or {}
        response = page(app, "unavailable", 503, retry=web.get("retry"))
        response.headers["Retry-After"] = "30"
        return response

    @app.exception_handler(Exception)
    def _unexpected(exc: Exception) -> Response[str]:
        logger.exception("access request failed", error_type=type(exc).__name__)
        return page(app, "error", 500)

    return app
