"""The plan reads each account's tracking ahead of its decisions, in order, and reads
nothing per account on a first run."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from typing import Any

from revops.migration.plan import Candidate, _with_tracking


def _candidate(record_id: str, account: str) -> Candidate:
    return Candidate(record_id, None, account, None, "f.pdf", None, None, None)


class _Tracking:
    """Answers like MigrationStore: a record tracked under its account, or another."""

    def __init__(self, by_account: dict[str, list[str]], elsewhere: set[str]) -> None:
        self.by_account, self.elsewhere = by_account, elsewhere
        self.asked: list[tuple[str, tuple[str, ...]]] = []
        self._lock = threading.Lock()

    def files_in_account(self, account_id: str, attributes: Sequence[str]) -> Iterator[Any]:
        with self._lock:
            self.asked.append(("account", (account_id,)))
        return iter([_Item(r) for r in self.by_account.get(account_id, [])])

    def files(self, record_ids: Sequence[str], attributes: Sequence[str]) -> Iterator[Any]:
        with self._lock:
            self.asked.append(("ids", tuple(record_ids)))
        return iter([_Item(r) for r in record_ids if r in self.elsewhere])


class _Item:
    def __init__(self, record_id: str) -> None:
        self.doclist_entry_id = record_id


def _groups() -> list[list[Candidate]]:
    return [
        [_candidate(f"{account}-{n}", account) for n in range(size)]
        for account, size in (("A", 3), ("B", 1), ("C", 5), ("D", 2))
    ]


def test_each_account_comes_in_order_with_its_own_tracking_and_moved_records() -> None:
    store = _Tracking({"A": ["A-0", "A-2"], "C": ["C-4"]}, elsewhere={"B-0", "D-1"})

    seen = list(_with_tracking(iter(_groups()), store, anything_tracked=True, threads=3, ahead=4))  # type: ignore[arg-type]

    assert [g[0].account_id for g, _ in seen] == ["A", "B", "C", "D"]
    assert [sorted(tracked) for _, tracked in seen] == [
        ["A-0", "A-2"],
        ["B-0"],  # tracked under another account: found by id
        ["C-4"],
        ["D-1"],
    ]
    assert sorted(a for kind, a in store.asked if kind == "account") == [
        ("A",),
        ("B",),
        ("C",),
        ("D",),
    ]


def test_a_first_run_reads_nothing_per_account() -> None:
    store = _Tracking({}, set())

    seen = list(_with_tracking(iter(_groups()), store, anything_tracked=False))  # type: ignore[arg-type]

    assert [len(tracked) for _, tracked in seen] == [0, 0, 0, 0]
    assert store.asked == []
