"""DynamoDB writes that ride out throttling: capped exponential backoff with full jitter.

DynamoDB sheds load in three ways, and every write path of the store meets each
of them the same way:

- a `BatchWriteItem` answers with `UnprocessedItems` (part of the batch was not
  written). PynamoDB's own `batch_write()` resends them at once, with no pause,
  and gives up after three tries; `batch_write` here resends only what is left,
  after a pause;
- a request fails with `ProvisionedThroughputExceededException`,
  `ThrottlingException` or `RequestLimitExceeded` (botocore has already retried
  it a few times, with its own jittered backoff);
- a `TransactWriteItems` is cancelled for `ThrottlingError`,
  `ProvisionedThroughputExceeded` or `TransactionConflict` (another transaction
  held one of its items).

Pause `n` (from 0) lasts a random time between 0 and `min(cap, base * 2**n)`
("full jitter", so a thousand workers throttled together do not come back
together). After `attempts` tries the write fails with `StoreThrottledError`,
an `UpstreamThrottledError` that Step Functions retries by name; what was
written stays written, and every writer here is safe to run again.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from pynamodb.exceptions import PynamoDBException
from pynamodb.models import Model

from revops.errors import UpstreamThrottledError

BATCH_LIMIT = 25  # requests per BatchWriteItem, DynamoDB's maximum

THROTTLING_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
    }
)
# Cancellation reasons of a transaction that a later attempt can get past.
RETRYABLE_REASONS = frozenset(
    {"ThrottlingError", "ProvisionedThroughputExceeded", "TransactionConflict"}
)

# Module level so that a test can record the pauses instead of waiting them out.
sleep: Callable[[float], None] = time.sleep


class StoreThrottledError(UpstreamThrottledError):
    """DynamoDB kept refusing a write after every retry. Safe to retry later as a whole."""


@dataclass(frozen=True)
class Backoff:
    """How long to keep trying, and how long to pause between tries."""

    attempts: int = 10
    base_seconds: float = 0.05
    cap_seconds: float = 5.0

    def pause(self, retry: int, rand: Callable[[], float] = random.random) -> float:
        """The pause before retry number `retry` (0 for the first retry)."""
        return rand() * min(self.cap_seconds, self.base_seconds * 2**retry)


DEFAULT_BACKOFF = Backoff()


def is_throttling(exc: BaseException) -> bool:
    return isinstance(exc, PynamoDBException) and exc.cause_response_code in THROTTLING_CODES


def retrying[T](call: Callable[[], T], what: str, backoff: Backoff = DEFAULT_BACKOFF) -> T:
    """`call()`, retried after a pause while DynamoDB throttles it."""
    for retry in range(backoff.attempts):
        try:
            return call()
        except PynamoDBException as exc:
            if not is_throttling(exc):
                raise
            if retry + 1 >= backoff.attempts:
                raise StoreThrottledError(
                    f"DynamoDB throttled {what} {backoff.attempts} times: {exc.cause_response_code}"
                ) from exc
            sleep(backoff.pause(retry))
    raise AssertionError("unreachable")  # pragma: no cover


def batch_write(
    model: type[Model],
    puts: Iterable[Model] = (),
    deletes: Iterable[Model] = (),
    backoff: Backoff = DEFAULT_BACKOFF,
) -> int:
    """Put and delete items of one table in batches of 25; returns how many requests.

    Unprocessed requests are resent after a pause, and only they; a batch
    throttled as a whole is retried the same way.
    """
    requests: list[dict[str, Any]] = [{"PutRequest": {"Item": item.serialize()}} for item in puts]
    requests += [{"DeleteRequest": {"Key": item._get_keys()}} for item in deletes]
    for start in range(0, len(requests), BATCH_LIMIT):
        _write_batch(model, requests[start : start + BATCH_LIMIT], backoff)
    return len(requests)


def _write_batch(model: type[Model], requests: Sequence[dict[str, Any]], backoff: Backoff) -> None:
    connection = model._get_connection()
    table = model.Meta.table_name
    pending = list(requests)
    for retry in range(backoff.attempts):
        try:
            data = connection.batch_write_item(
                put_items=[r["PutRequest"]["Item"] for r in pending if "PutRequest" in r],
                delete_items=[r["DeleteRequest"]["Key"] for r in pending if "DeleteRequest" in r],
            )
        except PynamoDBException as exc:
            if not is_throttling(exc):
                raise
            data = {"UnprocessedItems": {table: pending}}  # nothing was written
        pending = list((data or {}).get("UnprocessedItems", {}).get(table) or [])
        if not pending:
            return
        if retry + 1 < backoff.attempts:
            sleep(backoff.pause(retry))
    raise StoreThrottledError(
        f"DynamoDB left {len(pending)} of {len(requests)} writes to {table} unprocessed "
        f"after {backoff.attempts} attempts"
    )
