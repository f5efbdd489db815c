"""S3 and HTTP on the wire: the shared client, checksums, ETags, error codes, redaction."""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import mimetypes
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import boto3
import botocore.session
from botocore.config import Config
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)
from botocore.utils import parse_timestamp

from revops.migration.listing import ListedObject
from revops.migration.transfer.models import META_SHA256, ChecksumType
from revops.migration.urls import S3Source

MIN_PART_SIZE = 5 * 1024**2  # S3's minimum for every part but the last
MAX_PARTS = 10_000
MAX_COPY_OBJECT = 5 * 1024**3  # S3's CopyObject limit
MAX_DELAY = 20.0  # seconds, cap of one backoff sleep (and of Retry-After)
READ_CHUNK = 1024**2  # bytes pulled from the HTTP stream at a time
HTTP_TIMEOUT = (10.0, 120.0)  # connect, read (seconds between bytes)

# Headers S3 keeps with an object that `MetadataDirective=REPLACE` would drop.
CARRIED_HEADERS = ("ContentType", "ContentDisposition", "ContentEncoding", "ContentLanguage")


def _timestamp(value: Any) -> datetime:
    """botocore's timestamp parser, with S3's ISO 8601 timestamps parsed natively.

    Every CopyObject result and listed object carries one; dateutil's general
    parser spent about an eighth of the copy worker's CPU on them.
    """
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            pass
    return parse_timestamp(value)


@functools.cache
def s3_client(region_name: str | None = None) -> Any:
    """The shared S3 client of a Lambda container (created on first use)."""
    config = Config(retries={"max_attempts": 3, "mode": "standard"}, max_pool_connections=64)
    core = botocore.session.get_session()
    core.get_component("response_parser_factory").set_parser_defaults(timestamp_parser=_timestamp)
    session = boto3.session.Session(botocore_session=core)
    return session.client("s3", region_name=region_name, config=config)


@dataclass(frozen=True)
class Digest:
    sha256: str  # hex, or "<hex>-<parts>"
    checksum_type: ChecksumType

    @property
    def hex(self) -> str:
        return self.sha256.partition("-")[0]

    @property
    def parts(self) -> str:
        return self.sha256.partition("-")[2]

    def comparable(self, other: Digest) -> bool:
        """Same kind of checksum (composites only over the same number of parts)."""
        if self.checksum_type != other.checksum_type:
            return False
        return self.checksum_type == "FULL_OBJECT" or (
            bool(self.parts) and self.parts == other.parts
        )

    def agrees_with(self, other: Digest) -> bool:
        """False only when both checksums are comparable and differ."""
        return not self.comparable(other) or self.hex == other.hex


def redact(url: str) -> str:
    """The URL without user info, query string or fragment (presigned URLs carry secrets)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        if parts.port:
            host = f"{host}:{parts.port}"
        return urlunsplit((parts.scheme, host, parts.path, "", ""))
    except ValueError:
        return "<unparseable URL>"


def has_secrets(url: str) -> bool:
    try:
        parts = urlsplit(url)
        return bool(parts.query or parts.username or parts.password)
    except ValueError:
        return True


_QUERY = re.compile(r"\?[^\s'\")]*")


def scrub(text: str) -> str:
    """A library message with any query strings removed."""
    return _QUERY.sub("?<redacted>", text)


def strip_etag(etag: str | None) -> str | None:
    if not etag:
        return None
    etag = etag.strip()
    if etag.startswith("W/"):
        return "W/" + etag[2:].strip('"')
    return etag.strip('"')


def ascii_header(value: str) -> str:
    """S3 user metadata travels in HTTP headers: keep it printable ASCII."""
    return value.encode("ascii", "backslashreplace").decode("ascii")


def b64_to_hex(value: str) -> str | None:
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw.hex() if len(raw) == 32 else None


def etag_parts(etag: str | None) -> int | None:
    """The part count of a multipart ETag (`"<md5>-<n>"`), else None."""
    stripped = strip_etag(etag) or ""
    _, sep, count = stripped.rpartition("-")
    return int(count) if sep and count.isdigit() else None


def s3_digest(
    value: str | None, checksum_type: str | None, etag: str | None = None
) -> Digest | None:
    """S3's `ChecksumSHA256` (base64, `-<n>` suffixed when composite) as a `Digest`.

    AWS reports `ChecksumType` with it. moto omits both the type and the suffix on
    HEAD; a SHA-256 on a multipart object (ETag `-<n>`) is always composite in AWS,
    so the ETag decides then.
    """
    if not value:
        return None
    encoded, sep, count = value.partition("-")
    hex_value = b64_to_hex(encoded)
    if hex_value is None:
        return None
    if sep and count.isdigit():
        return Digest(f"{hex_value}-{int(count)}", "COMPOSITE")
    if checksum_type == "FULL_OBJECT":
        return Digest(hex_value, "FULL_OBJECT")
    parts = etag_parts(etag)
    if checksum_type == "COMPOSITE" or parts is not None:
        return Digest(f"{hex_value}-{parts}" if parts else hex_value, "COMPOSITE")
    return Digest(hex_value, "FULL_OBJECT")


_HEX_DIGEST = re.compile(r"^[0-9a-f]{64}(?:-[1-9][0-9]*)?$")


def stored_digest(head: Mapping[str, Any]) -> Digest | None:
    """The digest of an existing destination object: our metadata, else S3's checksum."""
    stored = (head.get("Metadata") or {}).get(META_SHA256, "")
    if _HEX_DIGEST.match(stored):
        return Digest(stored, "COMPOSITE" if "-" in stored else "FULL_OBJECT")
    return s3_digest(head.get("ChecksumSHA256"), head.get("ChecksumType"), head.get("ETag"))


def version_id_of(value: Any) -> str | None:
    """S3's version id; "null" (unversioned bucket) is reported as None."""
    return value if isinstance(value, str) and value and value != "null" else None


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def http_status(exc: ClientError) -> int:
    return int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)


def describe(exc: ClientError) -> str:
    error = exc.response.get("Error", {})
    code = error.get("Code") or str(http_status(exc))
    message = error.get("Message") or ""
    return f"{code}: {message}" if message and message != code else code


THROTTLE_CODES = frozenset(
    {
        "SlowDown",
        "RequestTimeout",
        "ServiceUnavailable",
        "RequestLimitExceeded",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "EC2ThrottledException",
        "PriorRequestNotComplete",
    }
)
TRANSIENT_CODES = frozenset({"InternalError", "500", "502", "504", "BadGateway"})
NOT_FOUND_CODES = frozenset({"NoSuchKey", "NoSuchBucket", "NotFound", "404", "NoSuchVersion"})
DENIED_CODES = frozenset(
    {"AccessDenied", "403", "Forbidden", "AllAccessDisabled", "InvalidAccessKeyId"}
)
DIGEST_CODES = frozenset({"BadDigest", "InvalidDigest", "XAmzContentSHA256Mismatch"})
BOTO_TRANSIENT = (
    EndpointConnectionError,
    ConnectionClosedError,
    ReadTimeoutError,
    ConnectTimeoutError,
)


def is_throttle(exc: ClientError) -> bool:
    code = error_code(exc)
    return code in THROTTLE_CODES or code.startswith("Throttl") or http_status(exc) == 503


def retry_after_seconds(headers: Mapping[str, str]) -> float | None:
    value = (headers.get("Retry-After") or "").strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def int_header(headers: Mapping[str, str], name: str) -> int | None:
    value = (headers.get(name) or "").strip()
    return int(value) if value.isdigit() else None


def carried_headers(head: Mapping[str, Any]) -> dict[str, Any]:
    return {name: head[name] for name in CARRIED_HEADERS if head.get(name)}


def listed_head(source: S3Source, listed: ListedObject) -> dict[str, Any]:
    """A listing's answer in the shape of the source HEAD it stands in for.

    A listing carries no Content-Type, so it is taken from the key's extension.
    """
    head: dict[str, Any] = {"ContentLength": listed.size, "ETag": listed.etag}
    content_type, encoding = mimetypes.guess_type(source.key, strict=False)
    if content_type and not encoding:
        head["ContentType"] = content_type
    return head


def composite_digest(part_digests: list[bytes]) -> Digest:
    """S3's COMPOSITE SHA-256: the SHA-256 of the concatenated part digests."""
    combined = hashlib.sha256(b"".join(part_digests)).hexdigest()
    return Digest(f"{combined}-{len(part_digests)}", "COMPOSITE")
