"""JSON documents in S3: chunk files, manifests, plans and summaries."""

from __future__ import annotations

import functools
import json
from typing import Any

import boto3
from botocore.exceptions import ClientError

from revops.errors import RevopsError, UpstreamError


class ObjectNotFoundError(RevopsError):
    """A document the workflow wrote earlier is missing."""


class MalformedDocumentError(RevopsError):
    """A document exists but is not the JSON we expect."""


@functools.cache
def s3_client() -> Any:
    return boto3.client("s3")


class DocumentStore:
    """Reads and writes JSON documents in one bucket. `s3` is injectable for tests."""

    def __init__(self, bucket: str, s3: Any | None = None) -> None:
        self.bucket = bucket
        self._s3 = s3

    @property
    def s3(self) -> Any:
        return self._s3 if self._s3 is not None else s3_client()

    def put_json(self, key: str, document: Any) -> str:
        body = json.dumps(document, separators=(",", ":"), default=str).encode()
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=body, ContentType="application/json")
        return key

    def put_text(self, key: str, text: str, content_type: str) -> str:
        self.s3.put_object(
            Bucket=self.bucket, Key=key, Body=text.encode(), ContentType=content_type
        )
        return key

    def get_json(self, key: str) -> Any:
        try:
            body = self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code")
            if code in ("NoSuchKey", "404"):
                raise ObjectNotFoundError(f"s3://{self.bucket}/{key} does not exist") from exc
            raise UpstreamError(f"reading s3://{self.bucket}/{key}: {code}") from exc
        try:
            return json.loads(body)
        except ValueError as exc:
            raise MalformedDocumentError(f"s3://{self.bucket}/{key} is not JSON") from exc
