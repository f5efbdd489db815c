"""Faults of the AWS wire that moto cannot produce on its own, for tests and demos.

    with lost_responses(client, "CopyObject"):   # S3 does the copy, the answer is lost
        copier.copy(request)

A lost answer is the hardest failure a writer meets: the request took effect,
but the client saw a 500 and retries (botocore's own retry handler does so
before our code hears of it). Only a conditional write makes the retry a no-op.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from botocore.awsrequest import AWSResponse

_INTERNAL_ERROR = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>InternalError</Code>'
    b"<Message>We encountered an internal error. Please try again.</Message></Error>"
)


class _RawBody:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._body

    def read(self, *_: Any) -> bytes:
        body, self._body = self._body, b""
        return body


@dataclass
class LostResponses:
    """How many answers are still to be lost, and how many were."""

    left: int
    lost: int = 0


@contextmanager
def lost_responses(client: Any, operation: str, count: int = 1) -> Iterator[LostResponses]:
    """The next `count` successful `operation` calls of `client` take effect in the
    emulator, and the client receives S3's 500 InternalError instead of the answer."""
    from moto.core.models import botocore_stubber

    state = LostResponses(left=count)
    event = f"before-send.{client.meta.service_model.endpoint_prefix}.{operation}"

    def handler(request: Any, **kwargs: Any) -> AWSResponse | None:
        if state.left <= 0:
            return None
        response = botocore_stubber(request=request, **kwargs)
        if response is None or response.status_code >= 300:
            return response
        state.left -= 1
        state.lost += 1
        return AWSResponse(
            request.url, 500, {"Content-Type": "application/xml"}, _RawBody(_INTERNAL_ERROR)
        )

    client.meta.events.register_first(event, handler)
    try:
        yield state
    finally:
        client.meta.events.unregister(event, handler)
