"""The copier's shared machinery: retries with backoff, S3 calls, destination checks."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, NoReturn

import requests
from botocore.exceptions import BotoCoreError, ClientError

from revops.integrations import transport
from revops.migration.transfer.errors import (
    ChecksumMismatchError,
    ThrottledError,
    TransferError,
    UploadError,
)
from revops.migration.transfer.models import (
    META_RECORD_ID,
    META_SOURCE_ETAG,
    META_SOURCE_SIZE,
    CopyOutcome,
    CopyRequest,
    T,
)
from revops.migration.transfer.wire import (
    BOTO_TRANSIENT,
    DIGEST_CODES,
    HTTP_TIMEOUT,
    MAX_COPY_OBJECT,
    MAX_DELAY,
    MIN_PART_SIZE,
    TRANSIENT_CODES,
    Digest,
    ascii_header,
    describe,
    error_code,
    http_status,
    is_throttle,
    s3_digest,
    stored_digest,
    version_id_of,
)
from revops.observability import logger


@dataclass
class Job:
    """Per-copy state (the copier itself is shared between threads)."""

    request: CopyRequest
    retries: int = 0

    @property
    def attempts(self) -> int:
        return 1 + self.retries

    @property
    def dest(self) -> str:
        return f"s3://{self.request.dest_bucket}/{self.request.dest_key}"


class Transient(Exception):
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


class Missing(Exception):
    """Internal: the destination object does not exist."""


class Precondition(Exception):
    """Internal: S3 answered 412 to a conditional write; the caller finds out whose
    condition failed (the source's ETag, or the destination's state)."""


# How often a write is retried against a destination that another writer keeps
# changing between our HEAD and our conditional write.
MAX_DESTINATION_RACES = 3


def destination_condition(dest_head: Mapping[str, Any] | None) -> dict[str, Any]:
    """Write only over what we last saw: nothing (`If-None-Match: *`) or that version.

    A retried write whose first attempt landed but whose answer was lost (a 500,
    retried by botocore or by us) then fails with 412 instead of storing a second,
    identical version; the caller finds its own copy there and reports it.
    """
    if dest_head is None or not dest_head.get("ETag"):
        return {"IfNoneMatch": "*"}
    return {"IfMatch": str(dest_head["ETag"])}


def same_version(a: Mapping[str, Any] | None, b: Mapping[str, Any] | None) -> bool:
    """Two HEADs of one key show the same object (or both show none)."""
    if a is None or b is None:
        return a is None and b is None
    return (a.get("VersionId"), a.get("ETag")) == (b.get("VersionId"), b.get("ETag"))


def is_precondition_failure(exc: ClientError) -> bool:
    return error_code(exc) == "PreconditionFailed" or http_status(exc) == 412


class CopierCore:
    """What both kinds of copy share: settings, retries, S3 calls, destination checks.

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

    # ------------------------------------------------------------- retrying

    def _delay(self, retry: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, MAX_DELAY)
        return random.uniform(0.0, min(MAX_DELAY, self.base_delay * 2**retry))

    def _retrying(self, job: Job, attempt: Callable[[], T]) -> T:
        for retry in range(self.max_attempts):
            try:
                return attempt()
            except Transient as transient:
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
        job: Job,
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
                if is_throttle(exc):
                    raise Transient(
                        ThrottledError, f"{what}: S3 is throttling ({describe(exc)})", cause=exc
                    ) from exc
                if error_code(exc) in TRANSIENT_CODES or http_status(exc) >= 500:
                    raise Transient(
                        transient, f"{what}: S3 failed ({describe(exc)})", cause=exc
                    ) from exc
                failure(exc)
            except BOTO_TRANSIENT as exc:
                raise Transient(transient, f"{what}: cannot reach S3 ({exc})", cause=exc) from exc
            except BotoCoreError as exc:
                failure(exc)

        return self._retrying(job, attempt)

    # ----------------------------------------------------------------- S3 HEADs

    def _head_dest(self, job: Job) -> dict[str, Any] | None:
        """The destination object's HEAD, or None when there is none."""
        request = job.request

        def failure(exc: ClientError | BotoCoreError) -> NoReturn:
            if isinstance(exc, ClientError) and error_code(exc) in ("404", "NoSuchKey", "NotFound"):
                raise Missing from exc
            detail = describe(exc) if isinstance(exc, ClientError) else str(exc)
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
        except Missing:
            return None

    def _unchanged(
        self,
        job: Job,
        dest_head: Mapping[str, Any] | None,
        marker: str | None,
        size: int | None,
    ) -> CopyOutcome | None:
        """`unchanged` when the destination already holds this version of the source."""
        if dest_head is None or marker is None:
            return None
        if (dest_head.get("Metadata") or {}).get(META_SOURCE_ETAG) != ascii_header(marker):
            return None
        if size is not None and dest_head.get("ContentLength") != size:
            return None
        digest = stored_digest(dest_head)
        if digest is None:
            return None
        return CopyOutcome(
            status="unchanged",
            size=int(dest_head["ContentLength"]),
            sha256=digest.sha256,
            checksum_type=digest.checksum_type,
            dest_key=job.request.dest_key,
            version_id=version_id_of(dest_head.get("VersionId")),
            source_etag=marker,
            attempts=job.attempts,
        )

    def _metadata(self, job: Job, marker: str | None, size: int | None) -> dict[str, str]:
        metadata = {META_RECORD_ID: ascii_header(job.request.record_id)}
        if marker is not None:
            metadata[META_SOURCE_ETAG] = ascii_header(marker)
        if size is not None:
            metadata[META_SOURCE_SIZE] = str(size)
        return metadata

    def _verify(self, job: Job, size: int, expected: Digest | None) -> dict[str, Any]:
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
        stored = s3_digest(head.get("ChecksumSHA256"), head.get("ChecksumType"), head.get("ETag"))
        if expected is not None and stored is not None and not expected.agrees_with(stored):
            self._discard(job)
            raise ChecksumMismatchError(
                f"{job.dest}: S3 reports SHA-256 {stored.sha256} but the source has "
                f"{expected.sha256}; the copy was removed"
            )
        return head

    def _discard(self, job: Job) -> None:
        """Remove a copy that failed verification, so no rerun mistakes it for good."""
        try:
            self.dest_s3.delete_object(Bucket=job.request.dest_bucket, Key=job.request.dest_key)
        except (ClientError, BotoCoreError) as exc:
            logger.warning(
                "could not remove a copy that failed verification",
                extra={"dest": job.dest, "error": str(exc)},
            )

    def _abort(self, job: Job, upload_id: str) -> None:
        try:
            self.dest_s3.abort_multipart_upload(
                Bucket=job.request.dest_bucket, Key=job.request.dest_key, UploadId=upload_id
            )
        except (ClientError, BotoCoreError) as exc:
            logger.warning(
                "could not abort a multipart upload",
                extra={"dest": job.dest, "upload_id": upload_id, "error": str(exc)},
            )

    def _write_failure(self, job: Job, action: str) -> Callable[[Any], NoReturn]:
        def failure(exc: ClientError | BotoCoreError) -> NoReturn:
            if isinstance(exc, ClientError):
                if is_precondition_failure(exc):
                    raise Precondition(f"{action} {job.dest}: {describe(exc)}") from exc
                if error_code(exc) in DIGEST_CODES:
                    raise ChecksumMismatchError(
                        f"{action} {job.dest}: S3 rejected the data ({describe(exc)})"
                    ) from exc
                raise UploadError(f"{action} {job.dest}: {describe(exc)}") from exc
            raise UploadError(f"{action} {job.dest}: {exc}") from exc

        return failure

    # ------------------------------------------------------------- S3 -> S3
