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

from revops.migration.transfer.copier import FileCopier
from revops.migration.transfer.errors import (
    ChecksumMismatchError,
    DownloadError,
    FileTooLargeError,
    SourceAccessDeniedError,
    SourceChangedError,
    SourceNotFoundError,
    ThrottledError,
    TransferError,
    UploadError,
)
from revops.migration.transfer.models import (
    META_RECORD_ID,
    META_SHA256,
    META_SOURCE_ETAG,
    META_SOURCE_SIZE,
    CopyOutcome,
    CopyRequest,
)
from revops.migration.transfer.wire import s3_client

__all__ = [
    "META_RECORD_ID",
    "META_SHA256",
    "META_SOURCE_ETAG",
    "META_SOURCE_SIZE",
    "ChecksumMismatchError",
    "CopyOutcome",
    "CopyRequest",
    "DownloadError",
    "FileCopier",
    "FileTooLargeError",
    "SourceAccessDeniedError",
    "SourceChangedError",
    "SourceNotFoundError",
    "ThrottledError",
    "TransferError",
    "UploadError",
    "s3_client",
]
