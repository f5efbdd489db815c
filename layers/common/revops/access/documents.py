"""`GET /d/{recordId}`: open a migrated document, if Salesforce lets this user read its record.

In order, for a signed-in user (anyone else is sent to the Salesforce login
and straight back here):

1. at most `DocumentOpensPerMinute` opens a minute per user (a 429 page);
2. one Composite call to Salesforce (`checks.AccessChecker.document`): a
   deactivated or frozen user is signed out and refused; a deleted record is
   not found; a record the user may not read is refused, naming the record and
   whom to ask;
3. our copy: the tracking item gives the key and the file name, and a HEAD
   proves the object is there (a missing one is a not-found page, never S3's
   XML);
4. a 302 to a presigned GET valid for `DownloadLinkSeconds` (60 at most),
   with `Content-Disposition: attachment` carrying the original file name
   (RFC 6266, `filename*` in RFC 5987 encoding for non-ASCII) and the file's
   `Content-Type`. The link is never logged or stored.

Every outcome is audited (`audit.AuditLog`).
"""

from __future__ import annotations

import mimetypes
import posixpath
import time
import unicodedata
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path
from botocore.exceptions import ClientError

from revops.access import web
from revops.access.audit import AccessEvent
from revops.access.errors import AccessRefusedError, DocumentNotFoundError, TooManyRequestsError
from revops.access.links import PATH_PREFIX, RECORD_ID, id18
from revops.access.sessions import Identity
from revops.access.settings import AccessSettings
from revops.access.wiring import Services
from revops.errors import UpstreamError
from revops.observability import logger

app = web.new_app()

# RFC 5987 attr-char: ALPHA / DIGIT / "!" / "#" / "$" / "&" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~"
_ATTR_CHARS = "!#$&+-.^_`|~"


def _ascii(text: str) -> str:
    """Accents dropped (NFKD), anything else outside printable ASCII, `"` and `%` as `_`."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return "".join(c if 0x20 <= ord(c) < 0x7F and c not in '"%' else "_" for c in folded)


def content_disposition(file_name: str) -> str:
    """`attachment` with an ASCII `filename` and, for any name, a UTF-8 `filename*`."""
    name = "".join(
        c for c in unicodedata.normalize("NFC", file_name) if unicodedata.category(c)[0] != "C"
    )
    name = name.replace("/", "_").replace("\\", "_").strip() or "document"
    stem, ext = posixpath.splitext(name)
    stem, ext = _ascii(stem), _ascii(ext)
    if not any(c.isalnum() for c in stem):  # nothing readable survives in ASCII
        stem = "document"
    fallback = stem + ext
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe=_ATTR_CHARS)}"


def content_type(file_name: str, stored: str | None) -> str:
    guessed, _ = mimetypes.guess_type(file_name, strict=False)
    return guessed or stored or "application/octet-stream"


@dataclass(frozen=True)
class Download:
    url: str
    file_name: str


def _head(svc: Services, key: str) -> dict[str, Any] | None:
    try:
        return dict(svc.s3.head_object(Bucket=svc.settings.backup_bucket, Key=key))
    except ClientError as exc:
        if str(exc.response.get("Error", {}).get("Code")) in ("404", "NoSuchKey", "NotFound"):
            return None
        raise


def open_document(
    svc: Services, identity: Identity, record_id: str, event: AccessEvent
) -> Download:
    """Decide and deliver; every outcome is audited through `event`."""
    settings = svc.settings
    item = svc.tracking.file(record_id)
    event.account_id = item.account_id if item else None
    event.file_name = item.file_name if item else None

    def refuse(outcome: str, reason: str, error: Exception) -> Exception:
        event.outcome, event.reason = outcome, reason
        svc.audit.record(event)
        return error

    minute = int(svc.clock() // 60)
    opened = svc.store.count(f"RATE#{identity.user_id}#{minute}", 120)
    if opened > settings.document_opens_per_minute:
        raise refuse("rate_limited", "too many opens", TooManyRequestsError())
    try:
        decision = svc.checker.document(identity.session_hash, identity.user_id, record_id)
    except UpstreamError as exc:
        raise refuse("unavailable", type(exc).__name__, exc) from exc
    if not decision.user.allowed:
        svc.sessions.end(identity)
        svc.checker.forget(identity.session_hash)
        raise refuse("refused", "user inactive", AccessRefusedError("inactive"))
    if not decision.record_exists:
        raise refuse("not_found", "record deleted", DocumentNotFoundError("record", record_id))
    if not decision.can_read:
        raise refuse("refused", "no read access", AccessRefusedError("record", record_id))
    if item is None or item.status != "backed_up" or not item.your_s3_key:
        raise refuse("not_found", "not migrated", DocumentNotFoundError("file", record_id))
    event.object_key = item.your_s3_key
    head = _head(svc, item.your_s3_key)
    if head is None:
        raise refuse("not_found", "object missing", DocumentNotFoundError("file", record_id))
    if item.file_size_bytes is not None and int(head["ContentLength"]) != int(item.file_size_bytes):
        logger.warning("object size differs from tracking", record_id=record_id)
    file_name = item.file_name or posixpath.basename(item.your_s3_key)
    url = svc.presigner.generate_presigned_url(
        "get_object",
        Params={
            "Bucket": settings.backup_bucket,
            "Key": item.your_s3_key,
            "ResponseContentDisposition": content_disposition(file_name),
            "ResponseContentType": content_type(file_name, head.get("ContentType")),
        },
        ExpiresIn=settings.download_link_seconds,
    )
    event.outcome = "allowed"
    svc.audit.record(event)
    return Download(url=url, file_name=file_name)


@app.get(PATH_PREFIX + "<recordId>")
def open_route(
    record_id: Annotated[str, Path(alias="recordId", pattern=RECORD_ID.pattern)],
) -> Response[str]:
    svc = web.services(app)
    path = f"{PATH_PREFIX}{record_id}"
    web.remember(app, retry=path, limit=svc.settings.document_opens_per_minute)
    identity = web.who(app)
    if identity is None:
        return web.login_redirect(path)
    event = web.access_event(app, "open", identity, record_id=id18(record_id))
    started = time.monotonic()
    download = open_document(svc, identity, id18(record_id), event)
    logger.info(
        "document link issued",
        record_id=event.record_id,
        ms=round((time.monotonic() - started) * 1000),
    )
    return web.redirect(download.url)


def handle(event: dict[str, Any], context: Any, services: Services | None = None) -> dict[str, Any]:
    return web.resolve(app, event, context, services or Services(AccessSettings.from_env()))
