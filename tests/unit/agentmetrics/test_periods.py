"""Months are local to the client's time zone; ranges are bounded and ordered."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from revops.agentmetrics.periods import (
    MAX_RANGE_MONTHS,
    Period,
    check_year,
    current_period,
    iso_z,
    month_range,
    months_between_dates,
    parse_date,
    previous_period,
)
from revops.errors import InvalidInputError

VANCOUVER = ZoneInfo("America/Vancouver")


def test_month_bounds_are_local_midnights() -> None:
    start, end = Period(2024, 12).bounds(VANCOUVER)
    assert start == datetime(2024, 12, 1, 8, 0, tzinfo=UTC)
    assert end == datetime(2025, 1, 1, 8, 0, tzinfo=UTC)


def test_a_late_call_on_new_years_eve_belongs_to_december_locally() -> None:
    late = datetime(2025, 1, 1, 7, 30, tzinfo=UTC)  # 23:30 on 31 Dec in Vancouver
    assert Period(2024, 12).contains(late, VANCOUVER)
    assert not Period(2025, 1).contains(late, VANCOUVER)


def test_bounds_follow_daylight_saving() -> None:
    start, end = Period(2025, 3).bounds(ZoneInfo("America/Toronto"))
    assert start.hour == 5 and end.hour == 4  # EST on 1 March, EDT on 1 April


def test_range_includes_both_ends_and_rejects_reversed_or_long_ranges() -> None:
    assert [str(p) for p in month_range(Period(2024, 11), Period(2025, 2))] == [
        "2024-11",
        "2024-12",
        "2025-01",
        "2025-02",
    ]
    with pytest.raises(InvalidInputError, match="before it starts"):
        month_range(Period(2025, 2), Period(2024, 11))
    assert len(month_range(Period(2023, 1), Period(2025, 12))) == MAX_RANGE_MONTHS
    with pytest.raises(InvalidInputError, match="37 months"):
        month_range(Period(2023, 1), Period(2026, 1))


def test_dates_touch_whole_months() -> None:
    periods = months_between_dates(date(2024, 1, 15), date(2024, 3, 2))
    assert [str(p) for p in periods] == ["2024-01", "2024-02", "2024-03"]
    with pytest.raises(InvalidInputError, match="before startDate"):
        months_between_dates(date(2024, 3, 2), date(2024, 1, 15))


@pytest.mark.parametrize(
    "value", ["2024-02-30", "2024-13-01", "24-01-01", "2024/01/01", "", "1999-12-31"]
)
def test_bad_dates_are_invalid_input(value: str) -> None:
    with pytest.raises(InvalidInputError):
        parse_date(value, "startDate")


@pytest.mark.parametrize("month", [0, 13])
def test_months_outside_1_to_12_are_invalid(month: int) -> None:
    with pytest.raises(InvalidInputError):
        Period(2024, month)


@pytest.mark.parametrize("year", [1999, 2101])
def test_the_edge_refuses_years_outside_2000_to_2100(year: int) -> None:
    with pytest.raises(InvalidInputError, match=r"outside 2000\.\.2100"):
        check_year(year)
    with pytest.raises(InvalidInputError, match=r"outside 2000\.\.2100"):
        parse_date(f"{year}-06-01", "startDate")


def test_the_last_month_allowed_has_bounds_in_the_next_year() -> None:
    start, end = Period(2100, 12).bounds(ZoneInfo("America/Toronto"))
    assert (start.isoformat(), end.isoformat()) == (
        "2100-12-01T05:00:00+00:00",
        "2101-01-01T05:00:00+00:00",
    )
    assert str(Period(2000, 1).shift(-11)) == "1999-02"  # a trailing window may reach back


def test_current_and_previous_month_are_local() -> None:
    now = datetime(2025, 3, 1, 3, 0, tzinfo=UTC)  # still February in Vancouver
    assert str(current_period(VANCOUVER, now)) == "2025-02"
    assert str(previous_period(VANCOUVER, now)) == "2025-01"
    assert str(current_period(ZoneInfo("Europe/Paris"), now)) == "2025-03"


def test_iso_z_has_milliseconds() -> None:
    assert iso_z(datetime(2024, 11, 1, 4, tzinfo=UTC)) == "2024-11-01T04:00:00.000Z"
