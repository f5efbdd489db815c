"""Reports over the stored history: combined metrics and the dashboard summary."""

from __future__ import annotations

from pydantic import Field

from revops.agentmetrics.models.base import (
    WireModel,
)
from revops.agentmetrics.models.metrics import AgentMonth, Totals


class AgentTotals(Totals):
    agent_id: str
    agent_name: str


class MonthReport(WireModel):
    period: str
    totals: Totals
    agents: list[AgentMonth]


class CombinedMetrics(WireModel):
    client_id: str
    client_name: str
    start_period: str
    end_period: str
    totals: Totals
    agents: list[AgentTotals]
    months: list[MonthReport]


class PeriodTotals(WireModel):
    period: str
    totals: Totals


class WindowSummary(WireModel):
    start_period: str | None
    end_period: str | None
    months_with_data: int
    totals: Totals
    agents: list[AgentTotals]
    months: list[PeriodTotals]


class ImportBrief(WireModel):
    import_id: str
    status: str
    started_at: str | None = None
    finished_at: str | None = None
    start_date: str | None = None
    end_date: str | None = None


class DashboardSummary(WireModel):
    client_id: str
    client_name: str
    time_zone: str
    current_period: str
    current_month: MonthReport
    latest_period_with_data: str | None
    latest_month: MonthReport | None
    trailing_12_months: WindowSummary = Field(alias="trailing12Months")
    last_import: ImportBrief | None
    generated_at: str
