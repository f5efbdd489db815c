"""A chunk's source listing: one request for keys that lie together, never more
pages than it saves, and silence (so the copier HEADs) for whatever it cannot answer."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from revops.migration.listing import ListedObject, list_sources
from revops.migration.urls import S3Source

REGION = "us-east-1"
SRC = "trackland-doc-storage"


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(name, "testing")
    with mock_aws():
        client = boto3.client("s3", region_name=REGION)
        client.create_bucket(Bucket=SRC)
        yield client


@pytest.fixture
def lists(s3: Any) -> Counter[str]:
    """ListObjectsV2 requests made through `s3`."""
    seen: Counter[str] = Counter()
    s3.meta.events.register(
        "before-call.s3.ListObjectsV2", lambda **_: seen.update(["ListObjectsV2"])
    )
    return seen


def put(s3: Any, *keys: str, **extra: Any) -> None:
    for key in keys:
        s3.put_object(Bucket=SRC, Key=key, Body=key.encode(), **extra)


def sources(*keys: str, bucket: str = SRC) -> list[S3Source]:
    return [S3Source(bucket, key) for key in keys]


def test_one_request_answers_a_chunk_whose_keys_lie_together(s3: Any, lists: Counter[str]) -> None:
    ours = [f"docs/001A/{i:03d}.pdf" for i in range(40)]
    put(s3, *ours, "docs/0019/before.pdf", "docs/001B/after.pdf", "other/x.pdf")

    found = list_sources(s3, sources(*ours))

    assert lists["ListObjectsV2"] == 1
    assert set(found) == {(SRC, key) for key in ours}
    etag = s3.head_object(Bucket=SRC, Key=ours[0])["ETag"]
    assert found[(SRC, ours[0])] == ListedObject(len(ours[0]), etag)


def test_the_first_page_is_sized_to_the_chunk(s3: Any) -> None:
    """40 keys together in 1,000: one page of 51 keys answers them, not a page of 1,000."""
    everything = [f"docs/{i:05d}.pdf" for i in range(1_000)]
    put(s3, *everything)
    asked: list[int] = []
    s3.meta.events.register(
        "provide-client-params.s3.ListObjectsV2",
        lambda params, **_: asked.append(params["MaxKeys"]),
    )

    found = list_sources(s3, sources(*everything[500:540]))

    assert asked == [51]
    assert set(found) == {(SRC, key) for key in everything[500:540]}


def test_pages_are_bounded_by_the_heads_they_save(s3: Any, lists: Counter[str]) -> None:
    """Three wanted keys spread over 3,000 objects: one page (the budget), not three."""
    everything = [f"docs/{i:05d}.pdf" for i in range(3_000)]
    put(s3, *everything)
    wanted = [everything[10], everything[1_500], everything[2_990]]

    found = list_sources(s3, sources(*wanted))

    assert lists["ListObjectsV2"] == 1
    assert set(found) == {(SRC, everything[10])}  # the rest will be HEADed


def test_a_range_over_several_pages_is_followed_to_its_last_key(
    s3: Any, lists: Counter[str]
) -> None:
    everything = [f"docs/{i:05d}.pdf" for i in range(2_500)]
    put(s3, *everything)

    found = list_sources(s3, sources(*everything[100:2_200]))

    assert lists["ListObjectsV2"] == 3
    assert len(found) == 2_100


def test_missing_and_sha256_checksummed_sources_are_left_to_the_head(s3: Any) -> None:
    put(s3, "docs/a.pdf", "docs/c.pdf")
    put(s3, "docs/b.pdf", ChecksumAlgorithm="SHA256")  # the copy is verified against it

    found = list_sources(s3, sources("docs/a.pdf", "docs/b.pdf", "docs/gone.pdf", "docs/c.pdf"))

    assert set(found) == {(SRC, "docs/a.pdf"), (SRC, "docs/c.pdf")}


def test_a_single_key_is_not_listed(s3: Any, lists: Counter[str]) -> None:
    put(s3, "docs/only.pdf")

    assert list_sources(s3, sources("docs/only.pdf")) == {}
    assert lists["ListObjectsV2"] == 0


def test_keys_are_listed_per_bucket(s3: Any) -> None:
    s3.create_bucket(Bucket="second-bucket")
    put(s3, "a/1.pdf", "a/2.pdf")
    for key in ("b/1.pdf", "b/2.pdf"):
        s3.put_object(Bucket="second-bucket", Key=key, Body=b"x")

    found = list_sources(
        s3, sources("a/1.pdf", "a/2.pdf") + sources("b/1.pdf", "b/2.pdf", bucket="second-bucket")
    )

    assert set(found) == {
        (SRC, "a/1.pdf"),
        (SRC, "a/2.pdf"),
        ("second-bucket", "b/1.pdf"),
        ("second-bucket", "b/2.pdf"),
    }


def test_a_bucket_we_may_not_list_answers_nothing(s3: Any) -> None:
    """s3:ListBucket is its own permission: without it every file is HEADed as before."""
    put(s3, "docs/a.pdf", "docs/b.pdf")

    def deny(**_: Any) -> None:
        raise ClientError(
            {"Error": {"Code": "AccessDenied", "Message": "Access Denied"}}, "ListObjectsV2"
        )

    s3.meta.events.register("before-call.s3.ListObjectsV2", deny)

    assert list_sources(s3, sources("docs/a.pdf", "docs/b.pdf")) == {}
