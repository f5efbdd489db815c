"""The dashboards: self-contained pages with the seed's columns, arrows, trends and totals."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest

from revops.velocity.config import load_reports
from revops.velocity.dashboards import (
    DASH,
    ReportCard,
    format_value,
    render_index,
    render_report_page,
    report_view,
    sparkline,
)
from revops.velocity.history import HistoryEntry, RepEntry, period_of
from revops.velocity.weeks import Week

BOCA = load_reports()["boca"]
PIPELINE = load_reports()["pipeline"]


def boca_entry(weeks_ago: int, reps: dict[str, tuple[int, int, float | None]]) -> HistoryEntry:
    week = Week(date(2025, 10, 26) - timedelta(weeks=weeks_ago))
    rep_entries = []
    for name, (last, prior, wow) in reps.items():
        metrics: dict[str, Any] = {
            "meetings": {"last": last, "prior": prior, "6w_avg": 2.5, "wow_pct": wow},
            "opp_dollars": {
                "last": last * 1000.0,
                "prior": prior * 1000.0,
                "6w_avg": 1500.0,
                "wow_pct": wow,
            },
            "closed_won": {"last": 0.0, "prior": 0.0, "wow_pct": None},
        }
        rep_entries.append(
            RepEntry(
                id=f"005{name[:1]}00000000001AAA",
                name=name,
                label=name,
                active=name != "Marcus",
                metrics=metrics,
            )
        )
    totals = {
        "meetings": {
            "last": sum(r[0] for r in reps.values()),
            "prior": 1,
            "6w_avg": 3.0,
            "wow_pct": 50.0,
        },
        "opp_dollars": {"last": 5000.0, "prior": 4000.0, "6w_avg": 4500.0, "wow_pct": 25.0},
        "closed_won": {"last": 0.0, "prior": 0.0, "wow_pct": None},
    }
    return HistoryEntry(
        report="boca",
        week_key=week.key,
        period_start=week.start.isoformat(),
        generated_at="2025-11-04T06:00:00-05:00",
        period=period_of(week.start, week.end, week.prior.start, week.prior.end),
        reps=rep_entries,
        totals=totals,
    )


HISTORY = [
    boca_entry(2, {"Ann": (1, 0, None), "Marcus": (2, 2, 0.0)}),
    boca_entry(1, {"Ann": (3, 1, 200.0), "Marcus": (1, 2, -50.0)}),
    boca_entry(0, {"Ann": (4, 3, 33.3), "Marcus": (0, 1, -100.0), "Zoë <Z>": (2, 0, None)}),
]


@pytest.fixture
def page() -> str:
    return render_report_page(BOCA, HISTORY, generated_at="2025-11-04T06:00:00-05:00")


def test_a_page_loads_nothing_from_anywhere(page: str) -> None:
    assert "http://" not in page and "https://" not in page
    assert not re.search(r"<(script|img|link|iframe)[^>]*\s(src|href)=\"(?!data:)", page)
    assert "default-src 'none'" in page  # the browser refuses anything else
    assert "<style>" in page and "<script>" in page and "<svg" in page


def test_the_table_has_the_seed_columns_for_every_metric(page: str) -> None:
    for label in ("Meetings attended", "Boca opp $ created", "Boca closed won $"):
        assert label in page
    headers = re.findall(r'<th class="[^"]*sortable[^"]*"[^>]*>([^<]+)</th>', page)
    assert headers[0] == "Rep"
    assert headers[1:] == ["Last wk", "Prior wk", "6-wk avg", "WoW"] * 2 + [
        "Last wk",
        "Prior wk",
        "WoW",
    ]


def test_rows_show_the_newest_week_with_arrows_colours_and_totals(page: str) -> None:
    view = report_view(BOCA, HISTORY, generated_at="x")

    assert view.entry is not None and view.entry.week_key == "2025-43"
    assert [r.label for r in view.rows] == ["Ann", "Marcus", "Zoë <Z>"]
    assert "▲ 33.3%" in page and "▼ 100.0%" in page and "n/a" in page
    assert 'class="num change up good"' in page and 'class="num change down bad"' in page
    assert "Zoë &lt;Z&gt;" in page and "Zoë <Z>" not in page  # escaped
    assert "Team total" in page and "<tfoot>" in page
    assert 'class="badge" title="IsActive is false in Salesforce">inactive' in page
    assert f"Oct 26 {DASH} Nov 1, 2025" in page and f"Oct 19 {DASH} Oct 25, 2025" in page
    assert "2025-11-04 06:00 (UTC-05:00)" in page


def test_every_rep_and_metric_has_a_trend_over_the_history(page: str) -> None:
    view = report_view(BOCA, HISTORY, generated_at="x")

    ann = view.rows[0]
    sparks = [c.spark for c in ann.cells if c.spark is not None]
    assert len(sparks) == len(BOCA.metrics)
    assert sparks[0].title == "2025-41: 1 · 2025-42: 3 · 2025-43: 4"
    zoe = view.rows[2]
    # a rep missing from older weeks had no activity there: a window metric reads 0
    first = next(c.spark for c in zoe.cells if c.spark)
    assert first.title == "2025-41: 0 · 2025-42: 0 · 2025-43: 2"
    assert page.count("<polyline") >= 4 * len(BOCA.metrics)


def test_sparklines_break_at_gaps_and_handle_flat_series() -> None:
    gap = sparkline([("a", 1.0), ("b", None), ("c", 3.0), ("d", 2.0)], "count")
    flat = sparkline([("a", 5.0), ("b", 5.0)], "count")
    empty = sparkline([("a", None)], "percent")

    assert len(gap.paths) == 2 and gap.last is not None
    assert {p.split(",")[1] for p in flat.paths[0].split()} == {"11.0"}  # the middle
    assert empty.paths == [] and empty.last is None


def test_point_values_compare_with_the_previous_week() -> None:
    def entry(weeks_ago: int, age: float, velocity: float | None) -> HistoryEntry:
        base = boca_entry(weeks_ago, {})
        metrics = {"pipeline_created": {"last": 1.0, "prior": 1.0, "6w_avg": 1.0, "wow_pct": 0.0, "vs_avg_pct": 0.0},
                   "accounts_owned": 3, "open_opps": 2, "win_rate": 50.0, "avg_deal": 1000.0,
                   "avg_opp_age": age, "velocity": velocity}  # fmt: skip
        rep = RepEntry(id="005A00000000001AAA", name="Ann", label="Ann", metrics=metrics)
        return base.model_copy(update={"report": "pipeline", "reps": [rep], "totals": None})

    page = render_report_page(
        PIPELINE, [entry(1, 40.0, None), entry(0, 30.0, 1234.5)], generated_at="x"
    )

    assert "30.0 d ▼" in page  # younger pipeline is better: green
    assert 'class="num point down good start"' in page
    assert "$1,234/day" in page


def test_an_empty_history_renders_a_placeholder() -> None:
    page = render_report_page(BOCA, [], generated_at="2025-11-04T06:00:00-05:00")

    assert "No history yet" in page


def test_the_index_links_every_report_with_its_headline() -> None:
    cards = [ReportCard(BOCA, HISTORY), ReportCard(PIPELINE, [])]
    summary = {
        "runId": "weekly",
        "status": "completed_with_errors",
        "asOf": "2025-11-04",
        "weeklyWeek": "2025-43",
        "backfillWeeks": [],
        "salesforce": {"totalCalls": 8, "weeks": 1, "oldScriptsReportRuns": 3},
        "reports": {"boca": {"status": "completed", "message": None}},
        "failedWeeks": ["pipeline 2025-40"],
    }

    page = render_index(cards, generated_at="2025-11-04T06:00:00-05:00", summary=summary)

    assert (
        'href="boca_velocity_latest.html"' in page
        and 'href="pipeline_velocity_latest.html"' in page
    )
    assert 'href="boca_velocity_history.json"' in page
    assert "Week <b>2025-43</b>" in page and "▲ 50.0%" in page
    assert "pipeline 2025-40" in page and "No history yet" in page
    assert "https://" not in page


@pytest.mark.parametrize(
    ("value", "fmt", "shown"),
    [
        (None, "count", DASH),
        (0.0, "currency", "$0"),
        (12.5, "currency", "$12.50"),
        (123456.78, "currency", "$123,457"),
        (41.25, "percent", "41.2%"),
        (33.34, "days", "33.3 d"),
        (2.17, "count", "2.17"),
        (3, "count", "3"),
        (1500.0, "currency_per_day", "$1,500/day"),
    ],
)
def test_values_are_formatted_for_people(value: Any, fmt: str, shown: str) -> None:
    assert format_value(value, fmt) == shown
