"""The per-file copy engine, against moto's S3 and the in-process file host.

What moto 5.2.5 does not do, and how these tests make up for it:

* Conditional copies (`CopySourceIfMatch`, `If-Match`/`If-None-Match` on the
  destination) are ignored by moto; the local stack's patch
  (`local.moto_patches.s3_conditions`) adds them, and these tests run with it.
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

from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from local import moto_patches
from local.files import FakeFileHost
from revops.migration.transfer import (
    FileCopier,
)
from tests.unit.migration.transfer.support import DEST, PART, REGION, SRC, Calls, Sleeps


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    moto_patches.apply()  # S3's conditional copies, which moto alone ignores
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


@pytest.fixture
def calls(s3: Any) -> Calls:
    return Calls(s3)


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
