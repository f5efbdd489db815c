"""The AgentMetricsTable repository: parts written concurrently, derived numbers, locks."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from revops.store.agentmetrics import AgentMetricsStore

SOURCE = {"system": "elevenlabs", "detail": {}}


def write_calls(store: AgentMetricsStore, calls: int, duration: int) -> None:
    store.write_part(
        "c1",
        "2025-03",
        "agent_a",
        "Alpha",
        {
            "inbound_calls": calls,
            "outbound_calls": 0,
            "total_calls": calls,
            "total_duration": duration,
        },
        "calls_source",
        SOURCE,
        is_current=False,
    )


def write_bookings(store: AgentMetricsStore, bookings: int) -> None:
    store.write_part(
        "c1",
        "2025-03",
        "agent_a",
        "Alpha",
        {"successful_bookings": bookings},
        "bookings_source",
        {"system": "gohighlevel", "detail": {}},
        is_current=False,
    )


def test_the_two_parts_meet_in_one_row_with_derived_numbers(store: AgentMetricsStore) -> None:
    write_calls(store, 40, 6000)
    write_bookings(store, 10)
    row = store.history("c1", "2025-03", "agent_a")
    assert row is not None
    assert (row.total_calls, row.successful_bookings) == (40, 10)
    assert (row.average_duration, row.success_rate) == (150.0, 25.0)
    assert row.calls_source and row.bookings_source


def test_parts_racing_each_other_still_derive_from_both(store: AgentMetricsStore) -> None:
    for round_ in range(8):
        start = threading.Barrier(2)

        def calls(n: int = round_, start: threading.Barrier = start) -> None:
            start.wait()
            write_calls(store, 20 + n, 2000)

        def bookings(n: int = round_, start: threading.Barrier = start) -> None:
            start.wait()
            write_bookings(store, n)

        with ThreadPoolExecutor(max_workers=2) as pool:
            for future in [pool.submit(calls), pool.submit(bookings)]:
                future.result()
        row = store.history("c1", "2025-03", "agent_a")
        assert row is not None
        assert row.success_rate == round(round_ / (20 + round_) * 100, 2), round_
        assert row.average_duration == round(2000 / (20 + round_), 1)


def test_a_stale_writer_never_overwrites_the_derived_numbers(store: AgentMetricsStore) -> None:
    """The interleaving the version check exists for: A writes, B writes and derives,
    then A derives from its older view of the row: A's derive must not land."""
    from revops.store.agentmetrics import MetricItem

    write_calls(store, 40, 6000)  # version 1
    stale = store.history("c1", "2025-03", "agent_a")
    write_bookings(store, 10)  # version 2, derives 25 %
    assert stale is not None and stale.version == 1
    stale.successful_bookings = 0  # what A saw
    store._derive(stale)
    row = MetricItem.get(stale.pk, stale.sk)
    assert row.success_rate == 25.0 and row.version == 2


def test_rewriting_a_part_replaces_it(store: AgentMetricsStore) -> None:
    write_calls(store, 40, 6000)
    write_calls(store, 40, 6000)
    row = store.history("c1", "2025-03", "agent_a")
    assert row is not None and row.total_calls == 40


def test_no_calls_means_no_success_rate(store: AgentMetricsStore) -> None:
    write_bookings(store, 3)
    row = store.history("c1", "2025-03", "agent_a")
    assert row is not None and row.success_rate is None and row.average_duration == 0


def test_the_current_month_is_mirrored_into_agent_metrics(store: AgentMetricsStore) -> None:
    store.write_part(
        "c1",
        "2026-11",
        "agent_a",
        "Alpha",
        {"successful_bookings": 2},
        "bookings_source",
        SOURCE,
        is_current=True,
    )
    current = list(store.current("c1"))
    assert len(current) == 1 and current[0].successful_bookings == 2


def test_a_lock_has_one_holder_until_released_or_expired(store: AgentMetricsStore) -> None:
    assert store.acquire_lock("x", "me", 60)
    assert not store.acquire_lock("x", "you", 60)
    store.release_lock("x", "you")  # not the holder: no effect
    assert not store.acquire_lock("x", "you", 60)
    store.release_lock("x", "me")
    assert store.acquire_lock("x", "you", 60)
    assert store.acquire_lock("y", "me", -1)  # an expired lease
    assert store.acquire_lock("y", "you", 60)


def test_calls_are_keyed_by_conversation(store: AgentMetricsStore) -> None:
    row = {
        "conversation_id": "conv_1",
        "client_id": "c1",
        "agent_id": "agent_a",
        "agent_name": "Alpha",
        "period": "2025-03",
        "start_time": "2025-03-02T10:00:00Z",
        "start_unix": 1740909600,
        "duration_secs": 60,
        "direction": "inbound",
        "status": "done",
        "call_successful": "success",
    }
    store.put_calls([row], "import-1")
    store.put_calls([row, {**row, "duration_secs": 70}], "import-2")
    rows = list(store.calls_in_period("c1", "2025-03"))
    assert len(rows) == 1 and rows[0].import_id == "import-2"
