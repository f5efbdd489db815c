"""S3's answer to a presigned GET, for a browser: the signature and the expiry are enforced.

moto serves S3 to boto3 in-process but checks neither a query-string signature
nor its expiry, and a browser cannot reach it. `PresignedS3` is the piece in
between, served on a socket by `local.http_front`: for
`GET /<bucket>/<key>?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=...
&X-Amz-Date=...&X-Amz-Expires=...&X-Amz-SignedHeaders=host&X-Amz-Signature=...`
it recomputes the Signature Version 4 signature as the S3 API Reference's
"Authenticating Requests: Using Query Parameters" describes (canonical request
with `UNSIGNED-PAYLOAD`, string to sign, HMAC key chain from the secret key of
the access key id in the credential; for a role's temporary credentials, the
`X-Amz-Security-Token` must be the session's), refuses a link used after
`X-Amz-Date + X-Amz-Expires` (403 `AccessDenied`, "Request has expired", or
"X-Amz-Expires must be less than a week" beyond 604,800 seconds) or signed
wrongly (403 `SignatureDoesNotMatch`), and otherwise answers with the object
from moto, with the `response-content-type` and
`response-content-disposition` overrides as headers. Errors are S3's XML.
The object is read as the signer, as S3 authorises a presigned request: with
the local stack's IAM enforced, a link signed by a role that may not read the
object is refused like any other call of that role.

The clock is injectable (`clock`): a test can move time past the expiry.
"""

from __future__ import annotations

import hashlib
import hmac
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any
from urllib.parse import quote, unquote
from xml.sax.saxutils import escape

from botocore.exceptions import ClientError

from local.fakes_common import FakeRequest, FakeResponse, FakeService
from local.iam import enforce

MAX_EXPIRES = 604_800
OVERRIDES = {
    "response-content-type": "Content-Type",
    "response-content-disposition": "Content-Disposition",
    "response-content-language": "Content-Language",
    "response-expires": "Expires",
    "response-cache-control": "Cache-Control",
    "response-content-encoding": "Content-Encoding",
}


def _encode(value: str) -> str:
    return quote(value, safe="-_.~")


def _sign(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode(), hashlib.sha256).digest()


def _error(status: int, code: str, message: str, **extra: str) -> FakeResponse:
    fields = "".join(f"<{k}>{escape(v)}</{k}>" for k, v in extra.items())
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{escape(message)}</Message>{fields}"
        f"<RequestId>{uuid.uuid4().hex[:16].upper()}</RequestId></Error>"
    )
    return FakeResponse(status, body, content_type="application/xml")


class PresignedS3(FakeService):
    """Path-style presigned GETs (`http://<host>/<bucket>/<key>?X-Amz-...`) over moto's S3."""

    default_base_url = "http://localhost"

    def __init__(
        self,
        s3: Any,
        secrets: dict[str, str],
        *,
        clock: Callable[[], float] = time.time,
        base_url: str | None = None,
    ) -> None:
        super().__init__(base_url)
        self.s3 = s3
        self.secrets = secrets  # access key id -> secret access key
        self.clock = clock
        self.add_route("GET", r"/(?P<bucket>[^/]+)/(?P<key>.+)", "get", self.get)

    def _verify(self, request: FakeRequest) -> FakeResponse | None:
        params = request.params
        if params.get("X-Amz-Algorithm") != "AWS4-HMAC-SHA256":
            return _error(403, "AccessDenied", "Access Denied")
        try:
            access_key, day, region, service, terminal = params["X-Amz-Credential"].split("/")
            signed_at = datetime.strptime(params["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(
                tzinfo=UTC
            )
            expires = int(params["X-Amz-Expires"])
            signature = params["X-Amz-Signature"]
            signed_headers = params["X-Amz-SignedHeaders"]
        except (KeyError, ValueError):
            return _error(
                400,
                "AuthorizationQueryParametersError",
                "Query-string authentication requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.",
            )
        if expires > MAX_EXPIRES:
            return _error(
                400,
                "AuthorizationQueryParametersError",
                "X-Amz-Expires must be less than a week (in seconds) that is 604800",
            )
        now = self.clock()
        if now > signed_at.timestamp() + expires:
            return _error(
                403,
                "AccessDenied",
                "Request has expired",
                **{
                    "X-Amz-Expires": str(expires),
                    "Expires": datetime.fromtimestamp(
                        signed_at.timestamp() + expires, UTC
                    ).strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "ServerTime": datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                },
            )
        secret = self.secrets.get(access_key)
        principal = enforce.for_access_key(access_key)
        if principal is not None:
            secret = principal.credentials.secret_key
            if params.get("X-Amz-Security-Token") != principal.credentials.token:
                return _error(
                    403, "InvalidToken", "The provided token is malformed or otherwise invalid."
                )
        if secret is None:
            return _error(
                403,
                "InvalidAccessKeyId",
                "The AWS Access Key Id you provided does not exist in our records.",
            )
        query = "&".join(
            f"{_encode(name)}={_encode(value)}"
            for name, value in sorted(
                (n, v)
                for n, values in request.query.items()
                for v in values
                if n != "X-Amz-Signature"
            )
        )
        headers = {h: request.header(h) or "" for h in signed_headers.split(";")}
        canonical = "\n".join(
            [
                request.method,
                quote(unquote(request.path), safe="/-_.~"),
                query,
                "".join(f"{h}:{v.strip()}\n" for h, v in headers.items()),
                signed_headers,
                "UNSIGNED-PAYLOAD",
            ]
        )
        scope = f"{day}/{region}/{service}/{terminal}"
        to_sign = "\n".join(
            [
                "AWS4-HMAC-SHA256",
                params["X-Amz-Date"],
                scope,
                hashlib.sha256(canonical.encode()).hexdigest(),
            ]
        )
        key = _sign(_sign(_sign(_sign(f"AWS4{secret}".encode(), day), region), service), terminal)
        expected = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, signature):
            return _error(
                403,
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
            )
        return None

    def get(self, request: FakeRequest, bucket: str, key: str) -> FakeResponse:
        refused = self._verify(request)
        if refused is not None:
            return refused
        signer = enforce.for_access_key(request.params["X-Amz-Credential"].split("/", 1)[0])
        try:
            with enforce.acting_as(signer):
                found = self.s3.get_object(Bucket=bucket, Key=unquote(key))
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code"))
            if code in ("NoSuchKey", "404"):
                return _error(
                    404, "NoSuchKey", "The specified key does not exist.", Key=unquote(key)
                )
            return _error(403, "AccessDenied", "Access Denied")
        headers = {
            "ETag": str(found.get("ETag", "")),
            "Last-Modified": format_datetime(found["LastModified"].astimezone(UTC), usegmt=True),
            "Accept-Ranges": "bytes",
        }
        content_type = str(found.get("ContentType") or "binary/octet-stream")
        for param, header in OVERRIDES.items():
            value = request.param(param)
            if value is None:
                continue
            if header == "Content-Type":
                content_type = value
            else:
                headers[header] = value
        return FakeResponse(200, found["Body"].read(), headers, content_type)
