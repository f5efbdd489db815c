"""Copy one `DocListEntry__c` file into the backup bucket, safely and idempotently.

S3 sources are copied server-side: `CopyObject` up to `copy_object_limit` (5 GB, the
S3 maximum), `UploadPartCopy` ranges above it. Each is conditional on the source's
ETag (`CopySourceIfMatch`), so a source that changes mid-copy fails with
`SourceChangedError` instead of leaving a torn copy. Size and ETag come from the
chunk's source listing when it has them (`CopyRequest.listed`, see `listing`), else
from a HEAD of the source; a listed source that changed since it was listed is read
again with a HEAD and copied as it is now.

Any other http(s) URL is streamed: read in `part_size` pieces and uploaded part by
part, hashing SHA-256 on the way, so memory stays at about two parts whatever the
file size. A file that fits in one part is a single `PutObject`.

Every object we write carries metadata that makes reruns cheap and safe:
`revops-record-id`, `revops-source-etag` (the source's change marker),
`revops-source-size` and, when known at write time, `revops-sha256`. Before copying,
the destination is HEADed; when its marker and size match the source, the copy is
reported `unchanged` without moving a byte. S3 writes are atomic (an object exists
only once complete), and an object that fails verification afterwards is deleted,
so a marker is only ever found on a good copy.

SHA-256 reported in `CopyOutcome.sha256`:
- `CopyObject`: S3's own full-object SHA-256 of the copy (hex), `FULL_OBJECT`.
- `UploadPartCopy` (objects above `copy_object_limit`): S3 can only give a
  checksum of the part checksums; reported as `"<hex>-<parts>"`, `COMPOSITE`.
- HTTP streams: our SHA-256 of the bytes received, `FULL_OBJECT`; S3 checks each
  part (or the single PUT) against the SHA-256 we send with it. S3 keeps a
  composite checksum for multipart objects, and metadata cannot be added after a
  multipart upload starts, so an `unchanged` rerun of a multipart HTTP copy reports
  S3's composite checksum (`COMPOSITE`).

Throttling (S3 `SlowDown`, 503, `Throttling*`, `RequestTimeout`; HTTP 429 and 503)
and connection failures are retried with full-jitter exponential backoff, honouring
`Retry-After`; every library error leaves as one of the `TransferError` types below.
Messages name the object or URL; URLs are shown without query string or user info,
so presigned signatures never reach logs or the tracking table.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import io
import math
import mimetypes
import random
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, ClassVar, Literal, NoReturn, TypeVar
from urllib.parse import urlsplit, urlunsplit

import boto3
import botocore.session
import requests
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)
from botocore.utils import parse_timestamp
from urllib3.exceptions import HTTPError as Urllib3Error

from revops.errors import RevopsError, UpstreamThrottledError
from revops.integrations import transport
from revops.migration.listing import ListedObject
from revops.migration.urls import HttpSource, S3Source
from revops.observability import logger

T = TypeVar("T")
ChecksumType = Literal["FULL_OBJECT", "COMPOSITE"]

META_RECORD_ID = "revops-record-id"
META_SOURCE_ETAG = "revops-source-etag"
META_SOURCE_SIZE = "revops-source-size"
META_SHA256 = "revops-sha256"

MIN_PART_SIZE = 5 * 1024**2  # S3's minimum for every part but the last
MAX_PARTS = 10_000
MAX_COPY_OBJECT = 5 * 1024**3  # S3's CopyObject limit
MAX_DELAY = 20.0  # seconds, cap of one backoff sleep (and of Retry-After)
READ_CHUNK = 1024**2  # bytes pulled from the HTTP stream at a time
HTTP_TIMEOUT = (10.0, 120.0)  # connect, read (seconds between bytes)

# Headers S3 keeps with an object that `MetadataDirective=REPLACE` would drop.
_CARRIED_HEADERS = ("ContentType", "ContentDisposition", "ContentEncoding", "ContentLanguage")


# ----------------------------------------------------------------------- errors


class TransferError(RevopsError):
    """A file could not be copied. `error_type` is what the tracking table records."""

    error_type: ClassVar[str] = "transfer"


class SourceNotFoundError(TransferError):
    """The source object or URL does not exist (S3 404, HTTP 404/410)."""

    error_type = "not_found"


class SourceAccessDeniedError(TransferError):
    """We may not read the source (S3 403, HTTP 401/403)."""

    error_type = "access_denied"


class FileTooLargeError(TransferError):
    """The source is larger than the request's `max_bytes`."""

    error_type = "too_large"


class DownloadError(TransferError):
    """Reading the source failed (HTTP error status, dropped or short stream)."""

    error_type = "download"


class UploadError(TransferError):
    """Writing the destination failed."""

    error_type = "upload"


class ChecksumMismatchError(TransferError):
    """The copy does not match the source (size or SHA-256); the copy was removed."""

    error_type = "checksum_mismatch"


class SourceChangedError(TransferError):
    """The S3 source changed between our HEAD and the copy (its ETag no longer matched)."""

    error_type = "source_changed"


class ThrottledError(TransferError, UpstreamThrottledError):
    """S3 or the file host kept asking us to slow down after every retry."""

    error_type = "throttled"


# ----------------------------------------------------------------------- models


@dataclass(frozen=True)
class CopyRequest:
    record_id: str
    source: S3Source | HttpSource
    dest_bucket: str
    dest_key: str
    max_bytes: int | None = None  # larger sources -> FileTooLargeError
    expected_size: int | None = None  # e.g. Salesforce File_Size__c; informational only
    # The plan has never tracked this record: skip the destination HEAD and copy
    # with `If-None-Match: *`; an object already there (a crash before the tracking
    # write) turns the copy into the usual comparison, so nothing is written twice.
    expect_new: bool = False
    # Size and ETag from the chunk's source listing (`listing.list_sources`), which
    # stand in for the source HEAD; None: HEAD the source.
    listed: ListedObject | None = None


@dataclass(frozen=True)
class CopyOutcome:
    status: Literal["copied", "unchanged"]
    size: int
    sha256: str  # hex; "<hex>-<parts>" when checksum_type is COMPOSITE
    checksum_type: ChecksumType
    dest_key: str
    version_id: str | None
    source_etag: str | None  # the change marker stored as revops-source-etag
    attempts: int  # total tries including throttling retries


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


# ---------------------------------------------------------------------- helpers


@dataclass
class _Job:
    """Per-copy state (the copier itself is shared between threads)."""

    request: CopyRequest
    retries: int = 0

    @property
    def attempts(self) -> int:
        return 1 + self.retries

    @property
    def dest(self) -> str:
        return f"s3://{self.request.dest_bucket}/{self.request.dest_key}"


class _Transient(Exception):
    """One try failed in a way worth retrying; `error` is raised once tries run out."""

    def __init__(
        self,
        error_cls: type[TransferError],
        message: str,
        *,
        cause: BaseException | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.error_cls = error_cls
        self.message = message
        self.cause = cause
        self.retry_after = retry_after


@dataclass(frozen=True)
class _Digest:
    sha256: str  # hex, or "<hex>-<parts>"
    checksum_type: ChecksumType

    @property
    def hex(self) -> str:
        return self.sha256.partition("-")[0]

    @property
    def parts(self) -> str:
        return self.sha256.partition("-")[2]

    def comparable(self, other: _Digest) -> bool:
        """Same kind of checksum (composites only over the same number of parts)."""
        if self.checksum_type != other.checksum_type:
            return False
        return self.checksum_type == "FULL_OBJECT" or (
            bool(self.parts) and self.parts == other.parts
        )

    def agrees_with(self, other: _Digest) -> bool:
        """False only when both checksums are comparable and differ."""
        return not self.comparable(other) or self.hex == other.hex


def _redact(url: str) -> str:
    """The URL without user info, query string or fragment (presigned URLs carry secrets)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        if parts.port:
            host = f"{host}:{parts.port}"
        return urlunsplit((parts.scheme, host, parts.path, "", ""))
    except ValueError:
        return "<unparseable URL>"


def _has_secrets(url: str) -> bool:
    try:
        parts = urlsplit(url)
        return bool(parts.query or parts.username or parts.password)
    except ValueError:
        return True


_QUERY = re.compile(r"\?[^\s'\")]*")


def _scrub(text: str) -> str:
    """A library message with any query strings removed."""
    return _QUERY.sub("?<redacted>", text)


def _strip_etag(etag: str | None) -> str | None:
    if not etag:
        return None
    etag = etag.strip()
    if etag.startswith("W/"):
        return "W/" + etag[2:].strip('"')
    return etag.strip('"')


def _ascii(value: str) -> str:
    """S3 user metadata travels in HTTP headers: keep it printable ASCII."""
    return value.encode("ascii", "backslashreplace").decode("ascii")


def _b64_to_hex(value: str) -> str | None:
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw.hex() if len(raw) == 32 else None


def _etag_parts(etag: str | None) -> int | None:
    """The part count of a multipart ETag (`"<md5>-<n>"`), else None."""
    stripped = _strip_etag(etag) or ""
    _, sep, count = stripped.rpartition("-")
    return int(count) if sep and count.isdigit() else None


def _s3_digest(
    value: str | None, checksum_type: str | None, etag: str | None = None
) -> _Digest | None:
    """S3's `ChecksumSHA256` (base64, `-<n>` suffixed when composite) as a `_Digest`.

    AWS reports `ChecksumType` with it. moto omits both the type and the suffix on
    HEAD; a SHA-256 on a multipart object (ETag `-<n>`) is always composite in AWS,
    so the ETag decides then.
    """
    if not value:
        return None
    encoded, sep, count = value.partition("-")
    hex_value = _b64_to_hex(encoded)
    if hex_value is None:
        return None
    if sep and count.isdigit():
        return _Digest(f"{hex_value}-{int(count)}", "COMPOSITE")
    if checksum_type == "FULL_OBJECT":
        return _Digest(hex_value, "FULL_OBJECT")
    parts = _etag_parts(etag)
    if checksum_type == "COMPOSITE" or parts is not None:
        return _Digest(f"{hex_value}-{parts}" if parts else hex_value, "COMPOSITE")
    return _Digest(hex_value, "FULL_OBJECT")


_HEX_DIGEST = re.compile(r"^[0-9a-f]{64}(?:-[1-9][0-9]*)?$")


def _stored_digest(head: Mapping[str, Any]) -> _Digest | None:
    """The digest of an existing destination object: our metadata, else S3's checksum."""
    stored = (head.get("Metadata") or {}).get(META_SHA256, "")
    if _HEX_DIGEST.match(stored):
        return _Digest(stored, "COMPOSITE" if "-" in stored else "FULL_OBJECT")
    return _s3_digest(head.get("ChecksumSHA256"), head.get("ChecksumType"), head.get("ETag"))


def _version(value: Any) -> str | None:
    """S3's version id; "null" (unversioned bucket) is reported as None."""
    return value if isinstance(value, str) and value and value != "null" else None


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _status(exc: ClientError) -> int:
    return int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)


def _describe(exc: ClientError) -> str:
    error = exc.response.get("Error", {})
    code = error.get("Code") or str(_status(exc))
    message = error.get("Message") or ""
    return f"{code}: {message}" if message and message != code else code


_THROTTLE_CODES = frozenset(
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
_TRANSIENT_CODES = frozenset({"InternalError", "500", "502", "504", "BadGateway"})
_NOT_FOUND_CODES = frozenset({"NoSuchKey", "NoSuchBucket", "NotFound", "404", "NoSuchVersion"})
_DENIED_CODES = frozenset(
    {"AccessDenied", "403", "Forbidden", "AllAccessDisabled", "InvalidAccessKeyId"}
)
_DIGEST_CODES = frozenset({"BadDigest", "InvalidDigest", "XAmzContentSHA256Mismatch"})
_BOTO_TRANSIENT = (
    EndpointConnectionError,
    ConnectionClosedError,
    ReadTimeoutError,
    ConnectTimeoutError,
)


def _is_throttle(exc: ClientError) -> bool:
    code = _code(exc)
    return code in _THROTTLE_CODES or code.startswith("Throttl") or _status(exc) == 503


def _retry_after(headers: Mapping[str, str]) -> float | None:
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


def _int_header(headers: Mapping[str, str], name: str) -> int | None:
    value = (headers.get(name) or "").strip()
    return int(value) if value.isdigit() else None


def _carried(head: Mapping[str, Any]) -> dict[str, Any]:
    return {name: head[name] for name in _CARRIED_HEADERS if head.get(name)}


def _listed_head(source: S3Source, listed: ListedObject) -> dict[str, Any]:
    """A listing's answer in the shape of the source HEAD it stands in for.

    A listing carries no Content-Type, so it is taken from the key's extension.
    """
    head: dict[str, Any] = {"ContentLength": listed.size, "ETag": listed.etag}
    content_type, encoding = mimetypes.guess_type(source.key, strict=False)
    if content_type and not encoding:
        head["ContentType"] = content_type
    return head


# ------------------------------------------------------------------ HTTP reader


class _BodyReader:
    """Pulls an HTTP body in chunks, hashing and counting, into a caller's part buffer.

    Holds one chunk besides the buffer, so a transfer needs one part of memory plus
    a chunk. Raises DownloadError when the stream breaks or outgrows
    `Content-Length`, FileTooLargeError past `max_bytes`.
    """

    def __init__(
        self,
        response: requests.Response,
        *,
        where: str,
        length: int | None,
        max_bytes: int | None,
        hide_cause: bool,
    ) -> None:
        self._chunks: Iterator[bytes] = response.raw.stream(READ_CHUNK, decode_content=False)
        self._where = where
        self._length = length
        self._max_bytes = max_bytes
        self._hide_cause = hide_cause
        self._pending = b""  # a chunk received but not yet handed out
        self._offset = 0
        self._sha256 = hashlib.sha256()
        self.received = 0

    @property
    def sha256(self) -> str:
        return self._sha256.hexdigest()

    def _pull(self) -> bool:
        """Receive the next chunk into `_pending`; False at the end of the body."""
        try:
            chunk = next(self._chunks, None)
        except (requests.RequestException, Urllib3Error, OSError) as exc:
            expected = f" of {self._length}" if self._length is not None else ""
            error = DownloadError(
                f"{self._where}: the download broke off after {self.received}{expected} bytes "
                f"({type(exc).__name__}: {_scrub(str(exc))})"
            )
            raise error from (None if self._hide_cause else exc)
        if chunk is None:
            return False
        self.received += len(chunk)
        if self._length is not None and self.received > self._length:
            raise DownloadError(
                f"{self._where}: received {self.received} bytes, more than the {self._length} "
                "announced by Content-Length (the file changed during the download)"
            )
        if self._max_bytes is not None and self.received > self._max_bytes:
            raise FileTooLargeError(
                f"{self._where}: larger than the {self._max_bytes}-byte limit "
                f"(already {self.received} bytes received)"
            )
        self._sha256.update(chunk)
        self._pending, self._offset = chunk, 0
        return True

    def fill(self, buffer: bytearray) -> int:
        """Fill `buffer` from the body; returns the bytes written (fewer only at the end)."""
        filled = 0
        with memoryview(buffer) as target:
            while filled < len(buffer):
                if self._offset >= len(self._pending) and not self._pull():
                    break
                take = min(len(buffer) - filled, len(self._pending) - self._offset)
                with memoryview(self._pending) as source:
                    target[filled : filled + take] = source[self._offset : self._offset + take]
                filled += take
                self._offset += take
        return filled

    def at_end(self) -> bool:
        return self._offset >= len(self._pending) and not self._pull()

    def check_complete(self) -> None:
        if self._length is not None and self.received != self._length:
            raise DownloadError(
                f"{self._where}: received {self.received} bytes but Content-Length announced "
                f"{self._length}"
            )


class _PartBody(io.RawIOBase):
    """A seekable read-only file over a part buffer: botocore streams it without a copy.

    Close it (use `with`) before the buffer is refilled or resized.
    """

    def __init__(self, buffer: bytearray) -> None:
        super().__init__()
        self._view = memoryview(buffer)
        self._position = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: len(self._view)}
        self._position = max(0, base[whence] + offset)
        return self._position

    def read(self, size: int | None = -1) -> bytes:
        end = len(self._view) if size is None or size < 0 else self._position + size
        data = bytes(self._view[self._position : end])
        self._position += len(data)
        return data

    def readall(self) -> bytes:
        return self.read()

    def readinto(self, target: Any) -> int:
        count = max(0, min(len(target), len(self._view) - self._position))
        target[:count] = self._view[self._position : self._position + count]
        self._position += count
        return count

    def close(self) -> None:
        self._view.release()
        super().close()


# ----------------------------------------------------------------------- copier


class FileCopier:
    """Copies files into a bucket. One instance serves a whole thread pool.

    `dest_s3` writes the destination and performs the server-side copies (so it needs
    read access to S3 sources too); `source_s3` (default: `dest_s3`) reads source
    metadata. HTTP sessions come from `session_factory`, one per thread.
    """

    def __init__(
        self,
        *,
        dest_s3: Any,
        source_s3: Any | None = None,
        session_factory: Callable[[], requests.Session] = transport.new_session,
        part_size: int = 16 * 1024**2,
        copy_object_limit: int = 5 * 1024**3,
        copy_part_size: int = 512 * 1024**2,
        max_attempts: int = 6,
        base_delay: float = 0.2,
        sleep: Callable[[float], None] = time.sleep,
        http_timeout: tuple[float, float] = HTTP_TIMEOUT,
    ) -> None:
        if part_size < MIN_PART_SIZE or copy_part_size < MIN_PART_SIZE:
            raise ValueError(f"S3 parts must be at least {MIN_PART_SIZE} bytes")
        if not 0 <= copy_object_limit <= MAX_COPY_OBJECT:
            raise ValueError(f"copy_object_limit must be within 0..{MAX_COPY_OBJECT}")
        self.dest_s3 = dest_s3
        self.source_s3 = source_s3 if source_s3 is not None else dest_s3
        self.part_size = part_size
        self.copy_object_limit = copy_object_limit
        self.copy_part_size = copy_part_size
        self.max_attempts = max(1, max_attempts)
        self.base_delay = base_delay
        self.http_timeout = http_timeout
        self._session_factory = session_factory
        self._sleep = sleep
        self._local = threading.local()

    def copy(self, request: CopyRequest) -> CopyOutcome:
        """Copy one file; raises a `TransferError` subclass when it cannot."""
        job = _Job(request)
        if isinstance(request.source, S3Source):
            outcome = self._copy_s3(job, request.source)
        else:
            outcome = self._copy_http(job, request.source)
        if request.expected_size is not None and request.expected_size != outcome.size:
            logger.info(
                "file size differs from the size on record",
                extra={
                    "record_id": request.record_id,
                    "expected_size": request.expected_size,
                    "size": outcome.size,
                },
            )
        return outcome

    # ------------------------------------------------------------- retrying

    def _delay(self, retry: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, MAX_DELAY)
        return random.uniform(0.0, min(MAX_DELAY, self.base_delay * 2**retry))

    def _retrying(self, job: _Job, attempt: Callable[[], T]) -> T:
        for retry in range(self.max_attempts):
            try:
                return attempt()
            except _Transient as transient:
                if retry + 1 >= self.max_attempts:
                    error = transient.error_cls(
                        f"{transient.message} (gave up after {self.max_attempts} attempts)"
                    )
                    raise error from transient.cause
                delay = self._delay(retry, transient.retry_after)
                job.retries += 1
                logger.info(
                    "retrying a transfer step",
                    extra={
                        "record_id": job.request.record_id,
                        "reason": transient.message,
                        "delay_secs": round(delay, 3),
                    },
                )
                self._sleep(delay)
        raise AssertionError("unreachable")

    def _s3(
        self,
        job: _Job,
        call: Callable[..., dict[str, Any]],
        what: str,
        failure: Callable[[ClientError | BotoCoreError], NoReturn],
        *,
        transient: type[TransferError] = UploadError,
        **params: Any,
    ) -> dict[str, Any]:
        """One S3 call with retries; `failure` turns a final error into a TransferError.

        Throttling ends as ThrottledError, other transient failures as `transient`.
        """

        def attempt() -> dict[str, Any]:
            try:
                return call(**params)
            except ClientError as exc:
                if _is_throttle(exc):
                    raise _Transient(
                        ThrottledError, f"{what}: S3 is throttling ({_describe(exc)})", cause=exc
                    ) from exc
                if _code(exc) in _TRANSIENT_CODES or _status(exc) >= 500:
                    raise _Transient(
                        transient, f"{what}: S3 failed ({_describe(exc)})", cause=exc
                    ) from exc
                failure(exc)
            except _BOTO_TRANSIENT as exc:
                raise _Transient(transient, f"{what}: cannot reach S3 ({exc})", cause=exc) from exc
            except BotoCoreError as exc:
                failure(exc)

        return self._retrying(job, attempt)

    # ----------------------------------------------------------------- S3 HEADs

    def _head_dest(self, job: _Job) -> dict[str, Any] | None:
        """The destination object's HEAD, or None when there is none."""
        request = job.request

        def failure(exc: ClientError | BotoCoreError) -> NoReturn:
            if isinstance(exc, ClientError) and _code(exc) in ("404", "NoSuchKey", "NotFound"):
                raise _Missing from exc
            detail = _describe(exc) if isinstance(exc, ClientError) else str(exc)
            raise UploadError(f"cannot read the destination {job.dest}: {detail}") from exc

        try:
            return self._s3(
                job,
                self.dest_s3.head_object,
                f"reading the destination {job.dest}",
                failure,
                Bucket=request.dest_bucket,
                Key=request.dest_key,
                ChecksumMode="ENABLED",
            )
        except _Missing:
            return None

    def _unchanged(
        self,
        job: _Job,
        dest_head: Mapping[str, Any] | None,
        marker: str | None,
        size: int | None,
    ) -> CopyOutcome | None:
        """`unchanged` when the destination already holds this version of the source."""
        if dest_head is None or marker is None:
            return None
        if (dest_head.get("Metadata") or {}).get(META_SOURCE_ETAG) != _ascii(marker):
            return None
        if size is not None and dest_head.get("ContentLength") != size:
            return None
        digest = _stored_digest(dest_head)
        if digest is None:
            return None
        return CopyOutcome(
            status="unchanged",
            size=int(dest_head["ContentLength"]),
            sha256=digest.sha256,
            checksum_type=digest.checksum_type,
            dest_key=job.request.dest_key,
            version_id=_version(dest_head.get("VersionId")),
            source_etag=marker,
            attempts=job.attempts,
        )

    def _metadata(self, job: _Job, marker: str | None, size: int | None) -> dict[str, str]:
        metadata = {META_RECORD_ID: _ascii(job.request.record_id)}
        if marker is not None:
            metadata[META_SOURCE_ETAG] = _ascii(marker)
        if size is not None:
            metadata[META_SOURCE_SIZE] = str(size)
        return metadata

    def _verify(self, job: _Job, size: int, expected: _Digest | None) -> dict[str, Any]:
        """HEAD the new object: its size must be `size` and S3's checksum must agree."""
        head = self._head_dest(job)
        if head is None:
            raise ChecksumMismatchError(f"{job.dest} is missing right after it was written")
        actual_size = int(head.get("ContentLength", -1))
        if actual_size != size:
            self._discard(job)
            raise ChecksumMismatchError(
                f"{job.dest} is {actual_size} bytes but the source is {size} bytes; "
                "the copy was removed"
            )
        stored = _s3_digest(head.get("ChecksumSHA256"), head.get("ChecksumType"), head.get("ETag"))
        if expected is not None and stored is not None and not expected.agrees_with(stored):
            self._discard(job)
            raise ChecksumMismatchError(
                f"{job.dest}: S3 reports SHA-256 {stored.sha256} but the source has "
                f"{expected.sha256}; the copy was removed"
            )
        return head

    def _discard(self, job: _Job) -> None:
        """Remove a copy that failed verification, so no rerun mistakes it for good."""
        try:
            self.dest_s3.delete_object(Bucket=job.request.dest_bucket, Key=job.request.dest_key)
        except (ClientError, BotoCoreError) as exc:
            logger.warning(
                "could not remove a copy that failed verification",
                extra={"dest": job.dest, "error": str(exc)},
            )

    def _abort(self, job: _Job, upload_id: str) -> None:
        try:
            self.dest_s3.abort_multipart_upload(
                Bucket=job.request.dest_bucket, Key=job.request.dest_key, UploadId=upload_id
            )
        except (ClientError, BotoCoreError) as exc:
            logger.warning(
                "could not abort a multipart upload",
                extra={"dest": job.dest, "upload_id": upload_id, "error": str(exc)},
            )

    def _write_failure(self, job: _Job, action: str) -> Callable[[Any], NoReturn]:
        def failure(exc: ClientError | BotoCoreError) -> NoReturn:
            if isinstance(exc, ClientError):
                if _code(exc) in _DIGEST_CODES:
                    raise ChecksumMismatchError(
                        f"{action} {job.dest}: S3 rejected the data ({_describe(exc)})"
                    ) from exc
                raise UploadError(f"{action} {job.dest}: {_describe(exc)}") from exc
            raise UploadError(f"{action} {job.dest}: {exc}") from exc

        return failure

    # ------------------------------------------------------------- S3 -> S3

    def _copy_s3(self, job: _Job, source: S3Source) -> CopyOutcome:
        listed = job.request.listed
        if listed is not None:
            try:
                return self._copy_s3_version(job, source, _listed_head(source, listed))
            except SourceChangedError:
                # Listed seconds ago and changed since: read the source again.
                logger.info(
                    "source changed since the chunk was listed; reading it again",
                    extra={"record_id": job.request.record_id, "key": source.key},
                )
        return self._copy_s3_version(job, source, self._head_source(job, source))

    def _head_source(self, job: _Job, source: S3Source) -> dict[str, Any]:
        where = f"s3://{source.bucket}/{source.key}"

        def source_failure(exc: ClientError | BotoCoreError) -> NoReturn:
            if isinstance(exc, ClientError):
                if _code(exc) in _NOT_FOUND_CODES:
                    raise SourceNotFoundError(f"{where} does not exist") from exc
                if _code(exc) in _DENIED_CODES:
                    raise SourceAccessDeniedError(
                        f"access denied reading {where} ({_describe(exc)})"
                    ) from exc
                raise DownloadError(f"cannot read {where}: {_describe(exc)}") from exc
            raise DownloadError(f"cannot read {where}: {exc}") from exc

        return self._s3(
            job,
            self.source_s3.head_object,
            f"reading {where}",
            source_failure,
            transient=DownloadError,
            Bucket=source.bucket,
            Key=source.key,
            ChecksumMode="ENABLED",
        )

    def _copy_s3_version(self, job: _Job, source: S3Source, head: Mapping[str, Any]) -> CopyOutcome:
        """Copy the source version `head` describes (its ETag), or fail with SourceChangedError."""
        request = job.request
        where = f"s3://{source.bucket}/{source.key}"
        size = int(head["ContentLength"])
        etag = str(head["ETag"])
        marker = _strip_etag(etag)
        if request.max_bytes is not None and size > request.max_bytes:
            raise FileTooLargeError(
                f"{where} is {size} bytes, over the {request.max_bytes}-byte limit"
            )
        source_digest = _s3_digest(head.get("ChecksumSHA256"), head.get("ChecksumType"), etag)

        conditional = request.expect_new and size <= self.copy_object_limit
        if not conditional and (done := self._unchanged(job, self._head_dest(job), marker, size)):
            return done

        metadata = self._metadata(job, marker, size)
        if source_digest is not None and source_digest.checksum_type == "FULL_OBJECT":
            metadata[META_SHA256] = source_digest.sha256
        copy_source = {"Bucket": source.bucket, "Key": source.key}

        def copy_failure(exc: ClientError | BotoCoreError) -> NoReturn:
            if isinstance(exc, ClientError):
                code = _code(exc)
                if code == "PreconditionFailed" or _status(exc) == 412:
                    raise SourceChangedError(
                        f"{where} changed while it was being copied (ETag {etag} no longer "
                        "matches); the copy was not made"
                    ) from exc
                if code in _NOT_FOUND_CODES and code != "NoSuchBucket":
                    raise SourceNotFoundError(f"{where} disappeared during the copy") from exc
            self._write_failure(job, f"copying {where} to")(exc)

        if conditional:
            try:
                digest, version_id = self._copy_object(
                    job, where, copy_source, etag, head, metadata, copy_failure, if_none_match=True
                )
            except SourceChangedError:
                # 412: the source changed, or (If-None-Match) the object already exists.
                existing = self._head_dest(job)
                if existing is None:
                    raise
                if done := self._unchanged(job, existing, marker, size):
                    return done
                digest, version_id = self._copy_object(
                    job, where, copy_source, etag, head, metadata, copy_failure
                )
        elif size <= self.copy_object_limit:
            digest, version_id = self._copy_object(
                job, where, copy_source, etag, head, metadata, copy_failure
            )
        else:
            digest, version_id = self._copy_parts(
                job, where, copy_source, etag, size, head, metadata, copy_failure
            )

        if (
            source_digest is not None
            and digest is not None
            and not source_digest.agrees_with(digest)
        ):
            self._discard(job)
            raise ChecksumMismatchError(
                f"{where} has SHA-256 {source_digest.sha256} but its copy {job.dest} has "
                f"{digest.sha256}; the copy was removed"
            )
        if (
            digest is not None
            and digest.checksum_type == "FULL_OBJECT"
            and size <= self.copy_object_limit
        ):
            # A single server-side CopyObject of the version we HEADed (CopySourceIfMatch)
            # is atomic: S3's own SHA-256 of the result is the verification, no HEAD needed.
            dest_head: Mapping[str, Any] = {}
        else:
            dest_head = self._verify(job, size, digest or source_digest)
            digest = digest or _stored_digest(dest_head)
        if digest is None:
            raise UploadError(f"S3 reported no SHA-256 for {job.dest}")
        return CopyOutcome(
            status="copied",
            size=size,
            sha256=digest.sha256,
            checksum_type=digest.checksum_type,
            dest_key=request.dest_key,
            version_id=version_id or _version(dest_head.get("VersionId")),
            source_etag=marker,
            attempts=job.attempts,
        )

    def _copy_object(
        self,
        job: _Job,
        where: str,
        copy_source: dict[str, str],
        etag: str,
        head: Mapping[str, Any],
        metadata: dict[str, str],
        failure: Callable[[Any], NoReturn],
        *,
        if_none_match: bool = False,
    ) -> tuple[_Digest | None, str | None]:
        conditions: dict[str, Any] = {"IfNoneMatch": "*"} if if_none_match else {}
        response = self._s3(
            job,
            self.dest_s3.copy_object,
            f"copying {where} to {job.dest}",
            failure,
            Bucket=job.request.dest_bucket,
            Key=job.request.dest_key,
            CopySource=copy_source,
            CopySourceIfMatch=etag,
            ChecksumAlgorithm="SHA256",
            MetadataDirective="REPLACE",
            Metadata=metadata,
            **conditions,
            **_carried(head),
        )
        result = response.get("CopyObjectResult", {})
        value = result.get("ChecksumSHA256")
        digest = _s3_digest(value, result.get("ChecksumType") or "FULL_OBJECT")
        return digest, _version(response.get("VersionId"))

    def _copy_parts(
        self,
        job: _Job,
        where: str,
        copy_source: dict[str, str],
        etag: str,
        size: int,
        head: Mapping[str, Any],
        metadata: dict[str, str],
        failure: Callable[[Any], NoReturn],
    ) -> tuple[_Digest | None, str | None]:
        request = job.request
        part_size = max(self.copy_part_size, math.ceil(size / MAX_PARTS))
        created = self._s3(
            job,
            self.dest_s3.create_multipart_upload,
            f"starting the multipart copy to {job.dest}",
            self._write_failure(job, "starting the multipart copy to"),
            Bucket=request.dest_bucket,
            Key=request.dest_key,
            ChecksumAlgorithm="SHA256",
            Metadata=metadata,
            **_carried(head),
        )
        upload_id = created["UploadId"]
        try:
            parts: list[dict[str, Any]] = []
            for number, start in enumerate(range(0, size, part_size), start=1):
                end = min(start + part_size, size) - 1
                response = self._s3(
                    job,
                    self.dest_s3.upload_part_copy,
                    f"copying bytes {start}-{end} of {where} to {job.dest}",
                    failure,
                    Bucket=request.dest_bucket,
                    Key=request.dest_key,
                    UploadId=upload_id,
                    PartNumber=number,
                    CopySource=copy_source,
                    CopySourceRange=f"bytes={start}-{end}",
                    CopySourceIfMatch=etag,
                )
                result = response["CopyPartResult"]
                part = {"PartNumber": number, "ETag": result["ETag"]}
                if result.get("ChecksumSHA256"):
                    part["ChecksumSHA256"] = result["ChecksumSHA256"]
                parts.append(part)
            completed = self._s3(
                job,
                self.dest_s3.complete_multipart_upload,
                f"completing the multipart copy to {job.dest}",
                failure,
                Bucket=request.dest_bucket,
                Key=request.dest_key,
                UploadId=upload_id,
                MultipartUpload={"Parts": parts},
            )
        except BaseException:
            self._abort(job, upload_id)
            raise
        digest = _s3_digest(completed.get("ChecksumSHA256"), "COMPOSITE")
        if digest is None and all("ChecksumSHA256" in part for part in parts):
            digest = _composite([base64.b64decode(part["ChecksumSHA256"]) for part in parts])
        if digest is not None and "-" not in digest.sha256:
            digest = _Digest(f"{digest.sha256}-{len(parts)}", "COMPOSITE")
        return digest, _version(completed.get("VersionId"))

    # ----------------------------------------------------------- HTTP -> S3

    def _session(self) -> requests.Session:
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = self._session_factory()
            self._local.session = session
        return session

    def _open(self, job: _Job, url: str, where: str, hide_cause: bool) -> requests.Response:
        session = self._session()

        def attempt() -> requests.Response:
            try:
                response = session.get(
                    url,
                    stream=True,
                    timeout=self.http_timeout,
                    headers={"Accept-Encoding": "identity"},
                )
            except (requests.ConnectionError, requests.Timeout) as exc:
                raise _Transient(
                    DownloadError,
                    f"{where}: connection failed ({type(exc).__name__}: {_scrub(str(exc))})",
                    cause=None if hide_cause else exc,
                ) from None
            except requests.RequestException as exc:
                error = DownloadError(f"{where}: {type(exc).__name__}: {_scrub(str(exc))}")
                raise error from (None if hide_cause else exc)
            status = response.status_code
            if 200 <= status < 300:
                return response
            response.close()
            if status in (404, 410):
                raise SourceNotFoundError(f"{where}: HTTP {status}, the file does not exist")
            if status in (401, 403):
                raise SourceAccessDeniedError(f"{where}: HTTP {status}, access denied")
            if status in (429, 503):
                raise _Transient(
                    ThrottledError,
                    f"{where}: HTTP {status}, the file host is throttling",
                    retry_after=_retry_after(response.headers),
                )
            raise DownloadError(f"{where}: HTTP {status} {response.reason or ''}".rstrip())

        return self._retrying(job, attempt)

    def _copy_http(self, job: _Job, source: HttpSource) -> CopyOutcome:
        request = job.request
        where = _redact(source.url)
        hide_cause = _has_secrets(source.url)
        dest_head = self._head_dest(job)
        response = self._open(job, source.url, where, hide_cause)
        try:
            headers = response.headers
            length = _int_header(headers, "Content-Length")
            if request.max_bytes is not None and length is not None and length > request.max_bytes:
                raise FileTooLargeError(
                    f"{where} is {length} bytes, over the {request.max_bytes}-byte limit"
                )
            marker = _strip_etag(headers.get("ETag"))
            if marker is None and headers.get("Last-Modified") and length is not None:
                marker = f"last-modified:{headers['Last-Modified'].strip()};length:{length}"
            if done := self._unchanged(job, dest_head, marker, length):
                return done
            reader = _BodyReader(
                response,
                where=where,
                length=length,
                max_bytes=request.max_bytes,
                hide_cause=hide_cause,
            )
            extra: dict[str, Any] = {}
            if headers.get("Content-Type"):
                extra["ContentType"] = headers["Content-Type"]
            if headers.get("Content-Disposition"):
                extra["ContentDisposition"] = headers["Content-Disposition"]
            encoding = (headers.get("Content-Encoding") or "").strip()
            if encoding and encoding.lower() != "identity":
                extra["ContentEncoding"] = encoding
            part_size = self.part_size
            if length is not None:
                part_size = max(part_size, math.ceil(length / MAX_PARTS))
            # One buffer, refilled for every part: memory stays at one part.
            buffer = bytearray(part_size if length is None else min(part_size, length))
            filled = reader.fill(buffer)
            if filled < len(buffer) or reader.at_end():
                del buffer[filled:]
                return self._put_single(job, reader, buffer, marker, dest_head, extra)
            return self._put_parts(job, reader, buffer, part_size, marker, length, dest_head, extra)
        finally:
            response.close()

    def _same_content(
        self, job: _Job, dest_head: Mapping[str, Any] | None, size: int, candidates: list[_Digest]
    ) -> CopyOutcome | None:
        """For sources without a change marker: `unchanged` when the bytes are identical."""
        if dest_head is None or int(dest_head.get("ContentLength", -1)) != size:
            return None
        stored = _stored_digest(dest_head)
        if stored is None:
            return None
        for candidate in candidates:
            if candidate.comparable(stored) and candidate.hex == stored.hex:
                return CopyOutcome(
                    status="unchanged",
                    size=size,
                    sha256=candidates[0].sha256,
                    checksum_type=candidates[0].checksum_type,
                    dest_key=job.request.dest_key,
                    version_id=_version(dest_head.get("VersionId")),
                    source_etag=None,
                    attempts=job.attempts,
                )
        return None

    def _put_single(
        self,
        job: _Job,
        reader: _BodyReader,
        body: bytearray,
        marker: str | None,
        dest_head: Mapping[str, Any] | None,
        extra: dict[str, Any],
    ) -> CopyOutcome:
        request = job.request
        reader.check_complete()
        digest = _Digest(reader.sha256, "FULL_OBJECT")
        if marker is None and (same := self._same_content(job, dest_head, len(body), [digest])):
            return same
        metadata = self._metadata(job, marker, len(body))
        metadata[META_SHA256] = digest.sha256
        with _PartBody(body) as stream:
            response = self._s3(
                job,
                self.dest_s3.put_object,
                f"writing {job.dest}",
                self._write_failure(job, "writing"),
                Bucket=request.dest_bucket,
                Key=request.dest_key,
                Body=stream if body else b"",
                ChecksumAlgorithm="SHA256",
                ChecksumSHA256=base64.b64encode(bytes.fromhex(digest.sha256)).decode("ascii"),
                Metadata=metadata,
                **extra,
            )
        dest = self._verify(job, len(body), digest)
        return CopyOutcome(
            status="copied",
            size=len(body),
            sha256=digest.sha256,
            checksum_type="FULL_OBJECT",
            dest_key=request.dest_key,
            version_id=_version(response.get("VersionId")) or _version(dest.get("VersionId")),
            source_etag=marker,
            attempts=job.attempts,
        )

    def _put_parts(
        self,
        job: _Job,
        reader: _BodyReader,
        buffer: bytearray,
        part_size: int,
        marker: str | None,
        length: int | None,
        dest_head: Mapping[str, Any] | None,
        extra: dict[str, Any],
    ) -> CopyOutcome:
        request = job.request
        created = self._s3(
            job,
            self.dest_s3.create_multipart_upload,
            f"starting the upload of {job.dest}",
            self._write_failure(job, "starting the upload of"),
            Bucket=request.dest_bucket,
            Key=request.dest_key,
            ChecksumAlgorithm="SHA256",
            Metadata=self._metadata(job, marker, length),
            **extra,
        )
        upload_id = created["UploadId"]
        completed = False
        try:
            parts: list[dict[str, Any]] = []
            digests: list[bytes] = []
            while True:
                number = len(parts) + 1
                if number > MAX_PARTS:
                    raise UploadError(
                        f"{job.dest}: the file needs more than {MAX_PARTS} parts of "
                        f"{part_size} bytes"
                    )
                part_digest = hashlib.sha256(buffer).digest()
                with _PartBody(buffer) as body:
                    response = self._s3(
                        job,
                        self.dest_s3.upload_part,
                        f"uploading part {number} of {job.dest}",
                        self._write_failure(job, f"uploading part {number} of"),
                        Bucket=request.dest_bucket,
                        Key=request.dest_key,
                        UploadId=upload_id,
                        PartNumber=number,
                        Body=body,
                        ChecksumAlgorithm="SHA256",
                        ChecksumSHA256=base64.b64encode(part_digest).decode("ascii"),
                    )
                parts.append(
                    {
                        "PartNumber": number,
                        "ETag": response["ETag"],
                        "ChecksumSHA256": base64.b64encode(part_digest).decode("ascii"),
                    }
                )
                digests.append(part_digest)
                if reader.at_end():
                    break
                filled = reader.fill(buffer)
                if filled < len(buffer):  # the last part
                    del buffer[filled:]
            reader.check_complete()
            size = reader.received
            digest = _Digest(reader.sha256, "FULL_OBJECT")
            composite = _composite(digests)
            if marker is None and (
                same := self._same_content(job, dest_head, size, [digest, composite])
            ):
                return same
            done = self._s3(
                job,
                self.dest_s3.complete_multipart_upload,
                f"completing the upload of {job.dest}",
                self._write_failure(job, "completing the upload of"),
                Bucket=request.dest_bucket,
                Key=request.dest_key,
                UploadId=upload_id,
                MultipartUpload={"Parts": parts},
            )
            completed = True
        finally:
            if not completed:
                self._abort(job, upload_id)
        dest = self._verify(job, size, composite)
        return CopyOutcome(
            status="copied",
            size=size,
            sha256=digest.sha256,
            checksum_type="FULL_OBJECT",
            dest_key=request.dest_key,
            version_id=_version(done.get("VersionId")) or _version(dest.get("VersionId")),
            source_etag=marker,
            attempts=job.attempts,
        )


class _Missing(Exception):
    """Internal: the destination object does not exist."""


def _composite(part_digests: list[bytes]) -> _Digest:
    """S3's COMPOSITE SHA-256: the SHA-256 of the concatenated part digests."""
    combined = hashlib.sha256(b"".join(part_digests)).hexdigest()
    return _Digest(f"{combined}-{len(part_digests)}", "COMPOSITE")
