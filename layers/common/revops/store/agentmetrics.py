"""Voice-agent metrics in the AgentMetricsTable (single-table design).

| seed collection       | item            | keys                                                        |
|-----------------------|-----------------|-------------------------------------------------------------|
| clients               | `ClientItem`    | `CLIENT#<id>` / `CLIENT`; gsi1 `CLIENTS` / `<id>`            |
| callHistory           | `CallItem`      | `CALL#<conversationId>` / `CALL`; gsi1 `CALLS#<client>#<YYYY-MM>` / `<agent>#<start>` |
| agentMetricsHistory   | `MetricItem`    | `CLIENT#<id>` / `HISTORY#<YYYY-MM>#AGENT#<agentId>`; gsi1 `AGENT#<agentId>` / `<YYYY-MM>` |
| agentMetrics (current)| `MetricItem`    | `CLIENT#<id>` / `CURRENT#AGENT#<agentId>`                    |
| (new) imported months | `PeriodItem`    | `CLIENT#<id>` / `PERIOD#<YYYY-MM>`                           |
| (new) imports         | `ImportItem`    | `IMPORT#<importId>` / `IMPORT`; gsi1 `IMPORTS#<client>` / `<startedAt>` |
|                       | `ImportMonthItem` | `IMPORT#<importId>` / `MONTH#<YYYY-MM>`                   |
| (new) locks           | `LockItem`      | `LOCK#<name>` / `LOCK`                                       |

Call rows are keyed by the conversation id, so writing a conversation twice
overwrites it: an import can be repeated without counting anything twice.

A history row is written in two independent parts, calls (ElevenLabs) and
bookings (GoHighLevel), that may run at the same time. Each part is one
UpdateItem of its own attributes that also adds 1 to `version` and returns the
whole new row; the derived numbers (`averageDuration`, `successRate`) are then
written only if `version` is still the one seen. The last writer therefore
always derives from a row that holds both parts, without a lock.

DynamoDB applies each UpdateItem atomically. The local emulator (moto) does not,
and it runs every Lambda in one process, so updates of rows that two tasks
share (history rows, imported months, an import's month) also take a process
lock: it costs nothing in AWS, where a process serves one invocation at a time.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from pynamodb.attributes import (
    JSONAttribute,
    NumberAttribute,
    UnicodeAttribute,
)
from pynamodb.exceptions import DeleteError, DoesNotExist, PutError, UpdateError
from pynamodb.expressions.update import Action
from pynamodb.models import Model

from revops.store.base import Gsi1, bind
from revops.store.writes import batch_write, retrying

_SHARED_ROWS = threading.RLock()


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _conditional_failure(exc: Exception) -> bool:
    cause = getattr(exc, "cause_response_code", None)
    return cause == "ConditionalCheckFailedException"


class AgentMetricsModel(Model):
    """Base of every item in the AgentMetricsTable; the key schema lives in template.yaml."""

    class Meta:
        table_name = "unbound"
        region = "us-east-1"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)


class ClientItem(AgentMetricsModel):
    client_id = UnicodeAttribute()
    config = JSONAttribute()
    updated_at = UnicodeAttribute(null=True)

    by_parent = Gsi1()


class CallItem(AgentMetricsModel):
    conversation_id = UnicodeAttribute()
    client_id = UnicodeAttribute()
    agent_id = UnicodeAttribute()
    agent_name = UnicodeAttribute(null=True)
    period = UnicodeAttribute()
    start_time = UnicodeAttribute()
    start_unix = NumberAttribute()
    duration_secs = NumberAttribute(default=0)
    direction = UnicodeAttribute()
    status = UnicodeAttribute(null=True)
    call_successful = UnicodeAttribute(null=True)
    imported_at = UnicodeAttribute(null=True)
    import_id = UnicodeAttribute(null=True)
    received_at = UnicodeAttribute(null=True)  # set when a webhook recorded the call

    by_parent = Gsi1()


class MetricItem(AgentMetricsModel):
    client_id = UnicodeAttribute()
    agent_id = UnicodeAttribute()
    agent_name = UnicodeAttribute(null=True)
    period = UnicodeAttribute()
    inbound_calls = NumberAttribute(null=True)
    outbound_calls = NumberAttribute(null=True)
    total_calls = NumberAttribute(null=True)
    total_duration = NumberAttribute(null=True)
    successful_bookings = NumberAttribute(null=True)
    average_duration = NumberAttribute(null=True)
    success_rate = NumberAttribute(null=True)
    calls_source = JSONAttribute(null=True)
    bookings_source = JSONAttribute(null=True)
    updated_at = UnicodeAttribute(null=True)
    version = NumberAttribute(null=True)
    # Webhook events applied to this row since its part was last imported, and what the
    # last import found they differed from the provider API by (`write_part`).
    calls_live_events = NumberAttribute(null=True)
    bookings_live_events = NumberAttribute(null=True)
    calls_drift = JSONAttribute(null=True)
    bookings_drift = JSONAttribute(null=True)

    by_parent = Gsi1()


class PeriodItem(AgentMetricsModel):
    client_id = UnicodeAttribute()
    period = UnicodeAttribute()
    calls_imported_at = UnicodeAttribute(null=True)
    bookings_imported_at = UnicodeAttribute(null=True)


class ImportItem(AgentMetricsModel):
    import_id = UnicodeAttribute()
    client_id = UnicodeAttribute()
    execution_arn = UnicodeAttribute(null=True)
    request = JSONAttribute(null=True)
    periods = JSONAttribute(null=True)
    status = UnicodeAttribute(default="running")
    started_at = UnicodeAttribute(null=True)
    finished_at = UnicodeAttribute(null=True)
    summary = JSONAttribute(null=True)

    by_parent = Gsi1()


class ImportMonthItem(AgentMetricsModel):
    # Success and failure are written by the workflow itself (DynamoDB tasks), so
    # everything but the keys may be absent.
    import_id = UnicodeAttribute(null=True)
    period = UnicodeAttribute(null=True)
    status = UnicodeAttribute(null=True)  # pending | success | error | skipped
    calls = JSONAttribute(null=True)
    bookings = JSONAttribute(null=True)
    error = UnicodeAttribute(null=True)
    cause = UnicodeAttribute(null=True)
    finished_at = UnicodeAttribute(null=True)


class LockItem(AgentMetricsModel):
    owner = UnicodeAttribute()
    expires_at = NumberAttribute()


def client_pk(client_id: str) -> str:
    return f"CLIENT#{client_id}"


def history_sk(period: str, agent_id: str) -> str:
    return f"HISTORY#{period}#AGENT#{agent_id}"


def current_sk(agent_id: str) -> str:
    return f"CURRENT#AGENT#{agent_id}"


def calls_gsi(client_id: str, period: str) -> str:
    return f"CALLS#{client_id}#{period}"


def import_pk(import_id: str) -> str:
    return f"IMPORT#{import_id}"


Derive = Callable[[int, int, int], tuple[float, float | None]]
"""(totalCalls, totalDuration, successfulBookings) -> (averageDuration, successRate)."""


class AgentMetricsStore:
    """Repository for every voice-agent metrics item. The only code that talks PynamoDB.

    `derive` is the domain's formula for the derived numbers of a history row.
    """

    def __init__(self, table_name: str, region: str, derive: Derive) -> None:
        meta = AgentMetricsModel.Meta
        if (meta.table_name, meta.region) != (table_name, region):
            bind(AgentMetricsModel, table_name, region)  # keeps the connection of a warm container
        self.derive = derive

    # ------------------------------------------------------------------ clients

    def client(self, client_id: str) -> ClientItem | None:
        try:
            return ClientItem.get(client_pk(client_id), "CLIENT")
        except DoesNotExist:
            return None

    def put_client(self, client_id: str, config: dict[str, Any]) -> ClientItem:
        item = ClientItem(
            client_pk(client_id),
            "CLIENT",
            client_id=client_id,
            config=config,
            updated_at=now_iso(),
            gsi1pk="CLIENTS",
            gsi1sk=client_id,
        )
        retrying(item.save, "the client item")
        return item

    def clients(self) -> Iterator[ClientItem]:
        return ClientItem.by_parent.query("CLIENTS")

    # ------------------------------------------------------------------ call history

    def calls(self, conversation_ids: Iterable[str]) -> dict[str, CallItem]:
        keys = [(f"CALL#{cid}", "CALL") for cid in conversation_ids]
        if not keys:
            return {}
        return {item.conversation_id: item for item in CallItem.batch_get(keys)}

    def put_calls(self, rows: Iterable[dict[str, Any]], import_id: str | None) -> int:
        """Write call rows keyed by conversation id (idempotent: a rewrite replaces)."""
        stamp = now_iso()
        unique = {row["conversation_id"]: row for row in rows}  # a batch may not repeat a key
        return batch_write(
            CallItem,
            (
                CallItem(
                    f"CALL#{row['conversation_id']}",
                    "CALL",
                    gsi1pk=calls_gsi(row["client_id"], row["period"]),
                    gsi1sk=f"{row['agent_id']}#{row['start_time']}#{row['conversation_id']}",
                    imported_at=stamp,
                    import_id=import_id,
                    **row,
                )
                for row in unique.values()
            ),
        )

    def calls_in_period(self, client_id: str, period: str) -> Iterator[CallItem]:
        return CallItem.by_parent.query(calls_gsi(client_id, period))

    # ------------------------------------------------------------------ history

    def history(self, client_id: str, period: str, agent_id: str) -> MetricItem | None:
        try:
            return MetricItem.get(client_pk(client_id), history_sk(period, agent_id))
        except DoesNotExist:
            return None

    def history_between(self, client_id: str, first: str, last: str) -> Iterator[MetricItem]:
        """Every history row of periods first..last (both 'YYYY-MM', inclusive)."""
        return MetricItem.query(
            client_pk(client_id),
            MetricItem.sk.between(f"HISTORY#{first}#", f"HISTORY#{last}#~"),
        )

    def current(self, client_id: str) -> Iterator[MetricItem]:
        return MetricItem.query(client_pk(client_id), MetricItem.sk.startswith("CURRENT#"))

    def write_part(
        self,
        client_id: str,
        period: str,
        agent_id: str,
        agent_name: str,
        values: dict[str, int],
        source_field: str,
        source: dict[str, Any],
        *,
        is_current: bool,
    ) -> MetricItem:
        """Write one part (calls or bookings) of a history row, then its derived numbers.

        The import is the source of truth: its values replace what webhooks built. When
        webhooks moved the part since it was last imported, what they had recorded and what
        the provider API returned are kept as the part's drift (`calls_drift` or
        `bookings_drift`: per field the live value, the API's and the difference) and the
        count of live events starts again from 0. The previous row is read and the write is
        conditional on its version, so a webhook applied in between is never lost.
        """
        part = source_field.removesuffix("_source")
        key = (client_pk(client_id), history_sk(period, agent_id))
        stamp = now_iso()
        for _ in range(16):
            try:
                before: MetricItem | None = MetricItem.get(*key, consistent_read=True)
            except DoesNotExist:
                before = None
            actions: list[Action] = [
                MetricItem.client_id.set(client_id),
                MetricItem.agent_id.set(agent_id),
                MetricItem.agent_name.set(agent_name),
                MetricItem.period.set(period),
                MetricItem.gsi1pk.set(f"AGENT#{agent_id}"),
                MetricItem.gsi1sk.set(f"{period}#{client_id}"),
                MetricItem.updated_at.set(stamp),
                getattr(MetricItem, source_field).set(source),
                MetricItem.version.add(1),
            ]
            actions += [getattr(MetricItem, name).set(value) for name, value in values.items()]
            live_events = int(getattr(before, f"{part}_live_events", None) or 0) if before else 0
            if before is not None and live_events:
                drift = {
                    "webhookEvents": live_events,
                    "reconciledAt": stamp,
                    "importId": source.get("importId"),
                    "fields": {
                        name: {
                            "live": int(getattr(before, name) or 0),
                            "api": value,
                            "difference": int(getattr(before, name) or 0) - value,
                        }
                        for name, value in values.items()
                    },
                }
                actions += [
                    getattr(MetricItem, f"{part}_drift").set(drift),
                    getattr(MetricItem, f"{part}_live_events").set(0),
                ]
            condition = (
                MetricItem.pk.does_not_exist()
                if before is None
                else MetricItem.version == before.version
                if before.version is not None
                else MetricItem.version.does_not_exist()
            )
            item = MetricItem(*key)
            with _SHARED_ROWS:
                try:
                    # refreshes `item`; throttling is ridden out, a lost race is read again
                    retrying(
                        functools.partial(item.update, actions=actions, condition=condition),
                        "a metrics row",
                    )
                except UpdateError as exc:
                    if not _conditional_failure(exc):
                        raise
                    continue  # a webhook moved the row after we read it: read it again
                self.derive_and_mirror(item, is_current=is_current)
            return item
        raise RuntimeError(f"history row {key} kept changing under the import")

    def derive_and_mirror(self, item: MetricItem, *, is_current: bool) -> None:
        """The derived numbers of a freshly read row, and its copy in agentMetrics if current."""
        self._derive(item)
        if is_current:
            self._mirror_current(item)

    def _derive(self, item: MetricItem) -> None:
        average, rate = self.derive(
            int(item.total_calls or 0),
            int(item.total_duration or 0),
            int(item.successful_bookings or 0),
        )
        actions: list[Action] = [MetricItem.average_duration.set(average)]
        actions.append(
            MetricItem.success_rate.set(rate)
            if rate is not None
            else MetricItem.success_rate.remove()
        )
        try:
            retrying(
                lambda: item.update(actions=actions, condition=MetricItem.version == item.version),
                "a metrics row",
            )
        except UpdateError as exc:
            if not _conditional_failure(exc):
                raise
            # A later writer changed the row; it derives from the newer state itself.

    def _mirror_current(self, item: MetricItem) -> None:
        """Copy a row of the current month to the client's `agentMetrics` (newest version wins)."""
        current = MetricItem(
            item.pk,
            current_sk(item.agent_id),
            **{
                name: getattr(item, name)
                for name in MetricItem.get_attributes()
                if name not in ("pk", "sk", "gsi1pk", "gsi1sk")
            },
        )
        try:
            newer = (
                MetricItem.version.does_not_exist()
                | (MetricItem.version < (item.version or 0))
                | (MetricItem.period != item.period)
            )
            retrying(lambda: current.save(condition=newer), "the current metrics row")
        except PutError as exc:
            if not _conditional_failure(exc):
                raise

    # ------------------------------------------------------------------ imported months

    def periods(self, client_id: str) -> dict[str, PeriodItem]:
        return {
            item.period: item
            for item in PeriodItem.query(client_pk(client_id), PeriodItem.sk.startswith("PERIOD#"))
        }

    def mark_period(self, client_id: str, period: str, part: str) -> None:
        item = PeriodItem(client_pk(client_id), f"PERIOD#{period}")
        actions = [
            PeriodItem.client_id.set(client_id),
            PeriodItem.period.set(period),
            getattr(PeriodItem, f"{part}_imported_at").set(now_iso()),
        ]
        with _SHARED_ROWS:
            retrying(lambda: item.update(actions=actions), "an imported month")

    # ------------------------------------------------------------------ imports

    def start_import(
        self,
        import_id: str,
        client_id: str,
        execution_arn: str | None,
        request: dict[str, Any],
        months: list[tuple[str, bool]],
    ) -> ImportItem:
        started = now_iso()
        run = ImportItem(
            import_pk(import_id),
            "IMPORT",
            import_id=import_id,
            client_id=client_id,
            execution_arn=execution_arn,
            request=request,
            periods=[period for period, _ in months],
            status="running",
            started_at=started,
            gsi1pk=f"IMPORTS#{client_id}",
            gsi1sk=f"{started}#{import_id}",
        )
        retrying(run.save, "the import item")
        batch_write(
            ImportMonthItem,
            (
                ImportMonthItem(
                    import_pk(import_id),
                    f"MONTH#{period}",
                    import_id=import_id,
                    period=period,
                    status="skipped" if skip else "pending",
                    finished_at=started if skip else None,
                )
                for period, skip in months
            ),
        )
        return run

    def import_run(self, import_id: str) -> ImportItem | None:
        try:
            return ImportItem.get(import_pk(import_id), "IMPORT")
        except DoesNotExist:
            return None

    def import_months(self, import_id: str) -> list[ImportMonthItem]:
        return list(
            ImportMonthItem.query(import_pk(import_id), ImportMonthItem.sk.startswith("MONTH#"))
        )

    def record_month_part(
        self, import_id: str, period: str, part: str, result: dict[str, Any]
    ) -> None:
        item = ImportMonthItem(import_pk(import_id), f"MONTH#{period}")
        with _SHARED_ROWS:
            retrying(
                lambda: item.update(actions=[getattr(ImportMonthItem, part).set(result)]),
                "an import month",
            )

    def finish_import(self, import_id: str, status: str, summary: dict[str, Any]) -> None:
        item = ImportItem(import_pk(import_id), "IMPORT")
        actions: list[Action] = [
            ImportItem.status.set(status),
            ImportItem.summary.set(summary),
            ImportItem.finished_at.set(now_iso()),
        ]
        retrying(lambda: item.update(actions=actions), "the import item")

    def imports_of(self, client_id: str, limit: int = 1) -> list[ImportItem]:
        return list(
            ImportItem.by_parent.query(
                f"IMPORTS#{client_id}", scan_index_forward=False, limit=limit
            )
        )

    # ------------------------------------------------------------------ locks

    def acquire_lock(self, name: str, owner: str, lease_seconds: float) -> bool:
        """Take `name` if it is free or its holder's lease ran out (a conditional put)."""
        now = time.time()
        item = LockItem(f"LOCK#{name}", "LOCK", owner=owner, expires_at=now + lease_seconds)
        try:
            free = LockItem.pk.does_not_exist() | (LockItem.expires_at < now)
            retrying(lambda: item.save(condition=free), "a lock")
        except PutError as exc:
            if _conditional_failure(exc):
                return False
            raise
        return True

    def release_lock(self, name: str, owner: str) -> None:
        item = LockItem(f"LOCK#{name}", "LOCK", owner=owner, expires_at=0)
        try:
            retrying(lambda: item.delete(condition=LockItem.owner == owner), "a lock")
        except DeleteError as exc:
            if not _conditional_failure(exc):
                raise
