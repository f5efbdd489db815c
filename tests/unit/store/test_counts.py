"""Per-account counts move with their file items exactly once, through crashes, retries,
lost answers and concurrent writers, and always equal a full recount."""

from __future__ import annotations

from typing import Any

import pytest

from local.aws_faults import lost_responses, throttled_writes
from revops.migration import status
from revops.store import counts
from revops.store.counts import ABSENT, COUNT_SHARDS, Contribution
from revops.store.migration import FileItem, MigrationStore

ACME, CAFE = "001000000000001AAA", "001000000000002AAA"


def _file(store: MigrationStore, record_id: str, **fields: Any) -> FileItem:
    fields.setdefault("status", "backed_up")
    fields.setdefault("migration_phase", 1)
    fields.setdefault("account_id", ACME)
    fields.setdefault("file_size_bytes", 100)
    return store.new_file_item(record_id, **fields)


def _counted(store: MigrationStore) -> dict[str, tuple[int, ...]]:
    return {k: v.as_tuple() for k, v in counts.tally(store.account_counts()).items()}


def _recounted(store: MigrationStore) -> dict[str, tuple[int, ...]]:
    return {k: v.as_tuple() for k, v in counts.recount(store.all_files()).items()}


def _reload(store: MigrationStore, record_id: str) -> FileItem:
    item = store.file(record_id)
    assert item is not None
    return item


def test_every_kind_of_change_moves_its_count_and_the_counts_equal_a_recount(
    store: MigrationStore,
) -> None:
    store.save_files(
        [
            _file(store, "a-1", file_size_bytes=100),
            _file(store, "a-2", file_size_bytes=200),
            _file(store, "a-3", status="failed", file_size_bytes=None),
            _file(store, "a-4", status="excluded", last_error_type="too_large"),
            _file(store, "n-1", account_id=None, file_size_bytes=7),
        ]
    )
    assert _counted(store) == {ACME: (2, 0, 1, 1, 300), "-": (1, 0, 0, 0, 7)}

    migrated = _reload(store, "a-1")
    migrated.migration_phase = 2  # cutover
    retried = _reload(store, "a-3")
    retried.status, retried.file_size_bytes = "backed_up", 50  # a failed file backed up
    moved = _reload(store, "a-2")
    moved.account_id, moved.account_name = CAFE, "Café 🚀"  # the record changed account
    store.save_files([migrated, retried, moved])

    assert _counted(store) == {
        ACME: (1, 1, 0, 1, 150),
        CAFE: (1, 0, 0, 0, 200),
        "-": (1, 0, 0, 0, 7),
    }
    assert _counted(store) == _recounted(store)
    cafe = store.counts_of(CAFE)
    assert cafe is not None and cafe.account_name == "Café 🚀"


def test_a_rewrite_that_changes_nothing_moves_no_count(store: MigrationStore) -> None:
    store.save_files([_file(store, f"a-{i}") for i in range(3)])
    again = [_reload(store, f"a-{i}") for i in range(3)]
    for item in again:
        item.last_run_id = "run-2"  # a refresh that found the source unchanged

    store.save_files(again)

    assert _counted(store) == {ACME: (3, 0, 0, 0, 300)}


def test_a_chunk_retried_after_a_crash_between_transactions_counts_each_file_once(
    store: MigrationStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = counts._commit
    commits = 0

    def crash_on_second(group: Any, backoff: Any) -> Any:
        nonlocal commits
        commits += 1
        if commits == 2:
            raise RuntimeError("the worker died between two transactions")
        return original(group, backoff)

    def chunk() -> list[FileItem]:  # what a worker builds from its chunk file
        return [_file(store, f"f-{i:03d}", counted=ABSENT) for i in range(250)]

    monkeypatch.setattr(counts, "_commit", crash_on_second)
    with pytest.raises(RuntimeError):
        store.save_files(chunk())
    written = len(list(store.all_files()))
    monkeypatch.setattr(counts, "_commit", original)

    store.save_files(chunk())  # the retry: its first items are already there

    assert 0 < written < 250
    assert len(list(store.all_files())) == 250
    assert _counted(store) == {ACME: (250, 0, 0, 0, 25_000)} == _recounted(store)


def test_a_transaction_whose_answer_was_lost_is_counted_once(store: MigrationStore) -> None:
    store.save_files([_file(store, "a-1")])
    client = FileItem._get_connection().connection.client
    changed = _reload(store, "a-1")
    changed.migration_phase = 2

    with lost_responses(client, "TransactWriteItems") as lost:
        store.save_files([changed, _file(store, "a-2", counted=ABSENT)])

    assert lost.lost == 1
    assert _counted(store) == {ACME: (1, 1, 0, 0, 200)} == _recounted(store)


def test_a_change_made_by_another_writer_since_the_read_is_counted_from_the_table(
    store: MigrationStore,
) -> None:
    store.save_files([_file(store, "a-1")])
    mine = _reload(store, "a-1")  # read, then someone else writes first
    theirs = _reload(store, "a-1")
    theirs.status = "failed"
    store.save_files([theirs])

    mine.migration_phase = 2
    store.save_files([mine])

    assert _counted(store) == {ACME: (0, 1, 0, 0, 100)} == _recounted(store)


def test_throttled_and_conflicting_transactions_are_retried_until_they_pass(
    store: MigrationStore, pauses: list[float]
) -> None:
    with throttled_writes(0.3, operations={"TransactWriteItems"}) as throttling:
        store.save_files([_file(store, f"a-{i:03d}", counted=ABSENT) for i in range(300)])

    assert throttling.refused > 0 and pauses
    assert _counted(store) == {ACME: (300, 0, 0, 0, 30_000)} == _recounted(store)


def test_items_across_many_accounts_are_split_into_transactions_of_100_actions(
    store: MigrationStore,
) -> None:
    items = [
        _file(store, f"r-{i:03d}", account_id=f"001{i % 70:015d}", counted=ABSENT)
        for i in range(210)
    ]

    store.save_files(items)

    assert _counted(store) == _recounted(store)
    assert len(_counted(store)) == 70


def test_items_written_before_counting_existed_are_counted_when_next_written(
    store: MigrationStore,
) -> None:
    legacy = _file(store, "old-1")
    legacy.counted = None
    legacy.save()  # as a version without counts left it
    again = _reload(store, "old-1")
    again.last_run_id = "run-2"

    store.save_files([again])

    assert _counted(store) == {ACME: (1, 0, 0, 0, 100)}


def test_a_contribution_reads_back_as_written() -> None:
    part = Contribution("migrated", 12_345, ACME)

    assert Contribution.decode(part.encode()) == part


def test_the_status_views_read_as_many_items_for_300_files_as_for_ten(
    store: MigrationStore,
) -> None:
    from moto.dynamodb.models.table import Table

    read: list[int] = []
    original = Table.query

    def query(self: Any, *args: Any, **kwargs: Any) -> Any:
        results = original(self, *args, **kwargs)
        read.append(len(results[0]))
        return results

    def items_read(files: int) -> tuple[int, int]:
        store.save_files(
            [
                _file(store, f"{files}-{i}", account_id=(ACME, CAFE)[i % 2], counted=ABSENT)
                for i in range(files)
            ]
        )
        read.clear()
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(Table, "query", query)
            status.report(store)
        return len(read), sum(read)

    few = items_read(10)
    many = items_read(290)

    assert few == many  # the same queries, the same two counters: no file is read
    assert few[0] >= COUNT_SHARDS
