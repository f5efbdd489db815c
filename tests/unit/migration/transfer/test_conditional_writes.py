"""Every write is conditional on what the destination held, so a retried write whose
first attempt landed (its answer lost to a 500) never stores a second version, and a
403 on a copy is always `access_denied`."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from local.aws_faults import lost_responses
from local.files import FakeFileHost
from revops.migration.listing import ListedObject
from revops.migration.transfer import FileCopier, SourceAccessDeniedError
from tests.unit.migration.transfer.support import (
    DEST,
    PART,
    SRC,
    data,
    dest_bytes,
    http_request,
    listed,
    s3_request,
    sha,
)


@pytest.fixture
def versioned(s3: Any) -> Any:
    s3.put_bucket_versioning(Bucket=DEST, VersioningConfiguration={"Status": "Enabled"})
    return s3


def versions(s3: Any, key: str) -> int:
    listing = s3.list_object_versions(Bucket=DEST, Prefix=key)
    return sum(1 for v in listing.get("Versions", []) if v["Key"] == key)


@pytest.mark.parametrize("new", [True, False], ids=["new record", "tracked record"])
def test_a_server_side_copy_whose_answer_was_lost_is_not_stored_twice(
    versioned: Any, copier: FileCopier, new: bool
) -> None:
    body = data(30_000)
    versioned.put_object(Bucket=SRC, Key="doc.pdf", Body=body)

    with lost_responses(versioned, "CopyObject") as lost:
        outcome = copier.copy(s3_request("doc.pdf", expect_new=new))

    assert lost.lost == 1
    assert versions(versioned, "backup/doc.pdf") == 1
    assert (outcome.size, outcome.sha256) == (len(body), sha(body))
    assert dest_bytes(versioned, "backup/doc.pdf") == body


def test_a_changed_source_replaces_the_copy_once_even_when_the_answer_is_lost(
    versioned: Any, copier: FileCopier
) -> None:
    versioned.put_object(Bucket=SRC, Key="doc.pdf", Body=b"version one")
    copier.copy(s3_request("doc.pdf"))
    versioned.put_object(Bucket=SRC, Key="doc.pdf", Body=b"version two")

    with lost_responses(versioned, "CopyObject") as lost:
        copier.copy(s3_request("doc.pdf"))

    assert lost.lost == 1
    assert versions(versioned, "backup/doc.pdf") == 2  # the first copy and its one update
    assert dest_bytes(versioned, "backup/doc.pdf") == b"version two"


def test_a_multipart_copy_whose_completion_answer_was_lost_is_not_stored_twice(
    versioned: Any, make_copier: Any
) -> None:
    body = data(2 * PART + 10)
    versioned.put_object(Bucket=SRC, Key="big.bin", Body=body)
    copier = make_copier(copy_object_limit=PART, copy_part_size=PART)

    with lost_responses(versioned, "CompleteMultipartUpload") as lost:
        copier.copy(s3_request("big.bin"))

    assert lost.lost == 1
    assert versions(versioned, "backup/big.bin") == 1
    assert dest_bytes(versioned, "backup/big.bin") == body


@pytest.mark.parametrize("size", [40_000, 2 * PART + 7], ids=["one PUT", "multipart"])
def test_a_streamed_upload_whose_answer_was_lost_is_not_stored_twice(
    versioned: Any, host: FakeFileHost, copier: FileCopier, size: int
) -> None:
    body = data(size, 5)
    url = host.add_file("scans/receipt.png", body)
    operation = "PutObject" if size < PART else "CompleteMultipartUpload"

    with lost_responses(versioned, operation) as lost:
        outcome = copier.copy(http_request(url))

    assert lost.lost == 1
    assert versions(versioned, "backup/http.bin") == 1
    assert outcome.sha256 == sha(body)
    assert dest_bytes(versioned, "backup/http.bin") == body


def test_a_streamed_file_without_validators_is_not_stored_twice_either(
    versioned: Any, host: FakeFileHost, copier: FileCopier
) -> None:
    body = data(9_000, 6)
    url = host.add_file("scans/plain.txt", body, etag=None, last_modified=None)

    with lost_responses(versioned, "PutObject") as lost:
        copier.copy(http_request(url))

    assert lost.lost == 1
    assert versions(versioned, "backup/http.bin") == 1


def test_a_writer_that_replaced_the_copy_meanwhile_is_written_over_not_ignored(
    versioned: Any, other: Any, copier: FileCopier
) -> None:
    versioned.put_object(Bucket=SRC, Key="doc.pdf", Body=b"the source")
    # Someone wrote the destination between our HEAD and our copy.
    original = copier._head_dest

    def head_then_overwritten(job: Any) -> Any:
        seen = original(job)
        copier._head_dest = original  # type: ignore[method-assign]
        other.put_object(Bucket=DEST, Key="backup/doc.pdf", Body=b"someone else")
        return seen

    copier._head_dest = head_then_overwritten  # type: ignore[method-assign]
    copier.copy(s3_request("doc.pdf"))

    assert dest_bytes(versioned, "backup/doc.pdf") == b"the source"


# ------------------------------------------------------------------ access denied


def deny(client: Any, operation: str, key: str) -> None:
    """S3 refuses `operation` on the source `key` with 403 AccessDenied."""

    def refuse(params: dict[str, Any], model: Any, **_: Any) -> None:
        source = params.get("CopySource") or {}
        target = source.get("Key") if isinstance(source, dict) else str(source)
        if params.get("Key") == key or (target and target.endswith(key)):
            raise ClientError(
                {
                    "Error": {"Code": "AccessDenied", "Message": "Access Denied"},
                    "ResponseMetadata": {"HTTPStatusCode": 403},
                },
                model.name,
            )

    client.meta.events.register(f"before-parameter-build.s3.{operation}", refuse)


@pytest.mark.parametrize("how", ["listed", "headed", "multipart"])
def test_a_source_we_may_list_but_not_read_is_access_denied_every_time(
    s3: Any, other: Any, make_copier: Any, how: str
) -> None:
    body = data(2 * PART + 1 if how == "multipart" else 5_000)
    s3.put_object(Bucket=SRC, Key="private/contract.pdf", Body=body)
    known: ListedObject | None = listed(other, "private/contract.pdf")
    for operation in ("CopyObject", "UploadPartCopy", "HeadObject"):
        deny(s3, operation, "private/contract.pdf")
    if how == "headed":
        known = None
    copier = make_copier(copy_object_limit=PART, copy_part_size=PART)
    if how == "headed":
        # HEAD denied too: the source HEAD reports it.
        with pytest.raises(SourceAccessDeniedError) as caught:
            copier.copy(s3_request("private/contract.pdf"))
    else:
        with pytest.raises(SourceAccessDeniedError) as caught:
            copier.copy(s3_request("private/contract.pdf", expect_new=True, listed=known))

    assert caught.value.error_type == "access_denied"
    assert "private/contract.pdf" in str(caught.value)
    assert not s3.list_multipart_uploads(Bucket=DEST).get("Uploads")


def test_a_copy_refused_although_the_source_answers_head_is_still_access_denied(
    s3: Any, copier: FileCopier
) -> None:
    s3.put_object(Bucket=SRC, Key="doc.pdf", Body=b"readable")
    deny(s3, "CopyObject", "doc.pdf")

    with pytest.raises(SourceAccessDeniedError, match="s3:PutObject on the backup bucket"):
        copier.copy(s3_request("doc.pdf"))
