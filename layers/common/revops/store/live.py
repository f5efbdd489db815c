"""Webhook events in the AgentMetricsTable: each applied once, with the numbers, atomically.

| item               | keys                                                                   |
|--------------------|------------------------------------------------------------------------|
| `CallItem`         | `CALL#<conversationId>` / `CALL` (the same row an import writes)        |
| `AppointmentItem`  | `APPT#<appointmentId>` / `APPT`; gsi1 `APPTS#<client>#<YYYY-MM>` / `<id>` |

A call is applied by one `TransactWriteItems`: the callHistory row, put only if no row
holds that conversation yet (an import's or an earlier delivery's), and the month's
history row, its counters incremented. Either both happen or neither, so a duplicate
delivery, or a retry after a crash between the two writes, can never count a call twice
or lose it.

An appointment's latest state is its item, versioned by HighLevel's `dateUpdated`. An
event is applied by one transaction: the item, put only if the stored version is still
the one read (optimistic, retried on a race) and older than the event's, and the
bookings of the history row(s) the change moves (-1 where it counted, +1 where it
counts now: a status change, a reschedule into another month, a deletion). An event
older than the stored state changes nothing, so updates delivered out of order end in
the appointment's latest state. A deletion is final.

After either, the row's derived numbers are rewritten and, in the current month,
copied to agentMetrics (`AgentMetricsStore.derive_and_mirror`).
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist, TransactWriteError
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from revops.store.agentmetrics import (
    _SHARED_ROWS,
    AgentMetricsModel,
    AgentMetricsStore,
    CallItem,
    MetricItem,
    calls_gsi,
    client_pk,
    history_sk,
    now_iso,
)
from revops.store.base import Gsi1

# Each lost race means another event for the appointment was applied; the newest event
# loses at most once per concurrent writer, and older ones stop as soon as they see it.
MAX_ATTEMPTS = 32


class AppointmentItem(AgentMetricsModel):
    client_id = UnicodeAttribute()
    appointment_id = UnicodeAttribute()
    location_id = UnicodeAttribute(null=True)
    calendar_id = UnicodeAttribute(null=True)
    assigned_user_id = UnicodeAttribute(null=True)
    agent_id = UnicodeAttribute(null=True)  # None: credited to no agent
    period = UnicodeAttribute()
    status = UnicodeAttribute(null=True)
    start_time = UnicodeAttribute(null=True)
    booked = BooleanAttribute(default=False)
    deleted = BooleanAttribute(default=False)
    version = NumberAttribute()  # dateUpdated, epoch milliseconds
    source = UnicodeAttribute(null=True)  # webhook | import
    received_at = UnicodeAttribute(null=True)
    applied_at = UnicodeAttribute(null=True)

    by_parent = Gsi1()


def appointment_pk(appointment_id: str) -> str:
    return f"APPT#{appointment_id}"


@dataclass(frozen=True)
class Counted:
    """Where an appointment counts: a booking of `agent_id` in `period` (or nowhere)."""

    agent_id: str | None
    agent_name: str | None
    period: str
    booked: bool

    @property
    def counts(self) -> bool:
        return self.booked and self.agent_id is not None


@dataclass(frozen=True)
class AppointmentState:
    client_id: str
    appointment_id: str
    location_id: str | None
    calendar_id: str | None
    assigned_user_id: str | None
    status: str
    start_time: str
    version: int
    deleted: bool
    counted: Counted


def call_counters(row: dict[str, Any]) -> dict[str, int]:
    """What one conversation adds to its agent's month."""
    return {
        "total_calls": 1,
        "total_duration": int(row["duration_secs"]),
        "inbound_calls": int(row["direction"] == "inbound"),
        "outbound_calls": int(row["direction"] == "outbound"),
    }


def _reason_codes(exc: TransactWriteError) -> list[str | None]:
    return [r.code if r else None for r in (exc.cancellation_reasons or [])]


class LiveStore:
    """Applies webhook events to the AgentMetricsTable; `store` owns the shared rows."""

    def __init__(self, store: AgentMetricsStore) -> None:
        self.store = store

    def _transaction(self) -> TransactWrite:
        # The models' own connection: its client is built once per container, not per event.
        return TransactWrite(connection=AgentMetricsModel._get_connection().connection)

    def _row_update(
        self,
        client_id: str,
        period: str,
        agent_id: str,
        agent_name: str,
        adds: dict[str, int],
        part: str,
        source: dict[str, Any],
    ) -> tuple[MetricItem, list[Action]]:
        """The history row and the actions adding `adds` to it, as one webhook event."""
        item = MetricItem(client_pk(client_id), history_sk(period, agent_id))
        actions: list[Action] = [
            MetricItem.client_id.set(client_id),
            MetricItem.agent_id.set(agent_id),
            MetricItem.agent_name.set(MetricItem.agent_name | agent_name),
            MetricItem.period.set(period),
            MetricItem.gsi1pk.set(f"AGENT#{agent_id}"),
            MetricItem.gsi1sk.set(f"{period}#{client_id}"),
            MetricItem.updated_at.set(now_iso()),
            getattr(MetricItem, f"{part}_source").set(
                getattr(MetricItem, f"{part}_source") | source
            ),
            getattr(MetricItem, f"{part}_live_events").add(1),
            MetricItem.version.add(1),
        ]
        actions += [getattr(MetricItem, name).add(value) for name, value in adds.items()]
        return item, actions

    def _settle(self, client_id: str, period: str, agent_id: str, *, is_current: bool) -> None:
        try:
            row = MetricItem.get(
                client_pk(client_id), history_sk(period, agent_id), consistent_read=True
            )
        except DoesNotExist:
            return
        self.store.derive_and_mirror(row, is_current=is_current)

    # ------------------------------------------------------------------ calls

    def record_call(self, row: dict[str, Any], *, received_at: str, is_current: bool) -> bool:
        """Record a conversation (a callHistory row's fields, as `put_calls` takes them) and
        count it, once. False when it was already recorded."""
        call = CallItem(
            f"CALL#{row['conversation_id']}",
            "CALL",
            gsi1pk=calls_gsi(row["client_id"], row["period"]),
            gsi1sk=f"{row['agent_id']}#{row['start_time']}#{row['conversation_id']}",
            imported_at=now_iso(),
            import_id=None,
            received_at=received_at,
            **row,
        )
        history, actions = self._row_update(
            row["client_id"],
            row["period"],
            row["agent_id"],
            row["agent_name"],
            call_counters(row),
            "calls",
            {"system": "elevenlabs", "detail": {"via": "post-call webhooks"}},
        )
        applied = True
        with _SHARED_ROWS:
            try:
                with self._transaction() as transaction:
                    transaction.save(call, condition=CallItem.pk.does_not_exist())
                    transaction.update(history, actions=actions)
            except TransactWriteError as exc:
                if _reason_codes(exc)[:1] != ["ConditionalCheckFailed"]:
                    raise
                applied = False  # already recorded: settle the row anyway (a crash may sit between)
            self._settle(row["client_id"], row["period"], row["agent_id"], is_current=is_current)
        return applied

    # ------------------------------------------------------------------ appointments

    def appointment(self, appointment_id: str) -> AppointmentItem | None:
        try:
            return AppointmentItem.get(appointment_pk(appointment_id), "APPT", consistent_read=True)
        except DoesNotExist:
            return None

    @staticmethod
    def counted(item: AppointmentItem | None) -> Counted | None:
        if item is None or item.deleted:
            return None
        return Counted(item.agent_id, None, item.period, bool(item.booked))

    def _item(
        self, state: AppointmentState, source: str, received_at: str | None
    ) -> AppointmentItem:
        return AppointmentItem(
            appointment_pk(state.appointment_id),
            "APPT",
            client_id=state.client_id,
            appointment_id=state.appointment_id,
            location_id=state.location_id,
            calendar_id=state.calendar_id,
            assigned_user_id=state.assigned_user_id,
            agent_id=state.counted.agent_id,
            period=state.counted.period,
            status=state.status,
            start_time=state.start_time,
            booked=state.counted.booked and not state.deleted,
            deleted=state.deleted,
            version=state.version,
            source=source,
            received_at=received_at,
            applied_at=now_iso(),
            gsi1pk=f"APPTS#{state.client_id}#{state.counted.period}",
            gsi1sk=state.appointment_id,
        )

    def record_appointment(
        self, state: AppointmentState, *, received_at: str, current_period: str
    ) -> str:
        """Apply an appointment's new state: "applied", "stale" (an older or equal state, or
        anything after a deletion) or "unchanged" (a deletion already applied)."""
        for _ in range(MAX_ATTEMPTS):
            stored = self.appointment(state.appointment_id)
            if stored is not None and stored.deleted:
                return "unchanged" if state.deleted else "stale"
            if stored is not None and not state.deleted and stored.version >= state.version:
                return "stale"
            before = self.counted(stored)
            after = None if state.deleted else state.counted
            deltas: dict[tuple[str, str], int] = {}
            names: dict[str, str] = {}
            if before is not None and before.counts:
                assert before.agent_id is not None
                key = (before.period, before.agent_id)
                deltas[key] = deltas.get(key, 0) - 1
            if after is not None and after.counts:
                assert after.agent_id is not None
                key = (after.period, after.agent_id)
                deltas[key] = deltas.get(key, 0) + 1
                names[after.agent_id] = after.agent_name or after.agent_id
            item = self._item(state, "webhook", received_at)
            condition = (
                AppointmentItem.pk.does_not_exist()
                if stored is None
                else AppointmentItem.version == stored.version
            )
            changed = [(key, delta) for key, delta in deltas.items() if delta]
            with _SHARED_ROWS:
                try:
                    with self._transaction() as transaction:
                        transaction.save(item, condition=condition)
                        for (period, agent_id), delta in changed:
                            history, actions = self._row_update(
                                state.client_id,
                                period,
                                agent_id,
                                names.get(agent_id, agent_id),
                                {"successful_bookings": delta},
                                "bookings",
                                {
                                    "system": "gohighlevel",
                                    "detail": {"via": "appointment webhooks"},
                                },
                            )
                            transaction.update(history, actions=actions)
                except TransactWriteError as exc:
                    codes = _reason_codes(exc)
                    if "ConditionalCheckFailed" in codes[:1] or "TransactionConflict" in codes:
                        time.sleep(random.uniform(0, 0.005))
                        continue  # another event for this appointment won the race: read again
                    raise
                for period, agent_id in (key for key, _ in changed):
                    self._settle(
                        state.client_id, period, agent_id, is_current=period == current_period
                    )
            return "applied"
        raise RuntimeError(f"appointment {state.appointment_id} kept changing under us")

    def put_imported(
        self,
        states: Iterable[AppointmentState],
        *,
        client_id: str,
        period: str,
        listed_at_ms: int,
    ) -> int:
        """What an import listed for a month, as the appointments' states, unless a newer
        state is stored (a webhook applied after the listing). Appointments stored for the
        month that the listing no longer has were deleted without a webhook reaching us:
        they are marked deleted, unless they changed after the listing began. Returns how
        many items were written."""
        wanted = {s.appointment_id: s for s in states}
        stored = {
            item.appointment_id: item
            for item in AppointmentItem.by_parent.query(f"APPTS#{client_id}#{period}")
        }
        missing = [i for i in wanted if i not in stored]
        for start in range(0, len(missing), 100):
            keys = [(appointment_pk(i), "APPT") for i in missing[start : start + 100]]
            stored.update({item.appointment_id: item for item in AppointmentItem.batch_get(keys)})
        written = 0
        with _SHARED_ROWS, AppointmentItem.batch_write() as batch:
            for appointment_id, state in wanted.items():
                current = stored.get(appointment_id)
                if current is not None and (current.deleted or current.version > state.version):
                    continue
                batch.save(self._item(state, "import", None))
                written += 1
            for appointment_id, item in stored.items():
                gone = appointment_id not in wanted and item.period == period
                if gone and not item.deleted and item.version < listed_at_ms:
                    item.deleted, item.booked, item.source = True, False, "import"
                    item.applied_at = now_iso()
                    batch.save(item)
                    written += 1
        return written
