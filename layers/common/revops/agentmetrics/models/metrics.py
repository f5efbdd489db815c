"""The seed's per-agent, per-month numbers, their sources, and call rows."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from revops.agentmetrics.models.base import (
    Direction,
    WireModel,
)


class Source(WireModel):
    """Where a number came from."""

    system: Literal["elevenlabs", "gohighlevel", "derived"]
    detail: dict[str, Any] = Field(default_factory=dict)
    imported_at: str | None = None
    import_id: str | None = None


class MetricValues(WireModel):
    """The seed's per-agent, per-month numbers."""

    inbound_calls: int = 0
    outbound_calls: int = 0
    total_calls: int = 0
    successful_bookings: int = 0
    total_duration: int = Field(0, description="Seconds.")
    average_duration: float = Field(0.0, description="Seconds per call.")
    success_rate: float | None = Field(
        None, description="Bookings / calls in percent; null when there were no calls."
    )


def derive(total_calls: int, total_duration: int, bookings: int) -> tuple[float, float | None]:
    """(averageDuration, successRate) from the stored counts."""
    average = round(total_duration / total_calls, 1) if total_calls else 0.0
    rate = round(bookings / total_calls * 100, 2) if total_calls else None
    return average, rate


class FieldDrift(WireModel):
    live: int = Field(description="What webhooks had recorded.")
    api: int = Field(description="What the provider API returned (now the number).")
    difference: int = Field(
        description="live - api: below 0 webhooks were missed, above 0 counted too often."
    )


class PartDrift(WireModel):
    """How a part's live numbers (kept by webhooks) differed from the API when reconciled."""

    webhook_events: int = Field(description="Webhook events applied since the previous import.")
    reconciled_at: str | None = None
    import_id: str | None = None
    fields: dict[str, FieldDrift] = Field(default_factory=dict)

    @property
    def drifted(self) -> bool:
        return any(f.difference for f in self.fields.values())


Part = Literal["calls", "bookings"]


class AgentMonth(MetricValues):
    """One agentMetricsHistory row (or the current month's agentMetrics)."""

    client_id: str
    agent_id: str
    agent_name: str
    period: str
    updated_at: str | None = None
    calls_imported: bool = False
    bookings_imported: bool = False
    sources: dict[str, Source] = Field(default_factory=dict)
    live_events: dict[Part, int] = Field(
        default_factory=dict, description="Webhook events applied since each part's last import."
    )
    webhook_drift: dict[Part, PartDrift] = Field(
        default_factory=dict,
        description="Per part, how the webhooks' numbers differed from the API's at the last "
        "reconciliation (the monthly sync, or any import of the month).",
    )


class CallRecord(WireModel):
    """One callHistory row: one ElevenLabs conversation."""

    conversation_id: str
    client_id: str
    agent_id: str
    agent_name: str
    period: str
    start_time: str
    start_unix: int
    duration_secs: int
    direction: Direction
    status: str
    call_successful: str


class Totals(MetricValues):
    pass


def totals_of(rows: list[AgentMonth] | list[Totals] | list[MetricValues]) -> Totals:
    inbound = sum(r.inbound_calls for r in rows)
    outbound = sum(r.outbound_calls for r in rows)
    calls = sum(r.total_calls for r in rows)
    bookings = sum(r.successful_bookings for r in rows)
    duration = sum(r.total_duration for r in rows)
    average, rate = derive(calls, duration, bookings)
    return Totals(
        inbound_calls=inbound,
        outbound_calls=outbound,
        total_calls=calls,
        successful_bookings=bookings,
        total_duration=duration,
        average_duration=average,
        success_rate=rate,
    )
