"""Salesforce's date and time conventions.

* dateTime values are UTC; the REST API prints them as
  `2024-01-01T00:00:00.000+0000`, Bulk API 2.0 CSV as `2024-01-01T00:00:00.000Z`.
* Weeks run Sunday to Saturday (the en_US locale), which is what `THIS_WEEK`,
  `LAST_N_WEEKS:n` and a report's week grouping use.
* A SOQL date literal (`TODAY`, `LAST_N_DAYS:7`...) stands for a range of whole
  days relative to today; `date_literal_range` returns it half-open,
  `[start, end)`. The org's user is taken to be in UTC.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

_DATETIME_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?)?$"
)


def to_utc(value: datetime) -> datetime:
    """Aware UTC datetime, truncated to milliseconds (Salesforce's precision)."""
    aware = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return aware.replace(microsecond=aware.microsecond // 1000 * 1000)


def date_of(value: date) -> date:
    """The calendar day (UTC) of a date or datetime."""
    if isinstance(value, datetime):
        return to_utc(value).date()
    return value


def parse_datetime(text: str) -> datetime:
    """Parse the ISO 8601 forms Salesforce accepts (`Z`, `+0000`, `+00:00`, date only)."""
    match = _DATETIME_RE.match(text.strip())
    if match is None:
        raise ValueError(f"not a dateTime: {text!r}")
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    micros = int((fraction or "0")[:6].ljust(6, "0"))
    naive = datetime(
        int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0), micros
    )
    if zone in (None, "Z"):
        return to_utc(naive)
    sign = 1 if zone[0] == "+" else -1
    digits = zone[1:].replace(":", "")
    offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    return to_utc(naive.replace(tzinfo=UTC) - sign * offset)


def parse_date(text: str) -> date:
    """Parse `YYYY-MM-DD` (a longer dateTime string is cut to its day)."""
    stripped = text.strip()
    if len(stripped) > 10:
        return parse_datetime(stripped).date()
    return date.fromisoformat(stripped)


def format_datetime(value: datetime) -> str:
    """REST API form: `2024-01-01T00:00:00.000+0000`."""
    utc = to_utc(value)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}+0000"


def format_datetime_csv(value: datetime) -> str:
    """Bulk API 2.0 CSV form: `2024-01-01T00:00:00.000Z`."""
    utc = to_utc(value)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def week_start(day: date) -> date:
    """The Sunday on or before `day`."""
    return day - timedelta(days=(day.weekday() + 1) % 7)


def week_label(sunday: date) -> str:
    """A report's week bucket label, `11/2/2025 - 11/8/2025`."""
    saturday = sunday + timedelta(days=6)
    return f"{_us_date(sunday)} - {_us_date(saturday)}"


def _us_date(day: date) -> str:
    return f"{day.month}/{day.day}/{day.year}"


def _add_months(first_of_month: date, months: int) -> date:
    index = first_of_month.year * 12 + first_of_month.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _quarter_start(day: date) -> date:
    return date(day.year, (day.month - 1) // 3 * 3 + 1, 1)


# Literals without an argument: name -> (unit, offset in units from the current one).
_FIXED_LITERALS: dict[str, tuple[str, int]] = {
    "YESTERDAY": ("day", -1),
    "TODAY": ("day", 0),
    "TOMORROW": ("day", 1),
    "LAST_WEEK": ("week", -1),
    "THIS_WEEK": ("week", 0),
    "NEXT_WEEK": ("week", 1),
    "LAST_MONTH": ("month", -1),
    "THIS_MONTH": ("month", 0),
    "NEXT_MONTH": ("month", 1),
    "LAST_QUARTER": ("quarter", -1),
    "THIS_QUARTER": ("quarter", 0),
    "NEXT_QUARTER": ("quarter", 1),
    "LAST_YEAR": ("year", -1),
    "THIS_YEAR": ("year", 0),
    "NEXT_YEAR": ("year", 1),
    "LAST_FISCAL_QUARTER": ("quarter", -1),
    "THIS_FISCAL_QUARTER": ("quarter", 0),
    "NEXT_FISCAL_QUARTER": ("quarter", 1),
    "LAST_FISCAL_YEAR": ("year", -1),
    "THIS_FISCAL_YEAR": ("year", 0),
    "NEXT_FISCAL_YEAR": ("year", 1),
}

_UNITS = {
    "DAYS": "day",
    "WEEKS": "week",
    "MONTHS": "month",
    "QUARTERS": "quarter",
    "YEARS": "year",
    "FISCAL_QUARTERS": "quarter",
    "FISCAL_YEARS": "year",
}
_N_LITERAL_RE = re.compile(r"^(LAST_N|NEXT_N|N)_([A-Z_]+?)(_AGO)?$")


def is_date_literal(name: str, with_argument: bool) -> bool:
    """Whether `name` (upper case) is a SOQL date literal of that arity."""
    if not with_argument:
        return name in _FIXED_LITERALS or name in ("LAST_90_DAYS", "NEXT_90_DAYS")
    return _parse_n_literal(name) is not None


def _parse_n_literal(name: str) -> tuple[str, str] | None:
    match = _N_LITERAL_RE.match(name)
    if match is None:
        return None
    kind, unit_name, ago = match.groups()
    unit = _UNITS.get(unit_name)
    if unit is None or (kind == "N") != bool(ago):
        return None
    return kind, unit


def _unit_period(unit: str, today: date, offset: int) -> tuple[date, date]:
    """The `[start, end)` of the unit containing today, shifted by `offset` units."""
    if unit == "day":
        start = today + timedelta(days=offset)
        return start, start + timedelta(days=1)
    if unit == "week":
        start = week_start(today) + timedelta(weeks=offset)
        return start, start + timedelta(weeks=1)
    if unit == "month":
        start = _add_months(today.replace(day=1), offset)
        return start, _add_months(start, 1)
    if unit == "quarter":
        start = _add_months(_quarter_start(today), 3 * offset)
        return start, _add_months(start, 3)
    start = date(today.year + offset, 1, 1)
    return start, date(start.year + 1, 1, 1)


def date_literal_range(name: str, n: int | None, today: date) -> tuple[date, date]:
    """The half-open day range `[start, end)` a SOQL date literal stands for.

    `LAST_N_DAYS:n` covers today and the n days before it; `NEXT_N_DAYS:n`
    starts tomorrow. `LAST_N_WEEKS:n` (and months, quarters, years) covers the n
    whole units before the current one; `NEXT_N_...` the n after it;
    `N_..._AGO:n` the single unit n units back.
    """
    upper = name.upper()
    if n is None:
        if upper == "LAST_90_DAYS":
            return today - timedelta(days=90), today + timedelta(days=1)
        if upper == "NEXT_90_DAYS":
            return today + timedelta(days=1), today + timedelta(days=91)
        unit, offset = _FIXED_LITERALS[upper]
        return _unit_period(unit, today, offset)
    parsed = _parse_n_literal(upper)
    if parsed is None:
        raise ValueError(f"unknown date literal {name}:{n}")
    kind, unit = parsed
    if unit == "day" and kind == "LAST_N":
        return today - timedelta(days=n), today + timedelta(days=1)
    if kind == "LAST_N":
        return _unit_period(unit, today, -n)[0], _unit_period(unit, today, 0)[0]
    if kind == "NEXT_N":
        return _unit_period(unit, today, 1)[0], _unit_period(unit, today, n + 1)[0]
    return _unit_period(unit, today, -n)
