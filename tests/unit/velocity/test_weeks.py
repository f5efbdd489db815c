"""The velocity calendar: the old scripts' rules, exactly, plus time zones and week starts."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime

import pytest

from revops.errors import ConfigurationError
from revops.velocity.weeks import Calendar, Week, soql_datetime, week_key


@pytest.fixture
def calendar() -> Calendar:
    return Calendar("America/New_York")


def test_a_run_on_2025_11_04_reports_the_week_of_october_26(calendar: Calendar) -> None:
    last = calendar.last_week(date(2025, 11, 4))

    assert (last.start, last.end) == (date(2025, 10, 26), date(2025, 11, 1))
    assert (last.prior.start, last.prior.end) == (date(2025, 10, 19), date(2025, 10, 25))
    assert last.start.isoformat() == "2025-10-26"  # period_start
    assert last.key == "2025-43"


def test_a_backfill_from_2025_11_03_starts_with_week_key_2025_44(calendar: Calendar) -> None:
    weeks = calendar.backfill(date(2025, 11, 3), 1)

    assert weeks == [Week(date(2025, 11, 2))]
    assert weeks[0].key == "2025-44"


def test_a_12_week_backfill_is_12_consecutive_weeks_newest_first(calendar: Calendar) -> None:
    weeks = calendar.backfill(date(2025, 11, 3), 12)

    keys = [w.key for w in weeks]
    assert keys == [f"2025-{n}" for n in range(44, 32, -1)]
    assert all(a.start - b.start == (a.start - a.prior.start) for a, b in itertools.pairwise(weeks))
    assert len(set(keys)) == 12  # nothing skipped, nothing repeated


@pytest.mark.parametrize(
    ("as_of", "expected_start"),
    [
        (date(2025, 11, 2), date(2025, 10, 26)),  # a Sunday reports the week that just ended
        (date(2025, 11, 8), date(2025, 10, 26)),  # a Saturday still reports the week before
        (date(2025, 11, 9), date(2025, 11, 2)),
        (date(2025, 11, 10), date(2025, 11, 2)),  # the Monday 06:00 schedule
    ],
)
def test_last_week_is_the_whole_sunday_to_saturday_week_before(
    calendar: Calendar, as_of: date, expected_start: date
) -> None:
    assert calendar.last_week(as_of).start == expected_start
    assert calendar.last_week(as_of).end.weekday() == 5  # Saturday


def test_week_keys_cross_the_iso_year_boundary_without_gaps(calendar: Calendar) -> None:
    weeks = calendar.backfill(date(2027, 1, 12), 4)

    assert [w.key for w in weeks] == [
        "2027-01",
        "2026-53",
        "2026-52",
        "2026-51",
    ]  # 2026 has 53 ISO weeks
    assert week_key(date(2023, 1, 1)) == "2022-52"  # a Sunday belongs to the ISO week before


def test_week_start_is_configurable(calendar: Calendar) -> None:
    monday = Calendar("America/New_York", "Monday")

    last = monday.last_week(date(2025, 11, 4))

    assert (last.start, last.end) == (date(2025, 10, 27), date(2025, 11, 2))
    assert last.key == "2025-44"
    assert monday.backfill(date(2025, 11, 3), 1)[0].start == date(2025, 11, 3)


def test_week_bounds_are_local_midnights_in_utc_across_dst() -> None:
    calendar = Calendar("America/New_York")

    start, end = calendar.week_bounds(Week(date(2025, 11, 2)))  # DST ends on Nov 2

    assert start == datetime(2025, 11, 2, 4, 0, tzinfo=UTC)  # EDT midnight
    assert end == datetime(2025, 11, 9, 5, 0, tzinfo=UTC)  # EST midnight
    assert soql_datetime(start) == "2025-11-02T04:00:00Z"


def test_hour_buckets_land_on_the_org_local_day() -> None:
    calendar = Calendar("America/New_York")

    # 02:00-02:59 UTC on a Monday is Sunday evening in New York.
    assert calendar.local_date_of_hour(date(2025, 10, 27), 2) == date(2025, 10, 26)
    assert calendar.local_date_of_hour(date(2025, 10, 27), 4) == date(2025, 10, 27)
    tokyo = Calendar("Asia/Tokyo")
    assert tokyo.local_date_of_hour(date(2025, 10, 25), 15) == date(2025, 10, 26)


def test_today_is_taken_in_the_org_time_zone() -> None:
    late_evening = datetime(2025, 11, 4, 3, 30, tzinfo=UTC)  # still Nov 3 in New York

    assert Calendar("America/New_York").today(late_evening) == date(2025, 11, 3)
    assert Calendar("UTC").today(late_evening) == date(2025, 11, 4)


@pytest.mark.parametrize(("zone", "start"), [("Mars/Olympus", "sunday"), ("UTC", "someday")])
def test_a_bad_time_zone_or_week_start_is_a_configuration_error(zone: str, start: str) -> None:
    with pytest.raises(ConfigurationError):
        Calendar(zone, start)
