"""Copying S3 sources: server-side, checksummed, conditional, typed errors."""

from __future__ import annotations

import base64
import hashlib
import json
from collections import Counter
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto.core.authorization import enable_iam_authentication

from revops.errors import UpstreamThrottledError
from revops.migration.listing import ListedObject
from revops.migration.transfer import (
    META_RECORD_ID,
    META_SHA256,
    META_SOURCE_ETAG,
    META_SOURCE_SIZE,
    ChecksumMismatchError,
    CopyOutcome,
    CopyRequest,
    FileCopier,
    FileTooLargeError,
    SourceAccessDeniedError,
    SourceChangedError,
    SourceNotFoundError,
    ThrottledError,
)
from revops.migration.urls import S3Source, parse_source_url
from tests.unit.migration.transfer.support import (
    DEST,
    PART,
    REGION,
    SRC,
    Calls,
    Sleeps,
    composite,
    data,
    dest_bytes,
    dest_exists,
    listed,
    open_uploads,
    s3_request,
    sha,
    slow_down,
)


@pytest.mark.parametrize(
    ("key", "body", "content_type"),
    [
        ("0013D00000AbcDef/invoice_2024.pdf", data(70_000), "application/pdf"),
        ("0013D00000AbcDef/empty.txt", b"", "text/plain"),
        (
            "0013D00000AbcDef/Verträge/Übersicht \u2013 März.docx",
            data(3_000, 2),
            "application/msword",
        ),
        ("0013D00000AbcDef/Acme Corp/Q1 report (final).xlsx", data(512, 3), "text/csv"),
    ],
    ids=["small", "zero-byte", "unicode-key", "spaces-in-key"],
)
def test_s3_copy_is_server_side_and_byte_identical(
    s3: Any, calls: Calls, copier: FileCopier, key: str, body: bytes, content_type: str
) -> None:
    etag = s3.put_object(Bucket=SRC, Key=key, Body=body, ContentType=content_type)["ETag"]

    outcome = copier.copy(s3_request(key))

    assert outcome == CopyOutcome(
        status="copied",
        size=len(body),
        sha256=sha(body),
        checksum_type="FULL_OBJECT",
        dest_key=f"backup/{key}",
        version_id=None,
        source_etag=etag.strip('"'),
        attempts=1,
    )
    assert dest_bytes(s3, f"backup/{key}") == body
    head = s3.head_object(Bucket=DEST, Key=f"backup/{key}")
    assert head["ContentType"] == content_type
    assert head["Metadata"] == {
        META_RECORD_ID: "a0B5e000001AbCdEAK",
        META_SOURCE_ETAG: etag.strip('"'),
        META_SOURCE_SIZE: str(len(body)),
    }
    assert calls["CopyObject"] == 1
    assert calls["GetObject"] == 1  # only the assertion above: nothing went through memory
    assert calls["PutObject"] == 1  # only the set-up


def test_s3_url_forms_parse_into_copyable_sources(s3: Any, copier: FileCopier) -> None:
    s3.put_object(Bucket=SRC, Key="a/b c.pdf", Body=b"pdf")
    url = f"https://{SRC}.s3.us-east-1.amazonaws.com/a/b%20c.pdf"
    request = CopyRequest("rec1", parse_source_url(url), DEST, "rec1.pdf")
    assert copier.copy(request).sha256 == sha(b"pdf")


def test_rerun_reports_unchanged_without_copying_again(
    s3: Any, calls: Calls, copier: FileCopier
) -> None:
    body = data(40_000)
    s3.put_object(Bucket=SRC, Key="doc.pdf", Body=body)
    first = copier.copy(s3_request("doc.pdf"))
    before = Counter(calls.counts)

    again = copier.copy(s3_request("doc.pdf"))

    assert again.status == "unchanged"
    assert (again.sha256, again.size, again.checksum_type) == (sha(body), len(body), "FULL_OBJECT")
    assert again.source_etag == first.source_etag
    assert calls.counts - before == Counter({"HeadObject": 2})  # source and destination


def test_changed_source_is_copied_again_as_a_new_version(s3: Any, copier: FileCopier) -> None:
    s3.put_bucket_versioning(Bucket=DEST, VersioningConfiguration={"Status": "Enabled"})
    old, new = data(10_000, 1), data(12_000, 2)
    s3.put_object(Bucket=SRC, Key="doc.pdf", Body=old)
    first = copier.copy(s3_request("doc.pdf"))
    s3.put_object(Bucket=SRC, Key="doc.pdf", Body=new)

    second = copier.copy(s3_request("doc.pdf"))

    assert second.status == "copied"
    assert second.sha256 == sha(new)
    assert first.version_id and second.version_id and first.version_id != second.version_id
    assert dest_bytes(s3, "backup/doc.pdf") == new
    assert dest_bytes(s3, "backup/doc.pdf", first.version_id) == old
    versions = s3.list_object_versions(Bucket=DEST, Prefix="backup/doc.pdf")["Versions"]
    assert len(versions) == 2


def test_source_checksum_is_kept_and_checked(s3: Any, copier: FileCopier) -> None:
    body = data(2_000)
    s3.put_object(Bucket=SRC, Key="sealed.pdf", Body=body, ChecksumAlgorithm="SHA256")

    outcome = copier.copy(s3_request("sealed.pdf"))

    assert outcome.sha256 == sha(body)
    head = s3.head_object(Bucket=DEST, Key="backup/sealed.pdf")
    assert head["Metadata"][META_SHA256] == sha(body)


def test_copy_disagreeing_with_the_source_checksum_is_removed(s3: Any, copier: FileCopier) -> None:
    body = data(2_000)
    wrong = base64.b64encode(hashlib.sha256(b"something else").digest()).decode()
    # moto stores a supplied checksum without verifying it: a source whose recorded
    # SHA-256 no longer matches its bytes.
    s3.put_object(
        Bucket=SRC, Key="rotten.pdf", Body=body, ChecksumAlgorithm="SHA256", ChecksumSHA256=wrong
    )

    with pytest.raises(ChecksumMismatchError, match=r"rotten\.pdf"):
        copier.copy(s3_request("rotten.pdf"))

    assert not dest_exists(s3, "backup/rotten.pdf")


def test_large_s3_source_is_copied_in_parts_with_a_composite_checksum(
    s3: Any, calls: Calls, make_copier: Callable[..., FileCopier]
) -> None:
    body = data(2 * PART + 12_345)
    s3.put_object(Bucket=SRC, Key="big.zip", Body=body, ContentType="application/zip")
    copier = make_copier(copy_object_limit=PART, copy_part_size=PART)

    outcome = copier.copy(s3_request("big.zip"))

    assert outcome.status == "copied"
    assert outcome.checksum_type == "COMPOSITE"
    assert outcome.sha256 == composite(body, PART)
    assert outcome.sha256.endswith("-3")
    assert dest_bytes(s3, "backup/big.zip") == body
    head = s3.head_object(Bucket=DEST, Key="backup/big.zip")
    assert head["ContentType"] == "application/zip"
    assert head["Metadata"][META_SOURCE_SIZE] == str(len(body))
    assert (calls["UploadPartCopy"], calls["CopyObject"]) == (3, 0)
    assert open_uploads(s3) == []

    again = copier.copy(s3_request("big.zip"))
    assert (again.status, again.sha256, again.checksum_type) == (
        "unchanged",
        outcome.sha256,
        "COMPOSITE",
    )
    assert calls["UploadPartCopy"] == 3


def test_source_changed_between_head_and_copy_is_not_copied(
    s3: Any, other: Any, copier: FileCopier
) -> None:
    s3.put_object(Bucket=SRC, Key="doc.pdf", Body=b"version one")

    def overwrite(**_: Any) -> None:
        other.put_object(Bucket=SRC, Key="doc.pdf", Body=b"version two, longer")

    s3.meta.events.register_first("before-parameter-build.s3.CopyObject", overwrite)

    with pytest.raises(SourceChangedError, match="changed while it was being copied"):
        copier.copy(s3_request("doc.pdf"))

    assert not dest_exists(s3, "backup/doc.pdf")


def test_source_changed_during_a_multipart_copy_leaves_nothing_behind(
    s3: Any, other: Any, make_copier: Callable[..., FileCopier]
) -> None:
    body = data(2 * PART + 1)
    s3.put_object(Bucket=SRC, Key="big.zip", Body=body)
    copier = make_copier(copy_object_limit=PART, copy_part_size=PART)
    seen = Counter[str]()

    def overwrite_before_second_part(**_: Any) -> None:
        seen["parts"] += 1
        if seen["parts"] == 2:
            other.put_object(Bucket=SRC, Key="big.zip", Body=body[::-1])

    s3.meta.events.register_first(
        "before-parameter-build.s3.UploadPartCopy", overwrite_before_second_part
    )

    with pytest.raises(SourceChangedError):
        copier.copy(s3_request("big.zip"))

    assert not dest_exists(s3, "backup/big.zip")
    assert open_uploads(s3) == []


def test_s3_source_over_max_bytes_is_refused_before_copying(
    s3: Any, calls: Calls, copier: FileCopier
) -> None:
    s3.put_object(Bucket=SRC, Key="huge.mov", Body=data(5_000))

    with pytest.raises(FileTooLargeError, match="5000 bytes, over the 4096-byte limit"):
        copier.copy(s3_request("huge.mov", max_bytes=4096))

    assert calls["CopyObject"] == 0
    assert not dest_exists(s3, "backup/huge.mov")


def test_a_listed_source_is_copied_with_one_request_and_its_type_from_the_name(
    s3: Any, other: Any, calls: Calls, copier: FileCopier
) -> None:
    body = data(40_000)
    s3.put_object(Bucket=SRC, Key="acct/Q3 report.pdf", Body=body)
    request = s3_request(
        "acct/Q3 report.pdf", expect_new=True, listed=listed(other, "acct/Q3 report.pdf")
    )
    before = dict(calls.counts)

    outcome = copier.copy(request)

    assert {k: v - before.get(k, 0) for k, v in calls.counts.items() if v != before.get(k, 0)} == {
        "CopyObject": 1
    }
    assert (outcome.status, outcome.size, outcome.sha256) == ("copied", len(body), sha(body))
    head = s3.head_object(Bucket=DEST, Key="backup/acct/Q3 report.pdf")
    assert head["ContentType"] == "application/pdf"
    assert head["Metadata"][META_SOURCE_ETAG] == request.listed.etag.strip('"')  # type: ignore[union-attr]
    assert dest_bytes(s3, "backup/acct/Q3 report.pdf") == body


def test_a_source_changed_since_it_was_listed_is_read_again_and_copied_as_it_is_now(
    s3: Any, other: Any, calls: Calls, copier: FileCopier
) -> None:
    s3.put_object(Bucket=SRC, Key="doc.pdf", Body=b"version one")
    stale = listed(other, "doc.pdf")
    other.put_object(Bucket=SRC, Key="doc.pdf", Body=b"version two, longer")

    outcome = copier.copy(s3_request("doc.pdf", expect_new=True, listed=stale))

    assert (outcome.size, outcome.sha256) == (
        len(b"version two, longer"),
        sha(b"version two, longer"),
    )
    assert dest_bytes(s3, "backup/doc.pdf") == b"version two, longer"
    assert calls["HeadObject"] >= 1  # the fresh read of the source


def test_a_listed_source_over_max_bytes_is_refused_without_a_request(
    s3: Any, calls: Calls, copier: FileCopier
) -> None:
    s3.put_object(Bucket=SRC, Key="huge.mov", Body=data(5_000))
    before = sum(calls.counts.values())

    with pytest.raises(FileTooLargeError, match="5000 bytes, over the 4096-byte limit"):
        copier.copy(s3_request("huge.mov", max_bytes=4096, listed=ListedObject(5_000, '"e"')))

    assert sum(calls.counts.values()) == before


@pytest.mark.parametrize("bucket", [SRC, "no-such-bucket"])
def test_missing_s3_source_is_not_found(s3: Any, copier: FileCopier, bucket: str) -> None:
    request = CopyRequest("rec", S3Source(bucket, "gone.pdf"), DEST, "gone.pdf")

    with pytest.raises(SourceNotFoundError, match=f"s3://{bucket}/gone.pdf") as caught:
        copier.copy(request)

    assert caught.value.error_type == "not_found"
    assert isinstance(caught.value.__cause__, ClientError)


def test_unreadable_s3_source_is_access_denied(s3: Any) -> None:
    s3.put_object(Bucket=SRC, Key="private/contract.pdf", Body=b"secret")
    iam = boto3.client("iam", region_name=REGION)
    iam.create_user(UserName="migration")
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
            {
                "Effect": "Deny",
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{SRC}/private/*",
            },
        ],
    }
    iam.put_user_policy(UserName="migration", PolicyName="p", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName="migration")["AccessKey"]
    client = boto3.client(
        "s3",
        region_name=REGION,
        aws_access_key_id=key["AccessKeyId"],
        aws_secret_access_key=key["SecretAccessKey"],
        aws_session_token=None,
    )
    copier = FileCopier(dest_s3=client, sleep=lambda _: None)

    with enable_iam_authentication(), pytest.raises(SourceAccessDeniedError) as caught:
        copier.copy(s3_request("private/contract.pdf"))

    assert caught.value.error_type == "access_denied"
    assert not dest_exists(s3, "backup/private/contract.pdf")


def test_s3_slowdown_is_retried_with_backoff_then_copies(
    s3: Any, copier: FileCopier, sleeps: Sleeps
) -> None:
    s3.put_object(Bucket=SRC, Key="doc.pdf", Body=b"body")
    tries = slow_down(s3, "CopyObject", times=3)

    outcome = copier.copy(s3_request("doc.pdf"))

    assert outcome.status == "copied"
    assert outcome.attempts == 4
    assert tries["CopyObject"] == 4
    assert len(sleeps.delays) == 3
    caps = [0.2, 0.4, 0.8]  # full jitter: uniform(0, base_delay * 2**n)
    assert all(0 <= delay <= cap for delay, cap in zip(sleeps.delays, caps, strict=True))
    assert dest_bytes(s3, "backup/doc.pdf") == b"body"


def test_s3_slowdown_that_never_ends_is_throttled(
    s3: Any, make_copier: Callable[..., FileCopier], sleeps: Sleeps
) -> None:
    s3.put_object(Bucket=SRC, Key="doc.pdf", Body=b"body")
    tries = slow_down(s3, "CopyObject", times=1_000)
    copier = make_copier(max_attempts=4)

    with pytest.raises(ThrottledError, match="gave up after 4 attempts") as caught:
        copier.copy(s3_request("doc.pdf"))

    assert isinstance(caught.value, UpstreamThrottledError)
    assert caught.value.error_type == "throttled"
    assert tries["CopyObject"] == 4
    assert len(sleeps.delays) == 3
