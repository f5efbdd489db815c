"""`FileCopier`: one object that copies any source we recognise into the backup bucket."""

from __future__ import annotations

from revops.migration.transfer.core import Job
from revops.migration.transfer.http_copy import HttpCopier
from revops.migration.transfer.models import CopyOutcome, CopyRequest
from revops.migration.transfer.s3_copy import S3Copier
from revops.migration.urls import S3Source
from revops.observability import logger


class FileCopier(S3Copier, HttpCopier):
    """Copies files into a bucket. One instance serves a whole thread pool.

    `dest_s3` writes the destination and performs the server-side copies (so it needs
    read access to S3 sources too); `source_s3` (default: `dest_s3`) reads source
    metadata. HTTP sessions come from `session_factory`, one per thread.
    """

    def copy(self, request: CopyRequest) -> CopyOutcome:
        """Copy one file; raises a `TransferError` subclass when it cannot."""
        job = Job(request)
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
