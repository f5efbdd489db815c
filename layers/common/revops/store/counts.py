"""Per-account counts of tracked files, kept exact as the file items change.

The status page, readiness and the cutover need "how many files of each kind,
per account and in all". Counting them from the file items reads every item; at
a million files that is a million reads per page. Instead every file item says
what it adds to the counts, and the counts are kept beside the items:

- `FileItem.counted` is the item's contribution, `<kind>|<bytes>|<account>`:
  kind `backup_only` (phase 1), `migrated` (phase 2), `failed` or `excluded`,
  the bytes of a backup (0 without one), the account id (`-` for none).
- one `CountItem` per account holds the sums: `COUNTS#<shard>` / `ACCOUNT#<id>`,
  the shard (00 to 15) a hash of the account id, so the counters spread over
  16 partitions; reading them all is 16 queries, whatever the number of files.

Exactly once. A file item that changes kind, size or account moves its count in
the same `TransactWriteItems` that writes it: the put of the item, conditional
on the contribution the table holds (`counted = :seen`, or no item yet), and an
`ADD` of the difference to each counter it touches. Both happen or neither. A
chunk retried after a partial failure, a rerun, a concurrent writer or a lost
answer (the transaction applied, the client saw an error) all meet the same
condition: it fails, the items concerned are read again, and the difference is
recomputed from what the table really holds, which is zero for a change already
counted. A transaction holds at most 100 actions (items plus counters); the
writes of one call are committed one transaction after another, so a caller's
transactions never compete with each other for a counter.

What a writer knows about the table rides on the item itself, in `counted`
before the write: the value read from the table, `ABSENT` (not tracked yet:
the plan knew), or `UNKNOWN` (read it first, one consistent `BatchGetItem` per
100 items). After the write it holds the new contribution.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import PynamoDBException, TransactWriteError
from pynamodb.transactions import TransactWrite

from revops.store import writes
from revops.store.base import TrackingModel

COUNT_SHARDS = 16
KINDS = ("backup_only", "migrated", "failed", "excluded")
MAX_ACTIONS = 100  # per TransactWriteItems, DynamoDB's maximum
UNKNOWN = "?"  # the table's contribution for this item is not known: read it
ABSENT = ""  # no item in the table yet
NO_ACCOUNT = "-"


class CountItem(TrackingModel):
    """The sums of one account's file contributions."""

    account_id = UnicodeAttribute(null=True)
    account_name = UnicodeAttribute(null=True)
    backup_only = NumberAttribute(default=0)
    migrated = NumberAttribute(default=0)
    failed = NumberAttribute(default=0)
    excluded = NumberAttribute(default=0)
    bytes = NumberAttribute(default=0)

    def total(self) -> int:
        """Files phase 2 is about: excluded files keep their URLs and count apart."""
        return int(self.backup_only or 0) + int(self.migrated or 0) + int(self.failed or 0)


@dataclass(frozen=True)
class Contribution:
    """What one file item adds to its account's counts."""

    kind: str
    bytes: int
    account: str  # account id, or NO_ACCOUNT

    def encode(self) -> str:
        return f"{self.kind}|{self.bytes}|{self.account}"

    @classmethod
    def decode(cls, text: str) -> Contribution:
        kind, size, account = text.split("|", 2)
        return cls(kind, int(size), account)


def contribution(item: Any) -> Contribution:
    """A file item's contribution, from its status, phase, size and account."""
    account = item.account_id or NO_ACCOUNT
    if item.status == "excluded":
        return Contribution("excluded", 0, account)
    if item.status != "backed_up":
        return Contribution("failed", 0, account)
    kind = "migrated" if item.migration_phase == 2 else "backup_only"
    return Contribution(kind, int(item.file_size_bytes or 0), account)


def counter_key(account: str) -> tuple[str, str]:
    shard = zlib.crc32(account.encode("utf-8")) % COUNT_SHARDS
    return f"COUNTS#{shard:02d}", f"ACCOUNT#{account}"


@dataclass
class Sums:
    """One account's sums, as counted or as recounted."""

    backup_only: int = 0
    migrated: int = 0
    failed: int = 0
    excluded: int = 0
    bytes: int = 0
    name: str | None = field(default=None, compare=False)

    def add(self, part: Contribution, sign: int = 1) -> None:
        setattr(self, part.kind, getattr(self, part.kind) + sign)
        self.bytes += sign * part.bytes

    def nonzero(self) -> bool:
        return any((self.backup_only, self.migrated, self.failed, self.excluded, self.bytes))

    def as_tuple(self) -> tuple[int, int, int, int, int]:
        return (self.backup_only, self.migrated, self.failed, self.excluded, self.bytes)


def recount(items: Iterable[Any]) -> dict[str, Sums]:
    """The counts as the file items themselves add up (a full read; for checks)."""
    sums: dict[str, Sums] = {}
    for item in items:
        part = contribution(item)
        sums.setdefault(part.account, Sums()).add(part)
    return sums


def tally(counters: Iterable[CountItem]) -> dict[str, Sums]:
    """Counter items as sums by account (`-` for none), leaving out the empty ones."""
    sums = {}
    for counter in counters:
        found = Sums(
            int(counter.backup_only or 0),
            int(counter.migrated or 0),
            int(counter.failed or 0),
            int(counter.excluded or 0),
            int(counter.bytes or 0),
            counter.account_name,
        )
        if found.nonzero():
            sums[counter.sk.removeprefix("ACCOUNT#")] = found
    return sums


def read_counts() -> Iterator[CountItem]:
    """Every account's counter (16 queries, one per shard)."""
    for shard in range(COUNT_SHARDS):
        yield from CountItem.query(f"COUNTS#{shard:02d}")


def any_counts() -> bool:
    """Whether any account has a counter (one item asked of each shard)."""
    return any(
        next(iter(CountItem.query(f"COUNTS#{shard:02d}", limit=1)), None) is not None
        for shard in range(COUNT_SHARDS)
    )


def read_account(account_id: str | None) -> CountItem | None:
    pk, sk = counter_key(account_id or NO_ACCOUNT)
    try:
        return CountItem.get(pk, sk)
    except CountItem.DoesNotExist:
        return None


# ---------------------------------------------------------------------- writes


@dataclass
class _Write:
    item: Any
    new: Contribution
    seen: str | None  # ABSENT, the stored `counted`, or None: an item without one

    def before(self) -> Contribution | None:
        return Contribution.decode(self.seen) if self.seen else None


@dataclass
class _Transaction:
    writes: list[_Write] = field(default_factory=list)
    deltas: dict[str, Sums] = field(default_factory=dict)

    @staticmethod
    def touches(write: _Write) -> dict[str, Sums]:
        """The counters a write changes; always its own account's (which takes its name)."""
        change: dict[str, Sums] = {}
        before = write.before()
        if before is not None:
            change.setdefault(before.account, Sums()).add(before, -1)
        change.setdefault(write.new.account, Sums()).add(write.new)
        return {
            account: sums
            for account, sums in change.items()
            if sums.nonzero() or account == write.new.account
        }

    def fits(self, change: dict[str, Sums]) -> bool:
        counters = set(self.deltas) | set(change)
        return len(self.writes) + 1 + len(counters) <= MAX_ACTIONS

    def add(self, write: _Write, change: dict[str, Sums], name: str | None) -> None:
        self.writes.append(write)
        for account, sums in change.items():
            total = self.deltas.setdefault(account, Sums())
            for kind in KINDS:
                setattr(total, kind, getattr(total, kind) + getattr(sums, kind))
            total.bytes += sums.bytes
        if name and write.new.account in self.deltas:
            self.deltas[write.new.account].name = name


def save_counted(items: Sequence[Any], backoff: writes.Backoff = writes.DEFAULT_BACKOFF) -> int:
    """Write file items and move their counts, exactly once. Returns how many items."""
    unique = list({(item.pk, item.sk): item for item in items}.values())
    _resolve(unique)
    pending = [_Write(item, contribution(item), item.counted) for item in unique]
    stale_rounds = 0
    while pending:
        group = _next_transaction(pending)
        pending = pending[len(group.writes) :]
        stale = _commit(group, backoff)
        if stale:
            stale_rounds += 1
            if stale_rounds > backoff.attempts:
                raise writes.StoreThrottledError(
                    f"{len(stale)} file items kept changing under the writer; try again"
                )
            _resolve([w.item for w in stale], force=True)
            pending = [_Write(w.item, w.new, w.item.counted) for w in group.writes] + pending
    return len(unique)


def _next_transaction(pending: Sequence[_Write]) -> _Transaction:
    group = _Transaction()
    for write in pending:
        change = group.touches(write)
        if group.writes and not group.fits(change):
            break
        group.add(write, change, getattr(write.item, "account_name", None))
    return group


def _resolve(items: Sequence[Any], force: bool = False) -> None:
    """Set `counted` to what the table holds for items whose state is not known."""
    wanted = [item for item in items if force or item.counted == UNKNOWN]
    if not wanted:
        return
    model = type(wanted[0])
    stored = {
        (found.pk, found.sk): found.counted
        for found in model.batch_get(
            [(item.pk, item.sk) for item in wanted],
            consistent_read=True,
            attributes_to_get=["pk", "sk", "counted"],
        )
    }
    for item in wanted:
        key = (item.pk, item.sk)
        item.counted = stored.get(key, ABSENT)


def _condition(write: _Write) -> Any:
    model: Any = type(write.item)
    if write.seen == ABSENT:
        return model.pk.does_not_exist()
    if write.seen is None:
        return model.pk.exists() & model.counted.does_not_exist()
    return model.counted == write.seen


def _commit(group: _Transaction, backoff: writes.Backoff) -> list[_Write]:
    """Commit one transaction; returns the writes whose condition failed (to re-read)."""
    connection = type(group.writes[0].item)._get_connection().connection
    for retry in range(backoff.attempts):
        try:
            with TransactWrite(connection=connection) as transaction:
                for write in group.writes:
                    write.item.counted = write.new.encode()
                    transaction.save(write.item, condition=_condition(write))
                for account, delta in group.deltas.items():
                    transaction.update(CountItem(*counter_key(account)), _actions(account, delta))
            return []
        except TransactWriteError as exc:
            for write in group.writes:
                write.item.counted = write.seen
            codes = [reason.code if reason else None for reason in exc.cancellation_reasons]
            stale = [
                write
                for write, code in zip(group.writes, codes, strict=False)
                if code == "ConditionalCheckFailed"
            ]
            if stale:
                return stale
            if not _retryable(exc, codes):
                raise
        except PynamoDBException as exc:
            if not writes.is_throttling(exc):
                raise
        if retry + 1 < backoff.attempts:
            writes.sleep(backoff.pause(retry))
    raise writes.StoreThrottledError(
        f"DynamoDB refused a transaction of {len(group.writes)} file items "
        f"{backoff.attempts} times (throttled or in conflict)"
    )


def _retryable(exc: TransactWriteError, codes: list[str | None]) -> bool:
    if exc.cause_response_code in writes.THROTTLING_CODES:
        return True
    return any(code in writes.RETRYABLE_REASONS for code in codes)


def _actions(account: str, delta: Sums) -> list[Any]:
    actions: list[Any] = [
        getattr(CountItem, kind).add(getattr(delta, kind)) for kind in KINDS if getattr(delta, kind)
    ]
    if delta.bytes:
        actions.append(CountItem.bytes.add(delta.bytes))
    if account != NO_ACCOUNT:
        actions.append(CountItem.account_id.set(account))
    if delta.name:
        actions.append(CountItem.account_name.set(delta.name))
    if not actions:  # no account, nothing changed: touch the counter so it exists
        actions.append(CountItem.bytes.add(0))
    return actions
