"""Reports over the stored history: combined metrics for a range, and the dashboard summary."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime

from revops.agentmetrics.history import agent_month, has_data, rows_by_period
from revops.agentmetrics.models import (
    AgentMonth,
    AgentTotals,
    Client,
    CombinedMetrics,
    DashboardSummary,
    ImportBrief,
    MonthReport,
    PeriodTotals,
    WindowSummary,
    totals_of,
)
from revops.agentmetrics.periods import (
    MIN_YEAR,
    Period,
    current_period,
    iso_z,
    month_range,
)
from revops.store.agentmetrics import AgentMetricsStore


def _agent_totals(client: Client, rows: list[AgentMonth]) -> list[AgentTotals]:
    by_agent: dict[str, list[AgentMonth]] = defaultdict(list)
    for row in rows:
        by_agent[row.agent_id].append(row)
    ordered = [a.agent_id for a in client.agents] + sorted(
        set(by_agent) - {a.agent_id for a in client.agents}
    )
    return [
        AgentTotals(
            agent_id=agent_id,
            agent_name=client.agent_name(agent_id),
            **totals_of(by_agent.get(agent_id, [])).model_dump(),
        )
        for agent_id in ordered
    ]


def combined_metrics(
    store: AgentMetricsStore, client: Client, start: Period, end: Period
) -> CombinedMetrics:
    periods = month_range(start, end)
    grouped = rows_by_period(store, client, periods)
    months = [
        MonthReport(period=period, totals=totals_of(rows), agents=rows)
        for period, rows in grouped.items()
    ]
    every = [row for rows in grouped.values() for row in rows]
    return CombinedMetrics(
        client_id=client.client_id,
        client_name=client.name,
        start_period=str(start),
        end_period=str(end),
        totals=totals_of(every),
        agents=_agent_totals(client, every),
        months=months,
    )


def _latest_period_with_data(
    store: AgentMetricsStore, client: Client, upto: Period
) -> Period | None:
    rows: dict[str, list[AgentMonth]] = defaultdict(list)
    for item in store.history_between(client.client_id, f"{MIN_YEAR:04d}-01", str(upto)):
        rows[item.period].append(agent_month(item))
    with_data = sorted(period for period, month in rows.items() if has_data(month))
    return Period.parse(with_data[-1]) if with_data else None


def dashboard_summary(
    store: AgentMetricsStore, client: Client, now: datetime | None = None
) -> DashboardSummary:
    now = now or datetime.now(UTC)
    tz = client.zone
    this_month = current_period(tz, now)
    current_rows = sorted(
        (
            agent_month(item)
            for item in store.current(client.client_id)
            if item.period == str(this_month)
        ),
        key=lambda r: r.agent_id,
    )
    latest = _latest_period_with_data(store, client, this_month)
    latest_month: MonthReport | None = None
    window = WindowSummary(
        start_period=None,
        end_period=None,
        months_with_data=0,
        totals=totals_of([]),
        agents=_agent_totals(client, []),
        months=[],
    )
    if latest is not None:
        periods = month_range(latest.shift(-11), latest)
        grouped = rows_by_period(store, client, periods)
        latest_rows = grouped[str(latest)]
        latest_month = MonthReport(
            period=str(latest), totals=totals_of(latest_rows), agents=latest_rows
        )
        every = [row for rows in grouped.values() for row in rows]
        window = WindowSummary(
            start_period=str(periods[0]),
            end_period=str(latest),
            months_with_data=sum(has_data(rows) for rows in grouped.values()),
            totals=totals_of(every),
            agents=_agent_totals(client, every),
            months=[PeriodTotals(period=p, totals=totals_of(rows)) for p, rows in grouped.items()],
        )
    last_import = None
    runs = store.imports_of(client.client_id, limit=1)
    if runs:
        run = runs[0]
        request = run.request or {}
        last_import = ImportBrief(
            import_id=run.import_id,
            status=run.status,
            started_at=run.started_at,
            finished_at=run.finished_at,
            start_date=request.get("startDate"),
            end_date=request.get("endDate"),
        )
    return DashboardSummary(
        client_id=client.client_id,
        client_name=client.name,
        time_zone=client.time_zone,
        current_period=str(this_month),
        current_month=MonthReport(
            period=str(this_month), totals=totals_of(current_rows), agents=current_rows
        ),
        latest_period_with_data=str(latest) if latest else None,
        latest_month=latest_month,
        trailing_12_months=window,
        last_import=last_import,
        generated_at=iso_z(now),
    )
