"""Planning a run: defaults, weeks, and every invalid input refused before any work."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from revops.errors import InvalidInputError
from revops.velocity.config import load_reports
from revops.velocity.logic import plan
from revops.velocity.models import Plan, PlanRequest
from revops.velocity.weeks import Calendar

NOW = datetime(2025, 11, 10, 11, 0, tzinfo=UTC)  # Monday 06:00 in New York


def run(payload: Any) -> Plan:
    return plan(
        PlanRequest(run_id="r1", input=payload),
        calendar=Calendar("America/New_York"),
        reports=load_reports(),
        history_weeks=12,
        now=NOW,
    )


def test_the_scheduled_run_reports_last_week_by_default() -> None:
    result = run({})

    assert result.as_of == date(2025, 11, 10)
    assert [w.week_key for w in result.weeks] == ["2025-44"]
    assert result.weekly_week == "2025-44" and result.backfill_weeks == []
    assert result.generated_at == "2025-11-10T06:00:00-05:00"
    assert all(r.run for r in result.reports.values())


def test_as_of_and_a_backfill_give_consecutive_weeks_newest_first() -> None:
    result = run({"asOf": "2025-11-04", "backfill": {"startDate": "2025-11-03", "weeks": 12}})

    keys = [w.week_key for w in result.weeks]
    assert keys == [f"2025-{n}" for n in range(44, 32, -1)]  # the weekly 2025-43 is among them
    assert result.weekly_week == "2025-43"
    assert result.backfill_weeks == keys
    assert result.weeks[1].start == date(2025, 10, 26) and result.weeks[1].end == date(2025, 11, 1)


def test_skip_flags_leave_a_report_out() -> None:
    result = run({"asOf": None, "skipBoca": True})

    assert not result.reports["boca"].run and result.reports["pipeline"].run
    assert result.reports["boca"].config["name"] == "boca"


@pytest.mark.parametrize(
    ("payload", "problem"),
    [
        ({"asOf": "2025-13-01"}, "asOf"),
        ({"asOf": "2025-02-30"}, "asOf"),
        ({"asOf": "11/04/2025"}, "asOf"),
        ({"asOf": 20251104}, "asOf"),
        ({"asOf": "2025-11-04T00:00:00"}, "asOf"),
        ({"asOf": "2099-01-01"}, "in the future"),
        ({"backfill": {"startDate": "2025-11-03", "weeks": 0}}, "weeks"),
        ({"backfill": {"startDate": "2025-11-03", "weeks": -3}}, "weeks"),
        ({"backfill": {"startDate": "2025-11-03", "weeks": 500}}, "weeks"),
        ({"backfill": {"startDate": "2025-11-03", "weeks": "12"}}, "weeks"),
        ({"backfill": {"startDate": "2025-11-03", "weeks": 12.5}}, "weeks"),
        ({"backfill": {"startDate": "2025-11-03", "weeks": True}}, "weeks"),
        ({"backfill": {"startDate": "2025-11-03"}}, "weeks"),
        ({"backfill": {"startDate": "yesterday", "weeks": 2}}, "startDate"),
        ({"backfill": {"weeks": 2}}, "startDate"),
        ({"asOf": "2025-11-04", "backfill": {"startDate": "2025-11-05", "weeks": 2}}, "after asOf"),
        ({"skipBoca": True, "skipPipeline": True}, "nothing to run"),
        ({"skipBoca": "yes"}, "skipBoca"),
        ({"backfil": {"startDate": "2025-11-03", "weeks": 2}}, "backfil"),
    ],
)
def test_invalid_inputs_are_refused_naming_the_field(payload: Any, problem: str) -> None:
    with pytest.raises(InvalidInputError, match=problem):
        run(payload)
