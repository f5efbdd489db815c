"""The typed errors of a file copy: each names what the tracking table records."""

from __future__ import annotations

from typing import ClassVar

from revops.errors import RevopsError, UpstreamThrottledError


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
