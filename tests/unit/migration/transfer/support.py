"""Helpers for the copy-engine tests: sizes, digests, requests, S3 call counts."""

from __future__ import annotations

import hashlib
import random
from collections import Counter
from typing import Any

import requests
from botocore.exceptions import ClientError

from revops.migration.listing import ListedObject
from revops.migration.transfer import (
    CopyRequest,
)
from revops.migration.urls import HttpSource, S3Source

REGION = "us-east-1"
SRC = "trackland-doc-storage"
DEST = "revops-file-backup"
MiB = 1024**2
PART = 5 * MiB  # S3's smallest part (except the last one)


class Calls:
    """Counts S3 API calls made through one client (one `before-call` per request)."""

    def __init__(self, client: Any) -> None:
        self.counts: Counter[str] = Counter()
        client.meta.events.register("before-call.s3", self._count)

    def _count(self, event_name: str, **_: Any) -> None:
        self.counts[event_name.rsplit(".", 1)[-1]] += 1

    def __getitem__(self, operation: str) -> int:
        return self.counts[operation]


class Sleeps:
    def __init__(self) -> None:
        self.delays: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


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


def listed(client: Any, key: str) -> ListedObject:
    """What the chunk's listing would say about `key` (read through another client)."""
    head = client.head_object(Bucket=SRC, Key=key)
    return ListedObject(int(head["ContentLength"]), str(head["ETag"]))


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


class Unreachable(requests.adapters.BaseAdapter):
    """A transport whose connections always fail, quoting the URL as urllib3 does."""

    def send(
        self, request: requests.PreparedRequest, *args: Any, **kwargs: Any
    ) -> requests.Response:
        raise requests.ConnectionError(f"Max retries exceeded with url: {request.url}")

    def close(self) -> None:
        pass
