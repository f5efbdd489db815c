"""`GET /dashboards/{section}/{page}`: the velocity and migration pages, for permitted users only.

The pages stay in the private dashboards bucket (`velocity/...` and
`migration/...`, written by the velocity and migration workflows) and are
served from here after the same sign-in as documents, to users holding the
`DashboardPermission` (a permission set or a public group in Salesforce,
checked with one Composite call, kept `AccessCacheSeconds`). There is no other
way to them: the bucket blocks public access and no CDN reads it.

HTML pages keep their relative links (`index.html` → `boca_velocity_latest.html`)
because the paths mirror the bucket. JSON files (the velocity history exports)
download as files rather than display as raw JSON.
"""

from __future__ import annotations

import mimetypes
from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path
from botocore.exceptions import ClientError

from revops.access import web
from revops.access.audit import AccessEvent
from revops.access.documents import content_disposition
from revops.access.errors import AccessRefusedError, DocumentNotFoundError
from revops.access.sessions import Identity
from revops.access.settings import AccessSettings
from revops.access.wiring import Services
from revops.errors import UpstreamError

app = web.new_app()

PAGE_NAME = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$"
MAX_BODY_BYTES = 5 * 1024 * 1024  # Lambda answers at most 6 MB (base64 grows it by a third)


def check_permission(svc: Services, identity: Identity, event: AccessEvent) -> None:
    """Refuse a deactivated user (signing them out) or one without the dashboard permission."""
    try:
        decision = svc.checker.dashboards(identity.session_hash, identity.user_id)
    except UpstreamError as exc:
        event.outcome, event.reason = "unavailable", type(exc).__name__
        svc.audit.record(event)
        raise
    if not decision.user.allowed:
        svc.sessions.end(identity)
        svc.checker.forget(identity.session_hash)
        event.outcome, event.reason = "refused", "user inactive"
        svc.audit.record(event)
        raise AccessRefusedError("inactive")
    if not decision.permitted:
        event.outcome, event.reason = "refused", "no dashboard permission"
        svc.audit.record(event)
        raise AccessRefusedError("dashboards")


def dashboard_file(svc: Services, key: str) -> tuple[bytes, str]:
    """The file's bytes and content type, or DocumentNotFoundError."""
    try:
        found = svc.s3.get_object(Bucket=svc.settings.dashboards_bucket, Key=key)
    except ClientError as exc:
        if str(exc.response.get("Error", {}).get("Code")) in ("404", "NoSuchKey", "NotFound"):
            raise DocumentNotFoundError("path") from exc
        raise
    if int(found.get("ContentLength") or 0) > MAX_BODY_BYTES:
        raise DocumentNotFoundError("path")
    guessed, _ = mimetypes.guess_type(key)
    return found["Body"].read(), str(
        found.get("ContentType") or guessed or "application/octet-stream"
    )


@app.get("/dashboards/<section>/<name>")
def dashboard_route(
    section: Literal["velocity", "migration"],
    name: Annotated[str, Path(pattern=PAGE_NAME)],
) -> Response[Any]:
    svc = web.services(app)
    path = f"/dashboards/{section}/{name}"
    web.remember(app, retry=path)
    identity = web.who(app)
    if identity is None:
        return web.login_redirect(path)
    event = web.access_event(app, "dashboards", identity)
    check_permission(svc, identity, event)
    body, kind = dashboard_file(svc, f"{section}/{name}")
    headers = web.security_headers(web.DASHBOARD_CSP)
    if kind.startswith("text/html"):
        return Response(200, "text/html; charset=utf-8", body.decode("utf-8"), headers)
    if kind.startswith("application/json") or name.endswith(".json"):
        headers["Content-Disposition"] = content_disposition(name)
    return Response(200, kind, body, headers)  # bytes: Powertools sends them base64-encoded


def handle(event: dict[str, Any], context: Any, services: Services | None = None) -> dict[str, Any]:
    return web.resolve(app, event, context, services or Services(AccessSettings.from_env()))
