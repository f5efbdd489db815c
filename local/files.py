"""In-process stand-in for a plain HTTPS file server (the non-S3 `DocListEntry__c` URLs).

Endpoints: `GET /<path>` and `HEAD /<path>` for every registered file. The path is
matched percent-decoded and the query string is ignored, as a CDN serving
presigned links would. Responses carry `Content-Length`, `Content-Type` and, unless
switched off per file, `ETag` and `Last-Modified`.

Files are either bytes (`add_file(path, data)`) or deterministic generated content
of a given size (`add_file(path, size=...)`). Generated content is produced while
the client reads the body, one block at a time, so a multi-gigabyte file never
sits in memory on either side of the stand-in. `expected_sha256(path)` gives the
digest a correct copy must have.

Fault injection:

* `fail_next(path, status, count=1, retry_after=None)`: the next `count` requests
  for `path` (GET or HEAD) get `status` (for example 403, 404, 429, 500, 503), with
  `Retry-After` when given.
* `truncate(path, deliver_bytes)`: every GET announces the full `Content-Length`
  but the body ends after `deliver_bytes` (the connection drops mid-file).
* `change_during_read(path, new_size)`: the next GET announces the current size
  but the file changes while it is read, and the body carries `new_size` bytes of
  the new content. The file then stays changed (new content, new ETag). The body is
  sent as is: a socket-level `http.client` would stop at `Content-Length`, but the
  point of this fault is to let the client see that it received a different size.
* `remove(path)`: the file is gone (404).

`request_log` and `calls` (route names `get` and `head`) come from `FakeService`.
"""

from __future__ import annotations

import hashlib
import io
import random
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http import HTTPStatus
from typing import Any, Final
from urllib.parse import quote, unquote

import requests
from requests.adapters import BaseAdapter

from local.fakes_common import (
    FakeRequest,
    FakeResponse,
    FakeService,
    FakeServiceAdapter,
    assemble_response,
    build_response,
    read_timeout_of,
    to_fake_request,
)

AUTO: Final = "auto"
BLOCK_SIZE = 64 * 1024
DEFAULT_CONTENT_TYPE = "application/octet-stream"
_EPOCH = datetime(2026, 1, 1, tzinfo=UTC)

# ------------------------------------------------------------------- content


class GeneratedContent:
    """Deterministic pseudo-random bytes of a given size, readable at any offset.

    Block `n` (64 KiB) is a per-seed random block whose first 8 bytes are `n`, so
    the content never repeats and two seeds never agree. Nothing but one block of
    pattern is kept in memory.
    """

    def __init__(self, seed: str, size: int) -> None:
        if size < 0:
            raise ValueError("size must not be negative")
        self.size = size
        self._pattern = random.Random(seed).randbytes(BLOCK_SIZE)

    def block(self, index: int) -> bytes:
        return index.to_bytes(8, "big") + self._pattern[8:]

    def read(self, offset: int, length: int) -> bytes:
        end = min(self.size, offset + max(0, length))
        pieces: list[bytes] = []
        position = offset
        while position < end:
            index, start = divmod(position, BLOCK_SIZE)
            take = min(BLOCK_SIZE - start, end - position)
            pieces.append(self.block(index)[start : start + take])
            position += take
        return b"".join(pieces)

    def sha256(self) -> str:
        digest = hashlib.sha256()
        full_blocks, tail = divmod(self.size, BLOCK_SIZE)
        for index in range(full_blocks):
            digest.update(self.block(index))
        if tail:
            digest.update(self.block(full_blocks)[:tail])
        return digest.hexdigest()


class StreamedBody(io.RawIOBase):
    """A response body produced on read: `read_at(offset, n)` supplies the bytes."""

    def __init__(self, read_at: Callable[[int, int], bytes], length: int) -> None:
        super().__init__()
        self._read_at = read_at
        self._length = length
        self._position = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        want = min(len(view), self._length - self._position)
        if want <= 0:
            return 0
        data = self._read_at(self._position, want)
        view[: len(data)] = data
        self._position += len(data)
        return len(data)


@dataclass
class StreamedResponse(FakeResponse):
    """A fake response whose body is a stream and whose `Content-Length` is announced."""

    stream: io.IOBase = field(default_factory=io.BytesIO)
    content_length: int | None = None


def build_streamed_response(
    prepared: requests.PreparedRequest, fake: StreamedResponse, adapter: BaseAdapter
) -> requests.Response:
    """Like `fakes_common.build_response`, with a lazily produced body."""
    headers: dict[str, str] = {"Content-Type": fake.content_type}
    if fake.content_length is not None:
        headers["Content-Length"] = str(fake.content_length)
    headers.update(fake.headers)
    return assemble_response(prepared, fake.status, headers, fake.stream, adapter)


class StreamingAdapter(FakeServiceAdapter):
    """`FakeServiceAdapter` that also sends `StreamedResponse` bodies lazily."""

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: bool | str = True,
        cert: Any = None,
        proxies: Mapping[str, str] | None = None,
    ) -> requests.Response:
        fake = self.service.handle(to_fake_request(request), read_timeout_of(timeout))
        if isinstance(fake, StreamedResponse):
            return build_streamed_response(request, fake, self)
        return build_response(request, fake, self)


# --------------------------------------------------------------------- files


@dataclass(frozen=True)
class _File:
    path: str
    size: int
    data: bytes | None
    generated: GeneratedContent | None
    content_type: str
    etag: str | None
    last_modified: str | None
    chunked: bool

    def read(self, offset: int, length: int) -> bytes:
        if self.data is not None:
            return self.data[offset : offset + length]
        assert self.generated is not None
        return self.generated.read(offset, length)

    def sha256(self) -> str:
        if self.data is not None:
            return hashlib.sha256(self.data).hexdigest()
        assert self.generated is not None
        return self.generated.sha256()

    def headers(self) -> dict[str, str]:
        headers: dict[str, str] = {"Accept-Ranges": "none"}
        if self.chunked:
            headers["Transfer-Encoding"] = "chunked"
        if self.etag is not None:
            headers["ETag"] = self.etag
        if self.last_modified is not None:
            headers["Last-Modified"] = self.last_modified
        return headers


@dataclass
class _Fault:
    status: int
    retry_after: float | None


def _text(status: int, message: str, headers: Mapping[str, str] | None = None) -> FakeResponse:
    return FakeResponse(
        status=status, body=message, headers=dict(headers or {}), content_type="text/plain"
    )


class FakeFileHost(FakeService):
    """A plain HTTPS file server answering GET and HEAD from registered files."""

    default_base_url = "https://files.example-cdn.test"

    def __init__(self, base_url: str | None = None) -> None:
        super().__init__(base_url)
        self._adapter = StreamingAdapter(self)
        self._files: dict[str, _File] = {}
        self._faults: dict[str, deque[_Fault]] = {}
        self._truncations: dict[str, int] = {}
        self._changes: dict[str, int] = {}
        self._revision = 0
        self.add_route("GET", r"/(?P<path>.+)", "get", self._get)
        self.add_route("HEAD", r"/(?P<path>.+)", "head", self._head)

    # --------------------------------------------------------------- data API

    def url(self, path: str) -> str:
        """The URL of `path` on this host (percent-encoded as a browser would)."""
        return f"{self.base_url}/{quote(path.lstrip('/'))}"

    def add_file(
        self,
        path: str,
        data: bytes | None = None,
        *,
        size: int | None = None,
        content_type: str = DEFAULT_CONTENT_TYPE,
        etag: str | None = AUTO,
        last_modified: str | None = AUTO,
        seed: int = 0,
        chunked: bool = False,
    ) -> str:
        """Serve `data`, or `size` generated bytes (`seed` varies them); returns the URL.

        `etag` / `last_modified` are the header values, `"auto"` to derive them from
        the content, or None to omit the header. `chunked` sends no `Content-Length`
        (the size is unknown until the body ends). Adding a path again replaces it.
        """
        path = path.lstrip("/")
        generated: GeneratedContent | None = None
        if data is None:
            if size is None:
                raise ValueError("give either data or size")
            generated = GeneratedContent(f"{path}#{seed}", size)
            fingerprint = hashlib.md5(f"{path}#{seed}#{size}".encode()).hexdigest()
        else:
            if size is not None and size != len(data):
                raise ValueError("size disagrees with data")
            size = len(data)
            fingerprint = hashlib.md5(data).hexdigest()
        with self._lock:
            self._revision += 1
            if etag == AUTO:
                etag = f'"{fingerprint}"'
            if last_modified == AUTO:
                moment = _EPOCH + timedelta(seconds=self._revision)
                last_modified = format_datetime(moment, usegmt=True)
            self._files[path] = _File(
                path=path,
                size=size,
                data=data,
                generated=generated,
                content_type=content_type,
                etag=etag,
                last_modified=last_modified,
                chunked=chunked,
            )
        return self.url(path)

    def remove(self, path: str) -> None:
        with self._lock:
            self._files.pop(path.lstrip("/"), None)

    def size(self, path: str) -> int:
        with self._lock:
            return self._file(path).size

    def content(self, path: str) -> bytes:
        """The whole current content (materialised: for small and medium test files)."""
        with self._lock:
            file = self._file(path)
        return file.read(0, file.size)

    def expected_sha256(self, path: str) -> str:
        """Hex SHA-256 of the current content, computed block by block."""
        with self._lock:
            file = self._file(path)
        return file.sha256()

    # ------------------------------------------------------------------ faults

    def fail_next(
        self, path: str, status: int, count: int = 1, retry_after: float | None = None
    ) -> None:
        """Answer the next `count` requests for `path` with `status`."""
        with self._lock:
            queue = self._faults.setdefault(path.lstrip("/"), deque())
            queue.extend(_Fault(status, retry_after) for _ in range(count))

    def truncate(self, path: str, deliver_bytes: int) -> None:
        """Every GET of `path` announces the full size but delivers `deliver_bytes`."""
        with self._lock:
            self._truncations[path.lstrip("/")] = deliver_bytes

    def change_during_read(self, path: str, new_size: int) -> None:
        """The next GET announces the current size and delivers `new_size` new bytes."""
        with self._lock:
            self._changes[path.lstrip("/")] = new_size

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()
            self._truncations.clear()
            self._changes.clear()

    # ---------------------------------------------------------------- handlers

    def _file(self, path: str) -> _File:
        file = self._files.get(path.lstrip("/"))
        if file is None:
            raise KeyError(f"no file {path!r} on {self.base_url}")
        return file

    def _admit(self, request: FakeRequest, route_name: str) -> FakeResponse | None:
        path = unquote(request.path).lstrip("/")
        queue = self._faults.get(path)
        if not queue:
            return None
        fault = queue.popleft()
        headers: dict[str, str] = {}
        if fault.retry_after is not None:
            headers["Retry-After"] = f"{fault.retry_after:g}"
        try:
            phrase = HTTPStatus(fault.status).phrase
        except ValueError:
            phrase = "Error"
        return _text(fault.status, f"{fault.status} {phrase}", headers)

    def _head(self, request: FakeRequest, path: str) -> FakeResponse:
        file = self._files.get(unquote(path))
        if file is None:
            return _text(404, "404 Not Found")
        return StreamedResponse(
            status=200,
            headers=file.headers(),
            content_type=file.content_type,
            content_length=None if file.chunked else file.size,
        )

    def _get(self, request: FakeRequest, path: str) -> FakeResponse:
        path = unquote(path)
        file = self._files.get(path)
        if file is None:
            return _text(404, "404 Not Found")
        announced = file.size
        headers = file.headers()
        served = file
        deliver = file.size
        new_size = self._changes.pop(path, None)
        if new_size is not None:
            self.add_file(
                path,
                size=new_size,
                content_type=file.content_type,
                etag=AUTO if file.etag is not None else None,
                last_modified=AUTO if file.last_modified is not None else None,
                seed=self._revision,
                chunked=file.chunked,
            )
            served = self._files[path]
            deliver = new_size
        if path in self._truncations:
            deliver = min(deliver, self._truncations[path])
        return StreamedResponse(
            status=200,
            headers=headers,
            content_type=file.content_type,
            content_length=None if file.chunked else announced,
            stream=StreamedBody(served.read, deliver),
        )
