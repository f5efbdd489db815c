"""S3 to S3: server-side `CopyObject`, or `UploadPartCopy` ranges above the limit."""

from __future__ import annotations

import base64
import math
from collections.abc import Callable, Mapping
from typing import Any, NoReturn

from botocore.exceptions import BotoCoreError, ClientError

from revops.migration.transfer.core import (
    MAX_DESTINATION_RACES,
    CopierCore,
    Job,
    Precondition,
    destination_condition,
    same_version,
)
from revops.migration.transfer.errors import (
    ChecksumMismatchError,
    DownloadError,
    FileTooLargeError,
    SourceAccessDeniedError,
    SourceChangedError,
    SourceNotFoundError,
    UploadError,
)
from revops.migration.transfer.models import META_SHA256, CopyOutcome
from revops.migration.transfer.wire import (
    DENIED_CODES,
    MAX_PARTS,
    NOT_FOUND_CODES,
    Digest,
    carried_headers,
    composite_digest,
    describe,
    error_code,
    listed_head,
    s3_digest,
    stored_digest,
    strip_etag,
    version_id_of,
)
from revops.migration.urls import S3Source
from revops.observability import logger


class S3Copier(CopierCore):
    """Copies S3 sources server-side."""

    def _copy_s3(self, job: Job, source: S3Source) -> CopyOutcome:
        listed = job.request.listed
        if listed is not None:
            try:
                return self._copy_s3_version(job, source, listed_head(source, listed))
            except SourceChangedError:
                # Listed seconds ago and changed since: read the source again.
                logger.info(
                    "source changed since the chunk was listed; reading it again",
                    extra={"record_id": job.request.record_id, "key": source.key},
                )
        return self._copy_s3_version(job, source, self._head_source(job, source))

    def _head_source(self, job: Job, source: S3Source) -> dict[str, Any]:
        where = f"s3://{source.bucket}/{source.key}"

        def source_failure(exc: ClientError | BotoCoreError) -> NoReturn:
            if isinstance(exc, ClientError):
                if error_code(exc) in NOT_FOUND_CODES:
                    raise SourceNotFoundError(f"{where} does not exist") from exc
                if error_code(exc) in DENIED_CODES:
                    raise SourceAccessDeniedError(
                        f"access denied reading {where} ({describe(exc)})"
                    ) from exc
                raise DownloadError(f"cannot read {where}: {describe(exc)}") from exc
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

    def _copy_denied(self, job: Job, source: S3Source, exc: ClientError) -> NoReturn:
        """A 403 on a server-side copy is `access_denied`, whichever side S3 refused.

        The copy reads the source with the backup role's own permissions, so a
        source we may list but not read fails here, not in the listing. A HEAD of the
        source tells the operator which side to fix.
        """
        where = f"s3://{source.bucket}/{source.key}"
        try:
            self.source_s3.head_object(Bucket=source.bucket, Key=source.key)
        except (ClientError, BotoCoreError):
            raise SourceAccessDeniedError(
                f"access denied reading {where} ({describe(exc)})"
            ) from exc
        raise SourceAccessDeniedError(
            f"access denied copying {where} to {job.dest} ({describe(exc)}): the source "
            "answers HEAD, so check s3:GetObject on it and s3:PutObject on the backup bucket"
        ) from exc

    def _copy_s3_version(self, job: Job, source: S3Source, head: Mapping[str, Any]) -> CopyOutcome:
        """Copy the source version `head` describes (its ETag), or fail with SourceChangedError."""
        request = job.request
        where = f"s3://{source.bucket}/{source.key}"
        size = int(head["ContentLength"])
        etag = str(head["ETag"])
        marker = strip_etag(etag)
        if request.max_bytes is not None and size > request.max_bytes:
            raise FileTooLargeError(
                f"{where} is {size} bytes, over the {request.max_bytes}-byte limit"
            )
        source_digest = s3_digest(head.get("ChecksumSHA256"), head.get("ChecksumType"), etag)

        single = size <= self.copy_object_limit
        # A record never tracked has no copy yet: skip the destination HEAD and write
        # only if nothing is there. A copy a crash left behind then answers 412.
        dest_head = None if request.expect_new and single else self._head_dest(job)
        if done := self._unchanged(job, dest_head, marker, size):
            return done

        metadata = self._metadata(job, marker, size)
        if source_digest is not None and source_digest.checksum_type == "FULL_OBJECT":
            metadata[META_SHA256] = source_digest.sha256
        copy_source = {"Bucket": source.bucket, "Key": source.key}

        def copy_failure(exc: ClientError | BotoCoreError) -> NoReturn:
            if isinstance(exc, ClientError):
                code = error_code(exc)
                if code in NOT_FOUND_CODES and code != "NoSuchBucket":
                    raise SourceNotFoundError(f"{where} disappeared during the copy") from exc
                if code in DENIED_CODES:
                    self._copy_denied(job, source, exc)
            self._write_failure(job, f"copying {where} to")(exc)

        for _race in range(MAX_DESTINATION_RACES):
            conditions = destination_condition(dest_head)
            try:
                if single:
                    digest, version_id = self._copy_object(
                        job, where, copy_source, etag, head, metadata, copy_failure, conditions
                    )
                else:
                    digest, version_id = self._copy_parts(
                        job,
                        where,
                        copy_source,
                        etag,
                        size,
                        head,
                        metadata,
                        copy_failure,
                        conditions,
                    )
                break
            except Precondition as failed:
                current = self._head_dest(job)
                if same_version(current, dest_head):
                    # The destination is as we found it: the source's ETag failed.
                    raise SourceChangedError(
                        f"{where} changed while it was being copied (ETag {etag} no longer "
                        "matches); the copy was not made"
                    ) from failed.__cause__
                # Written meanwhile: by our own earlier attempt whose answer was lost,
                # by a crashed run, or by another writer.
                if done := self._unchanged(job, current, marker, size):
                    return done
                dest_head = current
        else:
            raise UploadError(
                f"{job.dest} kept changing while {where} was copied to it (another writer?); "
                "the copy was not made"
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
            written: Mapping[str, Any] = {}
        else:
            written = self._verify(job, size, digest or source_digest)
            digest = digest or stored_digest(written)
        if digest is None:
            raise UploadError(f"S3 reported no SHA-256 for {job.dest}")
        return CopyOutcome(
            status="copied",
            size=size,
            sha256=digest.sha256,
            checksum_type=digest.checksum_type,
            dest_key=request.dest_key,
            version_id=version_id or version_id_of(written.get("VersionId")),
            source_etag=marker,
            attempts=job.attempts,
        )

    def _copy_object(
        self,
        job: Job,
        where: str,
        copy_source: dict[str, str],
        etag: str,
        head: Mapping[str, Any],
        metadata: dict[str, str],
        failure: Callable[[Any], NoReturn],
        conditions: dict[str, Any],
    ) -> tuple[Digest | None, str | None]:
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
            **carried_headers(head),
        )
        result = response.get("CopyObjectResult", {})
        value = result.get("ChecksumSHA256")
        digest = s3_digest(value, result.get("ChecksumType") or "FULL_OBJECT")
        return digest, version_id_of(response.get("VersionId"))

    def _copy_parts(
        self,
        job: Job,
        where: str,
        copy_source: dict[str, str],
        etag: str,
        size: int,
        head: Mapping[str, Any],
        metadata: dict[str, str],
        failure: Callable[[Any], NoReturn],
        conditions: dict[str, Any],
    ) -> tuple[Digest | None, str | None]:
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
            **carried_headers(head),
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
                **conditions,
            )
        except BaseException:
            self._abort(job, upload_id)
            raise
        digest = s3_digest(completed.get("ChecksumSHA256"), "COMPOSITE")
        if digest is None and all("ChecksumSHA256" in part for part in parts):
            digest = composite_digest([base64.b64decode(part["ChecksumSHA256"]) for part in parts])
        if digest is not None and "-" not in digest.sha256:
            digest = Digest(f"{digest.sha256}-{len(parts)}", "COMPOSITE")
        return digest, version_id_of(completed.get("VersionId"))

    # ----------------------------------------------------------- HTTP -> S3
