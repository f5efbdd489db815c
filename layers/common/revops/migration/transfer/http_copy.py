"""HTTP to S3: stream the body into one PUT or a multipart upload, part by part."""

from __future__ import annotations

import base64
import hashlib
import math
from collections.abc import Mapping
from typing import Any

import requests

from revops.migration.transfer.body import BodyReader, PartBody
from revops.migration.transfer.core import (
    MAX_DESTINATION_RACES,
    CopierCore,
    Job,
    Precondition,
    Transient,
    destination_condition,
)
from revops.migration.transfer.errors import (
    DownloadError,
    FileTooLargeError,
    SourceAccessDeniedError,
    SourceNotFoundError,
    ThrottledError,
    UploadError,
)
from revops.migration.transfer.models import META_SHA256, CopyOutcome
from revops.migration.transfer.wire import (
    MAX_PARTS,
    Digest,
    composite_digest,
    has_secrets,
    int_header,
    redact,
    retry_after_seconds,
    scrub,
    stored_digest,
    strip_etag,
    version_id_of,
)
from revops.migration.urls import HttpSource


class HttpCopier(CopierCore):
    """Streams http(s) sources into the bucket."""

    def _session(self) -> requests.Session:
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = self._session_factory()
            self._local.session = session
        return session

    def _open(self, job: Job, url: str, where: str, hide_cause: bool) -> requests.Response:
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
                raise Transient(
                    DownloadError,
                    f"{where}: connection failed ({type(exc).__name__}: {scrub(str(exc))})",
                    cause=None if hide_cause else exc,
                ) from None
            except requests.RequestException as exc:
                error = DownloadError(f"{where}: {type(exc).__name__}: {scrub(str(exc))}")
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
                raise Transient(
                    ThrottledError,
                    f"{where}: HTTP {status}, the file host is throttling",
                    retry_after=retry_after_seconds(response.headers),
                )
            raise DownloadError(f"{where}: HTTP {status} {response.reason or ''}".rstrip())

        return self._retrying(job, attempt)

    def _copy_http(self, job: Job, source: HttpSource) -> CopyOutcome:
        request = job.request
        where = redact(source.url)
        hide_cause = has_secrets(source.url)
        dest_head = self._head_dest(job)
        response = self._open(job, source.url, where, hide_cause)
        try:
            headers = response.headers
            length = int_header(headers, "Content-Length")
            if request.max_bytes is not None and length is not None and length > request.max_bytes:
                raise FileTooLargeError(
                    f"{where} is {length} bytes, over the {request.max_bytes}-byte limit"
                )
            marker = strip_etag(headers.get("ETag"))
            if marker is None and headers.get("Last-Modified") and length is not None:
                marker = f"last-modified:{headers['Last-Modified'].strip()};length:{length}"
            if done := self._unchanged(job, dest_head, marker, length):
                return done
            reader = BodyReader(
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
        self, job: Job, dest_head: Mapping[str, Any] | None, size: int, candidates: list[Digest]
    ) -> CopyOutcome | None:
        """For sources without a change marker: `unchanged` when the bytes are identical."""
        if dest_head is None or int(dest_head.get("ContentLength", -1)) != size:
            return None
        stored = stored_digest(dest_head)
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
                    version_id=version_id_of(dest_head.get("VersionId")),
                    source_etag=None,
                    attempts=job.attempts,
                )
        return None

    def _already_there(
        self,
        job: Job,
        dest_head: Mapping[str, Any] | None,
        marker: str | None,
        size: int,
        candidates: list[Digest],
    ) -> CopyOutcome | None:
        """`unchanged` when the destination holds this version of the source."""
        if marker is not None:
            return self._unchanged(job, dest_head, marker, size)
        return self._same_content(job, dest_head, size, candidates)

    def _put_single(
        self,
        job: Job,
        reader: BodyReader,
        body: bytearray,
        marker: str | None,
        dest_head: Mapping[str, Any] | None,
        extra: dict[str, Any],
    ) -> CopyOutcome:
        request = job.request
        reader.check_complete()
        digest = Digest(reader.sha256, "FULL_OBJECT")
        if marker is None and (same := self._same_content(job, dest_head, len(body), [digest])):
            return same
        metadata = self._metadata(job, marker, len(body))
        metadata[META_SHA256] = digest.sha256
        for _race in range(MAX_DESTINATION_RACES):
            try:
                with PartBody(body) as stream:
                    response = self._s3(
                        job,
                        self.dest_s3.put_object,
                        f"writing {job.dest}",
                        self._write_failure(job, "writing"),
                        Bucket=request.dest_bucket,
                        Key=request.dest_key,
                        Body=stream if body else b"",
                        ChecksumAlgorithm="SHA256",
                        ChecksumSHA256=base64.b64encode(bytes.fromhex(digest.sha256)).decode(
                            "ascii"
                        ),
                        Metadata=metadata,
                        **destination_condition(dest_head),
                        **extra,
                    )
                break
            except Precondition:
                # Written meanwhile: by our own attempt whose answer was lost, or another writer.
                dest_head = self._head_dest(job)
                if done := self._already_there(job, dest_head, marker, len(body), [digest]):
                    return done
        else:
            raise UploadError(f"{job.dest} kept changing while it was written (another writer?)")
        dest = self._verify(job, len(body), digest)
        return CopyOutcome(
            status="copied",
            size=len(body),
            sha256=digest.sha256,
            checksum_type="FULL_OBJECT",
            dest_key=request.dest_key,
            version_id=version_id_of(response.get("VersionId"))
            or version_id_of(dest.get("VersionId")),
            source_etag=marker,
            attempts=job.attempts,
        )

    def _put_parts(
        self,
        job: Job,
        reader: BodyReader,
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
                with PartBody(buffer) as body:
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
            digest = Digest(reader.sha256, "FULL_OBJECT")
            composite = composite_digest(digests)
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
                **destination_condition(dest_head),
            )
            completed = True
        except Precondition:
            # Written meanwhile: by a lost answer's first attempt, or another writer.
            current = self._head_dest(job)
            if there := self._already_there(job, current, marker, size, [digest, composite]):
                return there
            raise UploadError(
                f"{job.dest} was written by someone else during the upload; the upload was "
                "abandoned, rerun to copy it again"
            ) from None
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
            version_id=version_id_of(done.get("VersionId")) or version_id_of(dest.get("VersionId")),
            source_etag=marker,
            attempts=job.attempts,
        )
