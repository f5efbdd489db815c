"""JSON documents in S3: chunk files, manifests, plans and summaries."""

from __future__ import annotations

import functools
import io
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

    def open_text_writer(self, key: str, content_type: str) -> TextObjectWriter:
        """A file-like text writer that streams into S3 in parts (bounded memory)."""
        return TextObjectWriter(self.s3, self.bucket, key, content_type)

    def get_bytes(self, key: str) -> bytes:
        try:
            body: bytes = self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code")
            if code in ("NoSuchKey", "404"):
                raise ObjectNotFoundError(f"s3://{self.bucket}/{key} does not exist") from exc
            raise UpstreamError(f"reading s3://{self.bucket}/{key}: {code}") from exc
        return body

    def get_text(self, key: str) -> str:
        return self.get_bytes(key).decode("utf-8")

    def get_json(self, key: str) -> Any:
        body = self.get_bytes(key)
        try:
            return json.loads(body)
        except ValueError as exc:
            raise MalformedDocumentError(f"s3://{self.bucket}/{key} is not JSON") from exc


class TextObjectWriter(io.TextIOBase):
    """Writes text to one S3 object through a multipart upload of `part_size` parts.

    Small documents end as a single PutObject. Memory holds at most one part.
    """

    def __init__(
        self, s3: Any, bucket: str, key: str, content_type: str, part_size: int = 8 * 1024 * 1024
    ) -> None:
        super().__init__()
        self._s3, self.bucket, self.key = s3, bucket, key
        self._content_type = content_type
        self._part_size = part_size
        self._buffer = bytearray()
        self._upload_id: str | None = None
        self._parts: list[dict[str, Any]] = []

    def write(self, text: str) -> int:
        self._buffer += text.encode()
        if len(self._buffer) >= self._part_size:
            self._upload_part()
        return len(text)

    def _upload_part(self) -> None:
        if self._upload_id is None:
            self._upload_id = self._s3.create_multipart_upload(
                Bucket=self.bucket, Key=self.key, ContentType=self._content_type
            )["UploadId"]
        number = len(self._parts) + 1
        etag = self._s3.upload_part(
            Bucket=self.bucket,
            Key=self.key,
            UploadId=self._upload_id,
            PartNumber=number,
            Body=bytes(self._buffer),
        )["ETag"]
        self._parts.append({"PartNumber": number, "ETag": etag})
        self._buffer.clear()

    def close(self) -> None:
        if self.closed:
            return
        try:
            if self._upload_id is None:
                self._s3.put_object(
                    Bucket=self.bucket,
                    Key=self.key,
                    Body=bytes(self._buffer),
                    ContentType=self._content_type,
                )
            else:
                if self._buffer:
                    self._upload_part()
                self._s3.complete_multipart_upload(
                    Bucket=self.bucket,
                    Key=self.key,
                    UploadId=self._upload_id,
                    MultipartUpload={"Parts": self._parts},
                )
        except Exception:
            if self._upload_id is not None:
                self._s3.abort_multipart_upload(
                    Bucket=self.bucket, Key=self.key, UploadId=self._upload_id
                )
            raise
        finally:
            super().close()
