"""Window values: 6-week averages count quiet weeks, and a change from zero is null."""

from __future__ import annotations

from datetime import date, timedelta

from revops.velocity.config import WINDOWS
from revops.velocity.weeks import Week
from revops.velocity.windows import has_activity, pct_change, window_values

LAST = Week(date(2025, 10, 26))
ALL = WINDOWS  # last, prior, 6w_avg, wow_pct, vs_avg_pct


def weeks_back(*values: float) -> dict[date, float]:
    """Values for last week, the week before, ... (newest first)."""
    return {LAST.start - timedelta(weeks=i): v for i, v in enumerate(values)}


def test_six_week_average_counts_weeks_without_activity_as_zero() -> None:
    series = weeks_back(10, 8, 0, 0, 6, 6)  # two quiet weeks in the six

    values = window_values(series, LAST, ALL, "count")

    assert values["6w_avg"] == 5.0  # 30 / 6, not 30 / 4
    assert values["last"] == 10 and values["prior"] == 8
    assert values["wow_pct"] == 25.0
    assert values["vs_avg_pct"] == 100.0


def test_a_week_missing_from_the_series_is_zero_not_skipped() -> None:
    series = weeks_back(6)  # only last week has a value

    values = window_values(series, LAST, ALL, "count")

    assert values["6w_avg"] == 1.0
    assert values["prior"] == 0


def test_week_over_week_is_null_when_prior_week_is_zero() -> None:
    values = window_values(weeks_back(5, 0), LAST, ALL, "currency")

    assert values["wow_pct"] is None  # not 0, not Infinity
    assert window_values(weeks_back(0, 0), LAST, ALL, "count")["wow_pct"] is None
    assert pct_change(0, 4) == -100.0


def test_vs_average_is_null_when_the_average_is_zero() -> None:
    values = window_values({}, LAST, ALL, "count")

    assert values == {"last": 0, "prior": 0, "6w_avg": 0.0, "wow_pct": None, "vs_avg_pct": None}


def test_the_seventh_week_back_is_outside_the_average() -> None:
    series = weeks_back(0, 0, 0, 0, 0, 0, 600)

    assert window_values(series, LAST, ("6w_avg",), "count") == {"6w_avg": 0.0}
    assert not has_activity(series, LAST)
    assert has_activity(weeks_back(0, 0, 0, 0, 0, 1), LAST)


def test_only_the_configured_windows_are_returned_rounded() -> None:
    series = weeks_back(1000.555, 333.333, 1, 1, 1, 1)

    values = window_values(series, LAST, ("last", "prior", "wow_pct"), "currency")

    assert values == {"last": 1000.55, "prior": 333.33, "wow_pct": 200.2}
    averaged = window_values(weeks_back(1, 1, 0, 0, 0, 0), LAST, ("6w_avg",), "count")
    assert averaged == {"6w_avg": 0.33}
