"""Validation: gaps, bookings vs calls, realistic booking rates, duplicates, bookings without calls."""

from __future__ import annotations

from typing import Any

from revops.agentmetrics.checks import evaluate
from revops.agentmetrics.models import AgentMonth, BookingRateRange
from revops.agentmetrics.periods import Period, month_range
from tests.unit.agentmetrics.conftest import make_client

RANGE = BookingRateRange(min_percent=0, max_percent=60)
PERIODS = month_range(Period(2025, 1), Period(2025, 4))


def row(period: str, calls: int, bookings: int, agent: str = "agent_a", **extra: Any) -> AgentMonth:
    return AgentMonth(
        client_id="client-unit",
        agent_id=agent,
        agent_name="Alpha" if agent == "agent_a" else "Beta",
        period=period,
        total_calls=calls,
        inbound_calls=calls,
        successful_bookings=bookings,
        calls_imported=True,
        bookings_imported=True,
        **extra,
    )


def test_clean_history_passes_every_check() -> None:
    rows = {str(p): [row(str(p), 40, 10), row(str(p), 20, 3, "agent_b")] for p in PERIODS}
    report = evaluate(make_client(), PERIODS, rows, {}, RANGE, "2025-01-01", "2025-04-30")
    assert report.data_gaps == [] and report.months_with_data == 4
    assert report.consistency.failed_checks == 0
    assert report.consistency.total_checks == report.consistency.passed_checks == 4 * 2 * 4
    assert report.message() == "Validation completed. 4/4 months have data."


def test_gaps_and_planted_anomalies_are_reported() -> None:
    rows = {
        "2025-01": [row("2025-01", 0, 0)],  # imported, but nothing happened: a gap
        "2025-02": [row("2025-02", 10, 15)],  # overbooked
        "2025-03": [row("2025-03", 0, 7)],  # bookings without calls
        "2025-04": [row("2025-04", 40, 30)],  # 75 %: unrealistic, not overbooked
    }
    report = evaluate(make_client(), PERIODS, rows, {}, RANGE, "2025-01-01", "2025-04-30")
    assert report.data_gaps == ["2025-01"] and report.months_without_data == 1
    issues = {(i.type, i.period) for i in report.consistency.issues}
    assert issues == {
        ("bookings_exceed_calls", "2025-02"),
        ("unrealistic_booking_rate", "2025-02"),
        ("bookings_without_calls", "2025-03"),
        ("unrealistic_booking_rate", "2025-04"),
    }
    issue = report.consistency.issues[0]
    assert issue.agent_name == "Alpha" and "15 bookings" in issue.detail
    assert report.consistency.failed_checks == 4
    wire = report.wire()
    assert set(wire) >= {
        "totalMonths",
        "monthsWithData",
        "monthsWithoutData",
        "dataGaps",
        "consistency",
    }
    assert set(wire["consistency"]) == {"totalChecks", "passedChecks", "failedChecks", "issues"}
    assert set(wire["consistency"]["issues"][0]) == {
        "type",
        "agentId",
        "agentName",
        "period",
        "detail",
    }


def test_the_realistic_range_is_configurable() -> None:
    rows = {"2025-01": [row("2025-01", 100, 2)]}
    strict = BookingRateRange(min_percent=5, max_percent=50)
    report = evaluate(make_client(), PERIODS[:1], rows, {}, strict, "2025-01-01", "2025-01-31")
    assert [i.type for i in report.consistency.issues] == ["unrealistic_booking_rate"]


def test_duplicate_history_rows_are_reported() -> None:
    rows = {"2025-01": [row("2025-01", 40, 10)]}
    duplicates = {"2025-01": {"agent_a": ["conv_1"]}}
    report = evaluate(
        make_client(), PERIODS[:1], rows, duplicates, RANGE, "2025-01-01", "2025-01-31"
    )
    assert [(i.type, i.detail) for i in report.consistency.issues] == [
        ("duplicate_import", "1 conversations have more than one history row: conv_1")
    ]
