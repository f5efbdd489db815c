"""Faults of the AWS wire that moto cannot produce on its own, for tests and demos.

    with lost_responses(client, "CopyObject"):   # S3 does the copy, the answer is lost
        copier.copy(request)

A lost answer is the hardest failure a writer meets: the request took effect,
but the client saw a 500 and retries (botocore's own retry handler does so
before our code hears of it). Only a conditional write makes the retry a no-op.

    with throttled_writes(0.3, refuse=40) as throttling:   # DynamoDB sheds write load
        stack.run("FileBackupStateMachine", ...)
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
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


# ---------------------------------------------------------------- DynamoDB throttling

_WRITES = {
    "PutItem": "put_item",
    "UpdateItem": "update_item",
    "DeleteItem": "delete_item",
    "BatchWriteItem": "batch_write_item",
    "TransactWriteItems": "transact_write_items",
}


@dataclass
class Throttling:
    """What the throttled emulator refused, so far."""

    refuse: int  # whole write calls still to refuse before `share` applies
    share: float
    calls: int = 0  # write calls seen
    refused: int = 0  # write calls refused whole (or transactions cancelled)
    unprocessed: int = 0  # BatchWriteItem requests handed back unprocessed


def _throughput_exceeded() -> Exception:
    from moto.dynamodb.exceptions import ERROR_TYPE_PREFIX, DynamodbException

    return DynamodbException(
        ERROR_TYPE_PREFIX + "ProvisionedThroughputExceededException",
        "The level of configured provisioned throughput for the table was exceeded. "
        "Consider increasing your provisioning level with the UpdateTable API.",
    )


@contextmanager
def throttled_writes(
    share: float = 0.3,
    *,
    refuse: int = 0,
    operations: Iterable[str] = tuple(_WRITES),
) -> Iterator[Throttling]:
    """DynamoDB sheds write load, for every client of the in-process emulator.

    Only `operations` (API names, default every write) are throttled.

    The first `refuse` write calls are refused whole ("100% for a while"); after
    that a `share` of the writes is throttled, evenly spread (with 0.3: the 4th,
    7th, 10th, 14th...; deterministic, whatever order threads send them in), as
    DynamoDB throttles a partition over its limit:

    - `BatchWriteItem`: each put or delete request is handed back in
      `UnprocessedItems`; a call none of whose requests get through fails with
      `ProvisionedThroughputExceededException`, as DynamoDB answers then;
    - `TransactWriteItems`: cancelled, with a `ThrottlingError` reason for its items;
    - `PutItem`, `UpdateItem`, `DeleteItem`: `ProvisionedThroughputExceededException`.

    Throttled requests change nothing. botocore retries throttled calls with its
    own pauses; they are skipped meanwhile, so a test does not sleep through them.
    """
    import threading

    from botocore.retries import standard
    from moto.dynamodb.exceptions import TransactionCanceledException
    from moto.dynamodb.responses import DynamoHandler

    state = Throttling(refuse=refuse, share=share)
    lock = threading.Lock()
    drawn = [0]
    names = {_WRITES[operation] for operation in operations}
    originals = {name: getattr(DynamoHandler, name) for name in names}
    original_delay = standard.ExponentialBackoff.delay_amount

    def whole_call() -> bool:
        """Whether this call is refused whole (while `refuse` lasts); counts the call."""
        with lock:
            state.calls += 1
            if state.refuse > 0:
                state.refuse -= 1
                return True
            return False

    def throttled() -> bool:
        with lock:
            drawn[0] += 1
            return int(drawn[0] * state.share) > int((drawn[0] - 1) * state.share)

    def refused() -> None:
        with lock:
            state.refused += 1

    def single(name: str) -> Any:
        def handler(self: Any) -> Any:
            if whole_call() or throttled():
                refused()
                raise _throughput_exceeded()
            return originals[name](self)

        return handler

    def batch_write_item(self: Any) -> Any:
        whole = whole_call()
        kept: dict[str, list[Any]] = {}
        handed_back: dict[str, list[Any]] = {}
        for table, requests in self.body.get("RequestItems", {}).items():
            for request in requests:
                target = handed_back if whole or throttled() else kept
                target.setdefault(table, []).append(request)
        if not kept:
            refused()
            raise _throughput_exceeded()
        with lock:
            state.unprocessed += sum(len(r) for r in handed_back.values())
        self.body["RequestItems"] = kept
        response = originals["batch_write_item"](self)
        response.result["UnprocessedItems"] = handed_back
        return response

    def transact_write_items(self: Any) -> Any:
        if whole_call() or throttled():
            refused()
            items = self.body.get("TransactItems", [])
            raise TransactionCanceledException(
                [("ThrottlingError", "Throttling on the transaction item", None)] * len(items)
            )
        return originals["transact_write_items"](self)

    patched = {name: single(name) for name in ("put_item", "update_item", "delete_item")}
    patched |= {
        "batch_write_item": batch_write_item,
        "transact_write_items": transact_write_items,
    }
    for name in names:
        setattr(DynamoHandler, name, patched[name])
    standard.ExponentialBackoff.delay_amount = lambda self, context: 0
    try:
        yield state
    finally:
        for name, original in originals.items():
            setattr(DynamoHandler, name, original)
        standard.ExponentialBackoff.delay_amount = original_delay
