"""Reading agentMetricsHistory rows as models, with where each number came from."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from pydantic.alias_generators import to_camel

from revops.agentmetrics.models import AgentMonth, Client, FieldDrift, PartDrift, Source
from revops.agentmetrics.periods import Period
from revops.store.agentmetrics import AgentMetricsStore, MetricItem

CALL_FIELDS = ("inboundCalls", "outboundCalls", "totalCalls", "totalDuration")


def _drift(raw: dict[str, Any]) -> PartDrift:
    """A stored drift record, its field names as the wire has them (totalCalls, ...)."""
    return PartDrift(
        webhook_events=int(raw.get("webhookEvents") or 0),
        reconciled_at=raw.get("reconciledAt"),
        import_id=raw.get("importId"),
        fields={
            to_camel(name): FieldDrift(**value) for name, value in (raw.get("fields") or {}).items()
        },
    )


def agent_month(item: MetricItem) -> AgentMonth:
    sources: dict[str, Source] = {}
    if item.calls_source:
        calls = Source.model_validate(item.calls_source)
        sources.update(dict.fromkeys(CALL_FIELDS, calls))
    if item.bookings_source:
        sources["successfulBookings"] = Source.model_validate(item.bookings_source)
    sources["averageDuration"] = Source(
        system="derived", detail={"formula": "totalDuration / totalCalls"}
    )
    sources["successRate"] = Source(
        system="derived", detail={"formula": "successfulBookings / totalCalls * 100"}
    )
    return AgentMonth(
        client_id=item.client_id,
        agent_id=item.agent_id,
        agent_name=item.agent_name or item.agent_id,
        period=item.period,
        inbound_calls=int(item.inbound_calls or 0),
        outbound_calls=int(item.outbound_calls or 0),
        total_calls=int(item.total_calls or 0),
        successful_bookings=int(item.successful_bookings or 0),
        total_duration=int(item.total_duration or 0),
        average_duration=float(item.average_duration or 0),
        success_rate=None if item.success_rate is None else float(item.success_rate),
        updated_at=item.updated_at,
        live_events={
            part: int(count)
            for part, count in (
                ("calls", item.calls_live_events),
                ("bookings", item.bookings_live_events),
            )
            if count
        },
        webhook_drift={
            part: _drift(raw)
            for part, raw in (("calls", item.calls_drift), ("bookings", item.bookings_drift))
            if raw
        },
        calls_imported=item.calls_source is not None,
        bookings_imported=item.bookings_source is not None,
        sources=sources,
    )


def rows_by_period(
    store: AgentMetricsStore, client: Client, periods: list[Period]
) -> dict[str, list[AgentMonth]]:
    """History rows of `periods`, grouped by period (every period present, maybe empty)."""
    grouped: dict[str, list[AgentMonth]] = defaultdict(list)
    if not periods:
        return {}
    wanted = {str(p) for p in periods}
    for item in store.history_between(client.client_id, str(periods[0]), str(periods[-1])):
        if item.period in wanted:
            grouped[item.period].append(agent_month(item))
    return {str(p): sorted(grouped[str(p)], key=lambda r: r.agent_id) for p in periods}


def has_data(rows: list[AgentMonth]) -> bool:
    return any(r.total_calls > 0 or r.successful_bookings > 0 for r in rows)
