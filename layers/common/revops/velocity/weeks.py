"""The velocity calendar: which week a run reports, its key, and its instants in UTC.

The rules the old scripts used, kept exactly:

* Weeks run Sunday to Saturday by default (Salesforce's `LAST_WEEK` in a US
  locale). The first day of the week is configurable (`VELOCITY_WEEK_START`).
* A run on day D reports *last week*: the whole week before the one holding D.
  A run on 2025-11-04 reports 2025-10-26..2025-11-01, prior week
  2025-10-19..2025-10-25.
* A week's key is the ISO year and ISO week number of its first day, as
  "YYYY-WW": 2025-10-26 gives "2025-43". Consecutive weeks always have
  consecutive, distinct keys, whatever day weeks start on.
* A backfill from a start date S covers the week holding S (the Sunday on or
  before S) and the weeks before it, one by one: 2025-11-03 gives 2025-11-02,
  "2025-44", then "2025-43", "2025-42"... The old backfill stepped two weeks at
  a time and silently skipped every other week; this one never does.

Time zones: a date field (`CloseDate`, `ActivityDate`) already is a calendar day
in the org. A dateTime field (`CreatedDate`) is stored in UTC, so a week is the
UTC range from local midnight on its first day to local midnight after its last,
computed in the org time zone (DST included) and queried as explicit UTC
instants, never with `LAST_WEEK`-style literals or `convertTimezone()`, which
Salesforce evaluates in the running user's time zone (SOQL and SOSL Reference:
Date Formats and Date Literals; convertTimezone()): our numbers do not depend
on how the integration user is set up.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from revops.errors import ConfigurationError

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
DEFAULT_WEEK_START = "sunday"
DEFAULT_TIME_ZONE = "America/New_York"


def week_key(first_day: date) -> str:
    """ISO year and week of a week's first day: 2025-10-26 -> "2025-43"."""
    year, week, _ = first_day.isocalendar()
    return f"{year}-{week:02d}"


@dataclass(frozen=True, order=True)
class Week:
    """Seven days from `start`; `end` is the last day, inclusive."""

    start: date

    @property
    def end(self) -> date:
        return self.start + timedelta(days=6)

    @property
    def key(self) -> str:
        return week_key(self.start)

    def shifted(self, weeks: int) -> Week:
        return Week(self.start + timedelta(weeks=weeks))

    @property
    def prior(self) -> Week:
        return self.shifted(-1)

    def days(self) -> Iterator[date]:
        for offset in range(7):
            yield self.start + timedelta(days=offset)

    def __str__(self) -> str:
        return f"{self.key} ({self.start.isoformat()}..{self.end.isoformat()})"


class Calendar:
    """Weeks in one org time zone, starting on one weekday."""

    def __init__(
        self, time_zone: str = DEFAULT_TIME_ZONE, week_start: str = DEFAULT_WEEK_START
    ) -> None:
        try:
            self.zone = ZoneInfo(time_zone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ConfigurationError(f"unknown time zone {time_zone!r}") from exc
        name = week_start.strip().lower()
        if name not in WEEKDAYS:
            raise ConfigurationError(
                f"week start {week_start!r} is not a weekday ({', '.join(WEEKDAYS)})"
            )
        self.time_zone = time_zone
        self.week_start = name
        self._first_weekday = WEEKDAYS.index(name)

    def week_of(self, day: date) -> Week:
        """The week holding `day`."""
        return Week(day - timedelta(days=(day.weekday() - self._first_weekday) % 7))

    def is_week_start(self, day: date) -> bool:
        return day.weekday() == self._first_weekday

    def last_week(self, as_of: date) -> Week:
        """The week a run on `as_of` reports: the whole week before the one holding it."""
        return self.week_of(as_of).prior

    def backfill(self, start_date: date, weeks: int) -> list[Week]:
        """`weeks` consecutive weeks, newest first, from the week holding `start_date`."""
        if weeks < 1:
            raise ValueError("a backfill covers at least one week")
        first = self.week_of(start_date)
        return [first.shifted(-i) for i in range(weeks)]

    def today(self, now: datetime | None = None) -> date:
        """Today's date in the org time zone."""
        moment = now or datetime.now(UTC)
        return moment.astimezone(self.zone).date()

    def local_midnight(self, day: date) -> datetime:
        """The instant `day` begins in the org time zone, in UTC."""
        return datetime.combine(day, time(0), tzinfo=self.zone).astimezone(UTC)

    def week_bounds(self, week: Week) -> tuple[datetime, datetime]:
        """A week as a half-open UTC range [start, end)."""
        return self.local_midnight(week.start), self.local_midnight(week.end + timedelta(days=1))

    def local_date(self, moment: datetime) -> date:
        """The org-local calendar day of an instant (naive instants are UTC)."""
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(self.zone).date()

    def local_date_of_hour(self, utc_day: date, utc_hour: int) -> date:
        """The org-local day of the UTC hour bucket `utc_day` `utc_hour`:00..59.

        Exact for every bucket that holds no local midnight, which is every bucket
        in a zone whose offset is a whole number of hours; the buckets that do
        (`split_hours`) must be placed record by record.
        """
        return self.local_date(datetime.combine(utc_day, time(utc_hour), tzinfo=UTC))

    def split_hours(self, first: date, end: date) -> frozenset[int]:
        """The UTC hours of day in which a local midnight of the days `first`..`end`
        falls after the hour began: there a UTC hour bucket holds two local days.

        Empty in a zone whose offset is a whole number of hours; {18} in
        Asia/Kolkata (+05:30) and Asia/Kathmandu (+05:45); {2, 3} in
        America/St_Johns (-02:30 in summer, -03:30 in winter); {13} in
        Australia/Lord_Howe in winter (+10:30) only.
        """
        hours = set()
        day = first
        while day <= end:
            midnight = self.local_midnight(day)
            if midnight.minute or midnight.second:
                hours.add(midnight.hour)
            day += timedelta(days=1)
        return frozenset(hours)


def soql_datetime(moment: datetime) -> str:
    """A SOQL dateTime literal in UTC: 2025-10-26T04:00:00Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
