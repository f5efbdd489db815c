"""Salesforce's date and time conventions.

* dateTime values are UTC; the REST API prints them as
  `2024-01-01T00:00:00.000+0000`, Bulk API 2.0 CSV as `2024-01-01T00:00:00.000Z`.
* Every request runs as a user, and that user's `TimeZoneSidKey` and
  `LocaleSidKey` (a `UserClock`) decide what "today" and "this week" are:
  - a SOQL date literal (`TODAY`, `LAST_WEEK`, `LAST_N_DAYS:7`...) is a range of
    whole days relative to today in the user's time zone, each day starting at
    local midnight ("Each literal is a range of time beginning with midnight
    (00:00:00)"; the week-based ones start on "the first day of the week ...
    determined by your locale": SOQL and SOSL Reference, Date Formats and Date
    Literals; that midnight is the running user's, "12:00:00 AM (user Local Time
    Zone)", as practitioners document it, e.g. simplysfdc.com on LAST_WEEK and
    LAST_N_DAYS:n); on a dateTime field it covers the UTC instants of those local
    days; `date_literal_range` returns the days half-open, `[start, end)`;
  - SOQL date functions (`DAY_ONLY`, `HOUR_IN_DAY`, `CALENDAR_MONTH`...) read a
    dateTime in UTC unless it is wrapped in `convertTimezone()`, which converts
    it to the user's time zone, and only inside a date function (SOQL and SOSL
    Reference, convertTimezone());
  - reports group and filter dateTime columns by the running user's local day,
    and their weeks start on the first day of the user's locale: "when the
    locale is US English, a week runs Sunday to Saturday, whereas with UK
    English, a week spans Monday to Sunday" (Salesforce Help, Relative Date
    Filter Reference).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

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


SUNDAY, MONDAY, SATURDAY, FRIDAY = 6, 0, 5, 4  # Python weekday numbers

LOCALE_FIRST_DAY: dict[str, int] = {
    **dict.fromkeys(
        ("en_US", "en_CA", "fr_CA", "es_MX", "es_US", "pt_BR", "ja_JP", "ko_KR", "zh_TW",
         "zh_HK", "he_IL", "iw_IL", "hi_IN", "en_IN", "ne_NP", "en_ZA", "en_PH", "th_TH",
         "en_SG", "es_CO", "es_PE", "id_ID", "pt_PT"),
        SUNDAY,
    ),
    **dict.fromkeys(
        ("en_GB", "en_AU", "en_NZ", "en_IE", "de_DE", "de_AT", "de_CH", "fr_FR", "fr_BE",
         "fr_CH", "nl_NL", "nl_BE", "it_IT", "es_ES", "sv_SE", "da_DK", "fi_FI", "nb_NO",
         "pl_PL", "cs_CZ", "ru_RU", "tr_TR", "zh_CN", "en_MY", "es_AR", "es_CL"),
        MONDAY,
    ),
    **dict.fromkeys(("ar_AE", "ar_EG", "ar_KW", "ar_QA", "fa_IR"), SATURDAY),
    "dv_MV": FRIDAY,
}  # fmt: skip
"""The first day of the week of the LocaleSidKeys this org knows (CLDR week data, which
Salesforce's locales follow); `UserClock.for_user` refuses any other."""


def week_start(day: date, first_weekday: int = SUNDAY) -> date:
    """The first day of the week holding `day` (weeks start on `first_weekday`: Sunday)."""
    return day - timedelta(days=(day.weekday() - first_weekday) % 7)


@dataclass(frozen=True)
class UserClock:
    """What "now", "today" and "this week" are for the user running a request."""

    now: datetime  # aware, UTC
    zone: ZoneInfo
    first_weekday: int = SUNDAY

    @classmethod
    def for_user(cls, now: datetime, time_zone: str, locale: str) -> UserClock:
        """A user's clock from its TimeZoneSidKey and LocaleSidKey (ValueError if unknown)."""
        if locale not in LOCALE_FIRST_DAY:
            raise ValueError(f"unknown LocaleSidKey {locale!r}")
        return cls(to_utc(now), ZoneInfo(time_zone), LOCALE_FIRST_DAY[locale])

    @property
    def today(self) -> date:
        return self.now.astimezone(self.zone).date()

    def local(self, moment: datetime) -> datetime:
        """An instant on the user's wall clock."""
        return to_utc(moment).astimezone(self.zone)

    def local_day(self, value: date) -> date:
        """The user's calendar day of a dateTime (a date is its own day)."""
        return self.local(value).date() if isinstance(value, datetime) else value

    def midnight(self, day: date) -> datetime:
        """The UTC instant `day` begins for the user (DST included)."""
        return datetime.combine(day, time(0), tzinfo=self.zone).astimezone(UTC)

    def week_start(self, day: date) -> date:
        return week_start(day, self.first_weekday)


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


def _unit_period(
    unit: str, today: date, offset: int, first_weekday: int = SUNDAY
) -> tuple[date, date]:
    """The `[start, end)` of the unit containing today, shifted by `offset` units."""
    if unit == "day":
        start = today + timedelta(days=offset)
        return start, start + timedelta(days=1)
    if unit == "week":
        start = week_start(today, first_weekday) + timedelta(weeks=offset)
        return start, start + timedelta(weeks=1)
    if unit == "month":
        start = _add_months(today.replace(day=1), offset)
        return start, _add_months(start, 1)
    if unit == "quarter":
        start = _add_months(_quarter_start(today), 3 * offset)
        return start, _add_months(start, 3)
    start = date(today.year + offset, 1, 1)
    return start, date(start.year + 1, 1, 1)


def date_literal_range(
    name: str, n: int | None, today: date, first_weekday: int = SUNDAY
) -> tuple[date, date]:
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
        return _unit_period(unit, today, offset, first_weekday)
    parsed = _parse_n_literal(upper)
    if parsed is None:
        raise ValueError(f"unknown date literal {name}:{n}")
    kind, unit = parsed
    if unit == "day" and kind == "LAST_N":
        return today - timedelta(days=n), today + timedelta(days=1)
    week = first_weekday
    if kind == "LAST_N":
        return _unit_period(unit, today, -n, week)[0], _unit_period(unit, today, 0, week)[0]
    if kind == "NEXT_N":
        return _unit_period(unit, today, 1, week)[0], _unit_period(unit, today, n + 1, week)[0]
    return _unit_period(unit, today, -n, week)
