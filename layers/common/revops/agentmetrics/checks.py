"""Validation of imported history: gaps and consistency, in the seed's shape.

A month "has data" when any agent row of it holds a call or a booking; the
others are `dataGaps`. Consistency checks, per agent and month:

* `bookings_exceed_calls`: bookings must not exceed calls (months with calls);
* `unrealistic_booking_rate`: bookings / calls must lie in the configured
  realistic range, in percent (months with calls);
* `bookings_without_calls`: a month with appointments booked but no calls;
* `duplicate_import`: two callHistory rows for one conversation (months whose
  calls were imported);
* `webhook_drift`: per part (calls, bookings) that webhooks kept live, the live
  numbers must equal what the provider API returned when the month was
  reconciled; each reconciled part is also listed in `webhookDrift`.

Every evaluated check counts in `totalChecks`; each failure is one issue.
"""

from __future__ import annotations

from collections import Counter, defaultdict

from revops.agentmetrics.history import has_data, rows_by_period
from revops.agentmetrics.models import (
    AgentMonth,
    BookingRateRange,
    Client,
    Consistency,
    Issue,
    ValidationReport,
    WebhookDrift,
)
from revops.agentmetrics.periods import Period
from revops.store.agentmetrics import AgentMetricsStore


def evaluate(
    client: Client,
    periods: list[Period],
    rows: dict[str, list[AgentMonth]],
    duplicates: dict[str, dict[str, list[str]]],
    rate_range: BookingRateRange,
    start_date: str,
    end_date: str,
) -> ValidationReport:
    """Pure: the report for `rows` (by period) and duplicate conversations (period -> agent -> ids)."""
    issues: list[Issue] = []
    drifts: list[WebhookDrift] = []
    checks = 0
    gaps: list[str] = []
    for period in map(str, periods):
        month_rows = rows.get(period, [])
        if not has_data(month_rows):
            gaps.append(period)
        for row in month_rows:
            calls, bookings = row.total_calls, row.successful_bookings

            def issue(kind: str, detail: str, row: AgentMonth = row, period: str = period) -> None:
                issues.append(
                    Issue(
                        type=kind,
                        agent_id=row.agent_id,
                        agent_name=row.agent_name,
                        period=period,
                        detail=detail,
                    )
                )

            if calls > 0:
                checks += 2
                if bookings > calls:
                    issue(
                        "bookings_exceed_calls",
                        f"{bookings} bookings but only {calls} calls",
                    )
                rate = bookings / calls * 100
                if not rate_range.min_percent <= rate <= rate_range.max_percent:
                    issue(
                        "unrealistic_booking_rate",
                        f"booking rate {rate:.1f}% is outside the realistic range "
                        f"{rate_range.min_percent:g}-{rate_range.max_percent:g}%",
                    )
            if calls > 0 or bookings > 0:
                checks += 1
                if calls == 0 and bookings > 0:
                    issue(
                        "bookings_without_calls",
                        f"{bookings} bookings from GoHighLevel but no calls in ElevenLabs",
                    )
            for part, drift in row.webhook_drift.items():
                checks += 1
                drifts.append(
                    WebhookDrift(
                        agent_id=row.agent_id,
                        agent_name=row.agent_name,
                        period=period,
                        part=part,
                        **drift.model_dump(),
                    )
                )
                if drift.drifted:
                    issue(
                        "webhook_drift",
                        f"{part}: webhooks recorded "
                        + ", ".join(
                            f"{name} {f.live} against the API's {f.api} ({f.difference:+d})"
                            for name, f in drift.fields.items()
                            if f.difference
                        ),
                    )
            if row.calls_imported:
                checks += 1
                repeated = duplicates.get(period, {}).get(row.agent_id, [])
                if repeated:
                    issue(
                        "duplicate_import",
                        f"{len(repeated)} conversations have more than one history row: "
                        + ", ".join(repeated[:5]),
                    )
    failed = len(issues)
    return ValidationReport(
        client_id=client.client_id,
        start_date=start_date,
        end_date=end_date,
        total_months=len(periods),
        months_with_data=len(periods) - len(gaps),
        months_without_data=len(gaps),
        data_gaps=gaps,
        consistency=Consistency(
            total_checks=checks,
            passed_checks=checks - failed,
            failed_checks=failed,
            issues=issues,
        ),
        booking_rate_range=rate_range,
        webhook_drift=drifts,
    )


def duplicate_conversations(
    store: AgentMetricsStore, client: Client, period: Period
) -> dict[str, list[str]]:
    """agent -> conversation ids that have more than one callHistory row in `period`."""
    counts: Counter[tuple[str, str]] = Counter()
    for row in store.calls_in_period(client.client_id, str(period)):
        counts[(row.agent_id, row.conversation_id)] += 1
    found: dict[str, list[str]] = defaultdict(list)
    for (agent_id, conversation_id), n in sorted(counts.items()):
        if n > 1:
            found[agent_id].append(conversation_id)
    return dict(found)


def validate(
    store: AgentMetricsStore,
    client: Client,
    periods: list[Period],
    rate_range: BookingRateRange,
    start_date: str,
    end_date: str,
) -> ValidationReport:
    rows = rows_by_period(store, client, periods)
    duplicates = {
        str(period): duplicate_conversations(store, client, period)
        for period in periods
        if any(r.calls_imported for r in rows.get(str(period), []))
    }
    return evaluate(client, periods, rows, duplicates, rate_range, start_date, end_date)
