"""The per-file copy engine, against moto's S3 and the in-process file host.

What moto 5.2.5 does not do, and how these tests make up for it:

* `CopySourceIfMatch` is ignored by both CopyObject and UploadPartCopy. The
  `enforce_if_match` fixture adds the AWS behaviour (412 PreconditionFailed when
  the source's ETag differs) with a botocore `before-parameter-build` hook.
* Bucket policies are not evaluated. Access denied comes from moto's IAM mode
  (`enable_iam_authentication`) with a user whose policy denies reading a prefix.
* UploadPartCopy returns no part checksums and CompleteMultipartUpload returns no
  checksum; HEAD reports the composite SHA-256 without its `-<parts>` suffix. The
  copier falls back to the HEAD value and the multipart ETag's part count.
* Supplied checksums are stored but never verified, which lets one test plant a
  wrong SHA-256 on a source object.
* Completing a multipart upload builds the whole object in memory, so the memory
  test measures the copier's peak up to the completion call.
"""

from __future__ import annotations

import base64
import gc
import hashlib
import json
import random
import threading
import tracemalloc
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import unquote

import boto3
import pytest
import requests
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.core.authorization import enable_iam_authentication

from local.files import FakeFileHost
from revops.errors import UpstreamThrottledError
from revops.integrations import transport
from revops.migration.listing import ListedObject
from revops.migration.transfer import (
    META_RECORD_ID,
    META_SHA256,
    META_SOURCE_ETAG,
    META_SOURCE_SIZE,
    ChecksumMismatchError,
    CopyOutcome,
    CopyRequest,
    DownloadError,
    FileCopier,
    FileTooLargeError,
    SourceAccessDeniedError,
    SourceChangedError,
    SourceNotFoundError,
    ThrottledError,
    TransferError,
    s3_client,
)
from revops.migration.urls import HttpSource, S3Source, parse_source_url

REGION = "us-east-1"
SRC = "trackland-doc-storage"
DEST = "revops-file-backup"
MiB = 1024**2
PART = 5 * MiB  # S3's smallest part (except the last one)


# --------------------------------------------------------------------- fixtures


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        client = boto3.client("s3", region_name=REGION)
        client.create_bucket(Bucket=SRC)
        client.create_bucket(Bucket=DEST)
        yield client


@pytest.fixture
def other(s3: Any) -> Any:
    """A second client for test set-up inside hooks, so call counts stay clean."""
    return boto3.client("s3", region_name=REGION)


@pytest.fixture
def host() -> Iterator[FakeFileHost]:
    fake = FakeFileHost().install()
    yield fake
    fake.uninstall()


class Calls:
    """Counts S3 API calls made through one client (one `before-call` per request)."""

    def __init__(self, client: Any) -> None:
        self.counts: Counter[str] = Counter()
        client.meta.events.register("before-call.s3", self._count)

    def _count(self, event_name: str, **_: Any) -> None:
        self.counts[event_name.rsplit(".", 1)[-1]] += 1

    def __getitem__(self, operation: str) -> int:
        return self.counts[operation]


@pytest.fixture
def calls(s3: Any) -> Calls:
    return Calls(s3)


@pytest.fixture
def enforce_if_match(s3: Any, other: Any) -> None:
    """Make moto answer 412 to a copy whose `CopySourceIfMatch` is stale, as AWS does."""

    def check(params: dict[str, Any], model: Any, **_: Any) -> None:
        wanted = params.get("CopySourceIfMatch")
        if wanted is None:
            return
        # botocore has already encoded the CopySource dict as "bucket/url-quoted-key".
        bucket, _slash, key = unquote(params["CopySource"]).partition("/")
        etag = other.head_object(Bucket=bucket, Key=key)["ETag"]
        if etag.strip('"') != wanted.strip('"'):
            raise ClientError(
                {
                    "Error": {
                        "Code": "PreconditionFailed",
                        "Message": "At least one of the pre-conditions you specified did not hold",
                    },
                    "ResponseMetadata": {"HTTPStatusCode": 412},
                },
                model.name,
            )

    s3.meta.events.register("before-parameter-build.s3.CopyObject", check)
    s3.meta.events.register("before-parameter-build.s3.UploadPartCopy", check)


class Sleeps:
    def __init__(self) -> None:
        self.delays: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def make_copier(s3: Any, sleeps: Sleeps) -> Callable[..., FileCopier]:
    def make(**overrides: Any) -> FileCopier:
        options: dict[str, Any] = {"dest_s3": s3, "sleep": sleeps, "part_size": PART}
        options.update(overrides)
        return FileCopier(**options)

    return make


@pytest.fixture
def copier(make_copier: Callable[..., FileCopier]) -> FileCopier:
    return make_copier()


def data(size: int, seed: int = 7) -> bytes:
    return random.Random(seed).randbytes(size)


def sha(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def composite(body: bytes, part_size: int) -> str:
    digests = [
        hashlib.sha256(body[start : start + part_size]).digest()
        for start in range(0, len(body), part_size)
    ]
    return f"{hashlib.sha256(b''.join(digests)).hexdigest()}-{len(digests)}"


def s3_request(key: str, dest_key: str | None = None, **kwargs: Any) -> CopyRequest:
    return CopyRequest(
        record_id="a0B5e000001AbCdEAK",
        source=S3Source(SRC, key),
        dest_bucket=DEST,
        dest_key=dest_key or f"backup/{key}",
        **kwargs,
    )


def http_request(url: str, dest_key: str = "backup/http.bin", **kwargs: Any) -> CopyRequest:
    return CopyRequest(
        record_id="a0B5e000001XyZaEAK",
        source=HttpSource(url),
        dest_bucket=DEST,
        dest_key=dest_key,
        **kwargs,
    )


def dest_bytes(s3: Any, key: str, version_id: str | None = None) -> bytes:
    extra = {"VersionId": version_id} if version_id else {}
    body: bytes = s3.get_object(Bucket=DEST, Key=key, **extra)["Body"].read()
    return body


def dest_exists(s3: Any, key: str) -> bool:
    try:
        s3.head_object(Bucket=DEST, Key=key)
    except ClientError as exc:
        assert exc.response["Error"]["Code"] in ("404", "NoSuchKey")
        return False
    return True


def open_uploads(s3: Any) -> list[Any]:
    uploads: list[Any] = s3.list_multipart_uploads(Bucket=DEST).get("Uploads", [])
    return uploads


# ------------------------------------------------------------------ S3 -> S3


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


@pytest.mark.usefixtures("enforce_if_match")
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


@pytest.mark.usefixtures("enforce_if_match")
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


def listed(client: Any, key: str) -> ListedObject:
    """What the chunk's listing would say about `key` (read through another client)."""
    head = client.head_object(Bucket=SRC, Key=key)
    return ListedObject(int(head["ContentLength"]), str(head["ETag"]))


@pytest.mark.usefixtures("enforce_if_match")
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


@pytest.mark.usefixtures("enforce_if_match")
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


def slow_down(s3: Any, operation: str, times: int) -> Counter[str]:
    """Fail the first `times` calls of `operation` with S3's SlowDown (503)."""
    tries: Counter[str] = Counter()

    def inject(model: Any, **_: Any) -> None:
        tries[operation] += 1
        if tries[operation] <= times:
            raise ClientError(
                {
                    "Error": {"Code": "SlowDown", "Message": "Please reduce your request rate."},
                    "ResponseMetadata": {"HTTPStatusCode": 503},
                },
                model.name,
            )

    s3.meta.events.register(f"before-parameter-build.s3.{operation}", inject)
    return tries


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


# ---------------------------------------------------------------- HTTP -> S3


def test_small_http_file_is_streamed_in_one_put(
    s3: Any, calls: Calls, host: FakeFileHost, copier: FileCopier
) -> None:
    body = data(123_456)
    url = host.add_file("docs/Acme Corp/quote.pdf", body, content_type="application/pdf")

    outcome = copier.copy(http_request(url))

    assert outcome.status == "copied"
    assert (outcome.size, outcome.sha256, outcome.checksum_type) == (
        len(body),
        sha(body),
        "FULL_OBJECT",
    )
    assert dest_bytes(s3, "backup/http.bin") == body
    head = s3.head_object(Bucket=DEST, Key="backup/http.bin", ChecksumMode="ENABLED")
    assert head["ContentType"] == "application/pdf"
    assert head["Metadata"][META_SHA256] == sha(body)
    assert head["Metadata"][META_SOURCE_ETAG] == hashlib.md5(body).hexdigest()
    assert head["ChecksumSHA256"] == base64.b64encode(hashlib.sha256(body).digest()).decode()
    assert (calls["PutObject"], calls["CreateMultipartUpload"]) == (1, 0)
    assert host.calls["get"] == 1


def test_zero_byte_http_file_is_copied(s3: Any, host: FakeFileHost, copier: FileCopier) -> None:
    outcome = copier.copy(http_request(host.add_file("empty.txt", b"")))

    assert (outcome.size, outcome.sha256) == (0, sha(b""))
    assert dest_bytes(s3, "backup/http.bin") == b""


def test_large_http_file_is_streamed_in_parts(
    s3: Any, calls: Calls, host: FakeFileHost, copier: FileCopier
) -> None:
    url = host.add_file("scans/archive.tar", size=2 * PART + 4_321)
    body = host.content("scans/archive.tar")

    outcome = copier.copy(http_request(url))

    assert outcome.status == "copied"
    assert outcome.size == len(body)
    assert outcome.sha256 == host.expected_sha256("scans/archive.tar") == sha(body)
    assert outcome.checksum_type == "FULL_OBJECT"
    assert dest_bytes(s3, "backup/http.bin") == body
    assert (calls["UploadPart"], calls["CompleteMultipartUpload"], calls["PutObject"]) == (3, 1, 0)
    assert open_uploads(s3) == []

    # A rerun finds the copy by its ETag and does not read the body. S3 holds a
    # composite checksum for multipart objects, and that is what a rerun reports.
    again = copier.copy(http_request(url))
    assert again.status == "unchanged"
    assert (again.sha256, again.checksum_type) == (composite(body, PART), "COMPOSITE")
    assert calls["UploadPart"] == 3


def test_http_file_with_only_last_modified_is_skipped_on_rerun(
    s3: Any, calls: Calls, host: FakeFileHost, copier: FileCopier
) -> None:
    url = host.add_file("report.csv", b"a,b\n1,2\n", etag=None)
    first = copier.copy(http_request(url))

    again = copier.copy(http_request(url))

    assert first.source_etag is not None and first.source_etag.startswith("last-modified:")
    assert (again.status, again.sha256, again.source_etag) == (
        "unchanged",
        first.sha256,
        first.source_etag,
    )
    assert calls["PutObject"] == 1


@pytest.mark.parametrize("size", [1_000, 2 * PART + 17], ids=["single-put", "multipart"])
def test_http_file_without_validators_is_reread_but_not_rewritten(
    s3: Any, calls: Calls, host: FakeFileHost, copier: FileCopier, size: int
) -> None:
    s3.put_bucket_versioning(Bucket=DEST, VersioningConfiguration={"Status": "Enabled"})
    url = host.add_file("plain.bin", size=size, etag=None, last_modified=None)
    first = copier.copy(http_request(url))
    writes = calls["PutObject"] + calls["CompleteMultipartUpload"]

    again = copier.copy(http_request(url))

    assert (first.status, again.status) == ("copied", "unchanged")
    assert again.sha256 == first.sha256 == host.expected_sha256("plain.bin")
    assert host.calls["get"] == 2
    assert calls["PutObject"] + calls["CompleteMultipartUpload"] == writes
    assert len(s3.list_object_versions(Bucket=DEST)["Versions"]) == 1
    assert open_uploads(s3) == []

    host.add_file("plain.bin", size=size, etag=None, last_modified=None, seed=1)
    changed = copier.copy(http_request(url))
    assert changed.status == "copied"
    assert changed.sha256 == host.expected_sha256("plain.bin") != first.sha256


def test_http_file_over_max_bytes_is_refused_from_content_length(
    s3: Any, calls: Calls, host: FakeFileHost, copier: FileCopier
) -> None:
    url = host.add_file("big.mp4", size=3 * MiB)

    with pytest.raises(FileTooLargeError, match=f"{3 * MiB} bytes, over the {MiB}-byte limit"):
        copier.copy(http_request(url, max_bytes=MiB))

    assert calls["PutObject"] + calls["CreateMultipartUpload"] == 0


def test_http_file_without_content_length_is_cut_off_at_max_bytes(
    s3: Any, host: FakeFileHost, copier: FileCopier
) -> None:
    url = host.add_file("stream.mp4", size=3 * PART, chunked=True)

    with pytest.raises(FileTooLargeError, match="larger than the"):
        copier.copy(http_request(url, max_bytes=PART + MiB))

    assert not dest_exists(s3, "backup/http.bin")
    assert open_uploads(s3) == []


def test_http_file_without_content_length_is_streamed(
    s3: Any, host: FakeFileHost, copier: FileCopier
) -> None:
    url = host.add_file("stream.mp4", size=PART + 99, chunked=True)

    outcome = copier.copy(http_request(url))

    assert outcome.sha256 == host.expected_sha256("stream.mp4")
    assert dest_bytes(s3, "backup/http.bin") == host.content("stream.mp4")


@pytest.mark.parametrize("deliver", [MiB, PART + MiB], ids=["first-part", "after-a-part"])
def test_truncated_http_body_fails_and_leaves_nothing_behind(
    s3: Any, host: FakeFileHost, copier: FileCopier, deliver: int
) -> None:
    size = 2 * PART + 1
    url = host.add_file("cut.bin", size=size)
    host.truncate("cut.bin", deliver)

    with pytest.raises(DownloadError, match=f"after {deliver} of {size} bytes"):
        copier.copy(http_request(url))

    assert not dest_exists(s3, "backup/http.bin")
    assert open_uploads(s3) == []


def test_http_body_longer_than_content_length_fails(
    s3: Any, host: FakeFileHost, copier: FileCopier
) -> None:
    url = host.add_file("growing.log", size=PART + 10)
    host.change_during_read("growing.log", 2 * PART)

    with pytest.raises(DownloadError, match=f"more than the {PART + 10} announced"):
        copier.copy(http_request(url))

    assert not dest_exists(s3, "backup/http.bin")
    assert open_uploads(s3) == []


def test_http_429_storm_is_retried_then_copied(
    s3: Any, host: FakeFileHost, copier: FileCopier, sleeps: Sleeps
) -> None:
    url = host.add_file("busy.pdf", b"finally")
    host.fail_next("busy.pdf", 429, count=3)

    outcome = copier.copy(http_request(url))

    assert (outcome.status, outcome.attempts) == ("copied", 4)
    assert host.calls["get"] == 4
    assert len(sleeps.delays) == 3
    assert dest_bytes(s3, "backup/http.bin") == b"finally"


def test_http_retry_after_is_honoured_and_capped(
    s3: Any, host: FakeFileHost, copier: FileCopier, sleeps: Sleeps
) -> None:
    url = host.add_file("busy.pdf", b"ok")
    host.fail_next("busy.pdf", 503, retry_after=3)
    host.fail_next("busy.pdf", 429, retry_after=3600)

    copier.copy(http_request(url))

    assert sleeps.delays == [3.0, 20.0]


def test_http_429_forever_is_throttled(
    s3: Any, host: FakeFileHost, make_copier: Callable[..., FileCopier], sleeps: Sleeps
) -> None:
    url = host.add_file("busy.pdf", b"never")
    host.fail_next("busy.pdf", 429, count=100)

    with pytest.raises(ThrottledError, match="HTTP 429") as caught:
        make_copier(max_attempts=5).copy(http_request(url))

    assert isinstance(caught.value, UpstreamThrottledError)
    assert host.calls["get"] == 5
    assert len(sleeps.delays) == 4
    assert not dest_exists(s3, "backup/http.bin")


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (404, SourceNotFoundError),
        (401, SourceAccessDeniedError),
        (403, SourceAccessDeniedError),
        (500, DownloadError),
    ],
)
def test_http_errors_are_typed_and_not_retried(
    s3: Any, host: FakeFileHost, copier: FileCopier, status: int, error: type[TransferError]
) -> None:
    url = host.add_file("doc.pdf", b"x")
    host.fail_next("doc.pdf", status)

    with pytest.raises(error, match=f"HTTP {status}"):
        copier.copy(http_request(url))

    assert host.calls["get"] == 1


def test_removed_http_file_is_not_found(host: FakeFileHost, s3: Any, copier: FileCopier) -> None:
    url = host.add_file("doc.pdf", b"x")
    host.remove("doc.pdf")

    with pytest.raises(SourceNotFoundError):
        copier.copy(http_request(url))


def test_presigned_query_strings_never_reach_error_messages(
    s3: Any, host: FakeFileHost, copier: FileCopier
) -> None:
    url = host.add_file("doc.pdf", b"x") + "?X-Amz-Credential=AKIAEXAMPLE&X-Amz-Signature=c0ffee"
    host.fail_next("doc.pdf", 403)

    with pytest.raises(SourceAccessDeniedError) as caught:
        copier.copy(http_request(url))

    assert "doc.pdf" in str(caught.value)
    assert "c0ffee" not in str(caught.value) and "AKIAEXAMPLE" not in str(caught.value)


class Unreachable(requests.adapters.BaseAdapter):
    """A transport whose connections always fail, quoting the URL as urllib3 does."""

    def send(
        self, request: requests.PreparedRequest, *args: Any, **kwargs: Any
    ) -> requests.Response:
        raise requests.ConnectionError(f"Max retries exceeded with url: {request.url}")

    def close(self) -> None:
        pass


def test_connection_errors_are_retried_then_fail_without_leaking_the_url(
    s3: Any, make_copier: Callable[..., FileCopier], sleeps: Sleeps
) -> None:
    def session() -> requests.Session:
        http = requests.Session()
        http.mount("https://", Unreachable())
        return http

    copier = make_copier(session_factory=session, max_attempts=3)
    url = "https://files.example-cdn.test/doc.pdf?token=s3cr3t"

    with pytest.raises(DownloadError, match="connection failed") as caught:
        copier.copy(http_request(url))

    assert "s3cr3t" not in str(caught.value)
    assert caught.value.__cause__ is None  # the library error quotes the full URL
    assert len(sleeps.delays) == 2


def test_copier_is_shared_by_a_thread_pool(
    s3: Any, host: FakeFileHost, make_copier: Callable[..., FileCopier]
) -> None:
    sessions: list[int] = []
    lock = threading.Lock()

    def session() -> requests.Session:
        with lock:
            sessions.append(threading.get_ident())
        return transport.new_session()

    copier = make_copier(session_factory=session)
    for index in range(24):
        if index % 2:
            s3.put_object(Bucket=SRC, Key=f"f{index}", Body=data(1_000 + index, index))
        else:
            host.add_file(f"f{index}", size=1_000 + index)

    def copy(index: int) -> CopyOutcome:
        source = S3Source(SRC, f"f{index}") if index % 2 else HttpSource(host.url(f"f{index}"))
        return copier.copy(CopyRequest(f"rec{index}", source, DEST, f"out/f{index}"))

    with ThreadPoolExecutor(max_workers=6) as pool:
        outcomes = list(pool.map(copy, range(24)))

    for index, outcome in enumerate(outcomes):
        assert outcome.status == "copied"
        assert dest_bytes(s3, f"out/f{index}") == (
            data(1_000 + index, index) if index % 2 else host.content(f"f{index}")
        )
    assert len(sessions) == len(set(sessions)) <= 6


def test_streaming_memory_stays_near_one_part(
    s3: Any, host: FakeFileHost, make_copier: Callable[..., FileCopier]
) -> None:
    size, part = 64 * MiB, 8 * MiB
    url = host.add_file("video.mp4", size=size)
    copier = make_copier(part_size=part)
    own: list[int] = []  # the copier's peak between S3 calls (reading, hashing)
    held: list[int] = []  # what the copier holds while S3 (moto) handles a call
    overall: list[int] = []  # everything, moto's handling of the part in flight included
    measuring = True

    def before(event_name: str, **_: Any) -> None:
        nonlocal measuring
        if not measuring:
            return
        # moto's request objects sit in reference cycles that keep a copy of each
        # part until the cyclic collector runs: collect them, to measure the copier.
        gc.collect()
        current, peak = tracemalloc.get_traced_memory()
        own.append(peak)
        held.append(current)
        # moto assembles the whole object in memory to complete an upload: stop here.
        measuring = not event_name.endswith("CompleteMultipartUpload")

    def after(**_: Any) -> None:
        if measuring:
            overall.append(tracemalloc.get_traced_memory()[1])
            gc.collect()
            tracemalloc.reset_peak()

    s3.meta.events.register("before-call.s3", before)
    s3.meta.events.register("after-call.s3", after)
    tracemalloc.start()
    try:
        outcome = copier.copy(http_request(url))
    finally:
        tracemalloc.stop()

    assert outcome.size == size
    assert outcome.sha256 == host.expected_sha256("video.mp4")
    assert len(held) == 1 + 1 + 8 + 1  # HEAD, create, 8 parts, complete
    assert max(own) < 2 * part, f"copier peak {max(own) / MiB:.1f} MiB"
    assert max(held) < 2 * part, f"copier held {max(held) / MiB:.1f} MiB"
    # moto makes about five transient copies of the part it is handling.
    assert max(overall) < size, f"overall peak {max(overall) / MiB:.1f} MiB"


# ---------------------------------------------------------------- plumbing


def test_s3_client_is_created_once_with_pooled_standard_retries(s3: Any) -> None:
    s3_client.cache_clear()
    client = s3_client()

    assert s3_client() is client
    assert client.meta.config.retries["mode"] == "standard"
    assert client.meta.config.retries["total_max_attempts"] == 4  # botocore: 1 + 3 retries
    assert client.meta.config.max_pool_connections == 64
    s3_client.cache_clear()


def test_copier_refuses_parts_s3_would_reject(s3: Any) -> None:
    with pytest.raises(ValueError, match="at least"):
        FileCopier(dest_s3=s3, part_size=MiB)


def test_file_host_serves_head_and_deterministic_content(host: FakeFileHost) -> None:
    url = host.add_file("a b/c.bin", size=200_000, content_type="video/mp4")
    http = transport.new_session()

    head = http.head(url)
    body = http.get(url).content

    assert head.status_code == 200
    assert head.headers["Content-Length"] == "200000"
    assert head.headers["Content-Type"] == "video/mp4"
    assert body == host.content("a b/c.bin") and sha(body) == host.expected_sha256("a b/c.bin")
    twin = FakeFileHost()
    twin.add_file("a b/c.bin", size=200_000)
    assert twin.content("a b/c.bin") == body
    assert host.request_log == [("HEAD", "/a%20b/c.bin", {}), ("GET", "/a%20b/c.bin", {})]
