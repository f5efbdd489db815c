"""Streaming an HTTP body into part buffers with bounded memory, hashing on the way."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from typing import Any

import requests
from urllib3.exceptions import HTTPError as Urllib3Error

from revops.migration.transfer.errors import DownloadError, FileTooLargeError
from revops.migration.transfer.wire import READ_CHUNK, scrub


class BodyReader:
    """Pulls an HTTP body in chunks, hashing and counting, into a caller's part buffer.

    Holds one chunk besides the buffer, so a transfer needs one part of memory plus
    a chunk. Raises DownloadError when the stream breaks or outgrows
    `Content-Length`, FileTooLargeError past `max_bytes`.
    """

    def __init__(
        self,
        response: requests.Response,
        *,
        where: str,
        length: int | None,
        max_bytes: int | None,
        hide_cause: bool,
    ) -> None:
        self._chunks: Iterator[bytes] = response.raw.stream(READ_CHUNK, decode_content=False)
        self._where = where
        self._length = length
        self._max_bytes = max_bytes
        self._hide_cause = hide_cause
        self._pending = b""  # a chunk received but not yet handed out
        self._offset = 0
        self._sha256 = hashlib.sha256()
        self.received = 0

    @property
    def sha256(self) -> str:
        return self._sha256.hexdigest()

    def _pull(self) -> bool:
        """Receive the next chunk into `_pending`; False at the end of the body."""
        try:
            chunk = next(self._chunks, None)
        except (requests.RequestException, Urllib3Error, OSError) as exc:
            expected = f" of {self._length}" if self._length is not None else ""
            error = DownloadError(
                f"{self._where}: the download broke off after {self.received}{expected} bytes "
                f"({type(exc).__name__}: {scrub(str(exc))})"
            )
            raise error from (None if self._hide_cause else exc)
        if chunk is None:
            return False
        self.received += len(chunk)
        if self._length is not None and self.received > self._length:
            raise DownloadError(
                f"{self._where}: received {self.received} bytes, more than the {self._length} "
                "announced by Content-Length (the file changed during the download)"
            )
        if self._max_bytes is not None and self.received > self._max_bytes:
            raise FileTooLargeError(
                f"{self._where}: larger than the {self._max_bytes}-byte limit "
                f"(already {self.received} bytes received)"
            )
        self._sha256.update(chunk)
        self._pending, self._offset = chunk, 0
        return True

    def fill(self, buffer: bytearray) -> int:
        """Fill `buffer` from the body; returns the bytes written (fewer only at the end)."""
        filled = 0
        with memoryview(buffer) as target:
            while filled < len(buffer):
                if self._offset >= len(self._pending) and not self._pull():
                    break
                take = min(len(buffer) - filled, len(self._pending) - self._offset)
                with memoryview(self._pending) as source:
                    target[filled : filled + take] = source[self._offset : self._offset + take]
                filled += take
                self._offset += take
        return filled

    def at_end(self) -> bool:
        return self._offset >= len(self._pending) and not self._pull()

    def check_complete(self) -> None:
        if self._length is not None and self.received != self._length:
            raise DownloadError(
                f"{self._where}: received {self.received} bytes but Content-Length announced "
                f"{self._length}"
            )


class PartBody(io.RawIOBase):
    """A seekable read-only file over a part buffer: botocore streams it without a copy.

    Close it (use `with`) before the buffer is refilled or resized.
    """

    def __init__(self, buffer: bytearray) -> None:
        super().__init__()
        self._view = memoryview(buffer)
        self._position = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: len(self._view)}
        self._position = max(0, base[whence] + offset)
        return self._position

    def read(self, size: int | None = -1) -> bytes:
        end = len(self._view) if size is None or size < 0 else self._position + size
        data = bytes(self._view[self._position : end])
        self._position += len(data)
        return data

    def readall(self) -> bytes:
        return self.read()

    def readinto(self, target: Any) -> int:
        count = max(0, min(len(target), len(self._view) - self._position))
        target[:count] = self._view[self._position : self._position + count]
        self._position += count
        return count

    def close(self) -> None:
        self._view.release()
        super().close()
