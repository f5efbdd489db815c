"""What a copy is asked to do and what it reports."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, TypeVar

from revops.migration.listing import ListedObject
from revops.migration.urls import HttpSource, S3Source

T = TypeVar("T")
ChecksumType = Literal["FULL_OBJECT", "COMPOSITE"]

META_RECORD_ID = "revops-record-id"
META_SOURCE_ETAG = "revops-source-etag"
META_SOURCE_SIZE = "revops-source-size"
META_SHA256 = "revops-sha256"


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
