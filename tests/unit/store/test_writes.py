"""Every write of the store rides out DynamoDB throttling with capped, jittered backoff."""

from __future__ import annotations

import pytest

from local.aws_faults import throttled_writes
from revops.store import writes
from revops.store.migration import ErrorItem, MigrationStore
from revops.store.writes import Backoff, StoreThrottledError


def _errors(store: MigrationStore, count: int) -> list[ErrorItem]:
    return [
        store.new_error("run-1", f"rec-{i:03d}", "not_found", "gone", f"s3://b/{i}")
        for i in range(count)
    ]


def test_pauses_grow_exponentially_up_to_the_cap_and_are_jittered_from_zero() -> None:
    backoff = Backoff(attempts=10, base_seconds=0.05, cap_seconds=1.0)

    longest = [backoff.pause(n, rand=lambda: 1.0) for n in range(7)]
    shortest = [backoff.pause(n, rand=lambda: 0.0) for n in range(7)]

    assert longest == [0.05, 0.1, 0.2, 0.4, 0.8, 1.0, 1.0]
    assert shortest == [0.0] * 7
    assert backoff.pause(3, rand=lambda: 0.5) == pytest.approx(0.2)


def test_unprocessed_batch_items_are_resent_after_a_pause_until_all_are_written(
    store: MigrationStore, pauses: list[float]
) -> None:
    errors = _errors(store, 120)

    with throttled_writes(0.3) as throttling:
        written = store.save_errors(errors)

    assert written == 120
    assert throttling.unprocessed > 0
    assert len(list(store.errors_for_run("run-1"))) == 120
    assert pauses, "unprocessed items were resent without a pause"
    assert all(0 <= p <= writes.DEFAULT_BACKOFF.cap_seconds for p in pauses)


# botocore retries a throttled call 3 times on its own (PynamoDB's default) before
# the store hears of it; refusing more calls than that reaches the store's backoff.
LONG_STORM = 10


def test_a_batch_refused_for_a_while_is_written_once_the_throttling_eases(
    store: MigrationStore, pauses: list[float]
) -> None:
    with throttled_writes(0.0, refuse=LONG_STORM) as throttling:
        store.save_errors(_errors(store, 10))

    assert throttling.refused == LONG_STORM
    assert len(list(store.errors_for_run("run-1"))) == 10
    assert pauses


def test_a_batch_refused_past_every_attempt_fails_with_a_typed_error(
    store: MigrationStore, pauses: list[float]
) -> None:
    with throttled_writes(1.0), pytest.raises(StoreThrottledError, match="unprocessed"):
        store.save_errors(_errors(store, 10))

    assert len(pauses) == writes.DEFAULT_BACKOFF.attempts - 1


def test_single_item_writes_are_retried_while_throttled(
    store: MigrationStore, pauses: list[float]
) -> None:
    with throttled_writes(0.0, refuse=LONG_STORM, operations={"PutItem"}):
        store.start_run("run-1", "backup_full", {}, None)
    with throttled_writes(0.0, refuse=LONG_STORM, operations={"UpdateItem"}):
        store.record_plan("run-1", {"selected": 3})

    run = store.run("run-1")
    assert run is not None and run.plan == {"selected": 3}
    assert len(pauses) >= 2
