"""Months ('YYYY-MM' periods) and their bounds in a client's time zone.

A period is a calendar month in the client's own time zone: a call at 23:30 on
31 December in Vancouver belongs to December even though it is January in UTC.

One rule for years, checked at the edge: callers may name years
`MIN_YEAR`..`MAX_YEAR` (2000..2100), in query parameters, bodies and dates alike
(`check_year`, `parse_date`, and the bounds the API declares from these
constants). Inside, a `Period` is plain calendar arithmetic: 2100-12 ends at
local midnight on 2101-01-01 and a window before 2000-01 reaches back into 1999,
without either being refused halfway through a request or an import.

Time zones are canonical IANA names only (`canonical_zone`): `Area/Location`
zones and `Etc/...`, from the tzdata package the layer ships, so the same
database decides everywhere. Links (`US/Eastern`, `UTC`), `Factory`,
`posixrules`, `right/...` and the POSIX-style legacy zones (`EST5EDT`) are
refused, with the canonical name when the name is a link to one.
"""

from __future__ import annotations

import functools
import importlib.resources
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from revops.errors import InvalidInputError

MAX_RANGE_MONTHS = 36
MIN_YEAR = 2000
MAX_YEAR = 2100
PERIOD_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"
DATE_PATTERN = r"^\d{4}-\d{2}-\d{2}$"


@dataclass(frozen=True, order=True)
class Period:
    year: int
    month: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12:
            raise InvalidInputError(f"month {self.month} is outside 1..12")

    @classmethod
    def parse(cls, value: str) -> Self:
        if not re.fullmatch(PERIOD_PATTERN, value):
            raise InvalidInputError(f"{value!r} is not a YYYY-MM period")
        return cls(int(value[:4]), int(value[5:7]))

    @classmethod
    def of(cls, day: date) -> Self:
        return cls(day.year, day.month)

    @property
    def index(self) -> int:
        return self.year * 12 + self.month - 1

    @classmethod
    def from_index(cls, index: int) -> Self:
        return cls(index // 12, index % 12 + 1)

    def shift(self, months: int) -> Period:
        return Period.from_index(self.index + months)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    def bounds(self, tz: ZoneInfo) -> tuple[datetime, datetime]:
        """[start, end): local midnight on the 1st to local midnight on the next 1st, in UTC."""
        nxt = self.shift(1)
        start = datetime.combine(self.first_day(), time(0), tzinfo=tz)
        end = datetime.combine(nxt.first_day(), time(0), tzinfo=tz)
        return start.astimezone(UTC), end.astimezone(UTC)

    def contains(self, instant: datetime, tz: ZoneInfo) -> bool:
        local = instant.astimezone(tz)
        return (local.year, local.month) == (self.year, self.month)


def check_year(year: int, field: str = "year") -> int:
    """The edge's one rule for years a caller may name."""
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise InvalidInputError(f"{field}: year {year} is outside {MIN_YEAR}..{MAX_YEAR}")
    return year


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInputError(f"{name!r} is not an IANA time zone") from exc


@functools.cache
def _tz_database() -> tuple[frozenset[str], dict[str, str]]:
    """(canonical zone names, link -> target) from the tzdata package's `tzdata.zi`."""
    text = importlib.resources.files("tzdata").joinpath("zoneinfo", "tzdata.zi").read_text()
    zones: set[str] = set()
    links: dict[str, str] = {}
    for line in text.splitlines():
        fields = line.split()
        if len(fields) >= 2 and fields[0] == "Z":
            zones.add(fields[1])
        elif len(fields) >= 3 and fields[0] == "L":
            links[fields[2]] = fields[1]
    # Area/Location and Etc/... zones; the slash-less ones are Factory and the legacy
    # POSIX-style zones (EST5EDT, CET, ...), which tzdata itself keeps for compatibility.
    return frozenset(z for z in zones if "/" in z), links


def canonical_zone(name: str) -> str:
    """`name` if it is a canonical IANA zone; a ValueError saying why (and what to use) if not."""
    canonical, links = _tz_database()
    if name in canonical:
        return name
    target = links.get(name)
    while target is not None and target not in canonical:
        target = links.get(target)
    if target is not None:
        raise ValueError(f"{name!r} is an alias; use the canonical IANA name {target!r}")
    raise ValueError(
        f"{name!r} is not a canonical IANA time zone (use Area/Location, e.g. America/Toronto)"
    )


def parse_date(value: str, field: str) -> date:
    if not re.fullmatch(DATE_PATTERN, value):
        raise InvalidInputError(f"{field}: {value!r} is not a YYYY-MM-DD date")
    try:
        parsed = date.fromisoformat(value)
    except ValueError as exc:
        raise InvalidInputError(f"{field}: {value!r} is not a real date") from exc
    check_year(parsed.year, field)
    return parsed


def month_range(start: Period, end: Period, *, limit: int = MAX_RANGE_MONTHS) -> list[Period]:
    """Every month from `start` to `end`, both included; at most `limit` months."""
    if end < start:
        raise InvalidInputError(f"the range ends ({end}) before it starts ({start})")
    count = end.index - start.index + 1
    if count > limit:
        raise InvalidInputError(f"the range spans {count} months; at most {limit} are allowed")
    return [start.shift(i) for i in range(count)]


def months_between_dates(start: date, end: date, *, limit: int = MAX_RANGE_MONTHS) -> list[Period]:
    """The months touched by [start, end] (whole months: partial months are imported whole)."""
    if end < start:
        raise InvalidInputError(f"endDate {end} is before startDate {start}")
    return month_range(Period.of(start), Period.of(end), limit=limit)


def current_period(tz: ZoneInfo, now: datetime | None = None) -> Period:
    return Period.of((now or datetime.now(UTC)).astimezone(tz).date())


def previous_period(tz: ZoneInfo, now: datetime | None = None) -> Period:
    return current_period(tz, now).shift(-1)


def iso_z(instant: datetime) -> str:
    """'2024-11-01T04:00:00.000Z': UTC with milliseconds, as the seed's dateRange."""
    return instant.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
