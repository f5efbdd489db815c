"""Fetching velocity data from Salesforce: one query (or report run) per metric over
the whole range a run needs, grouped by owner and by day or week, then added up
in Python.

The old scripts ran three saved reports per week, so a 12-week backfill cost 36
report runs. Here a run of any number of weeks costs, per report:

* a window metric: one aggregate SOQL query (`GROUP BY owner, day[, UTC hour]`)
  or one saved-report describe (its grouping checked, its filters read: what it
  counts) and one run (grouped by week, then owner) over the whole range;
* the point-in-time metrics: one Opportunity query (paged at 2,000 records per
  call) for every distinct filter, and one or two aggregate Account queries;
* one User query (up to 200 owners per call) for names, usernames and active flags;
* with saved reports, one query for the integration user's time zone and locale.

Salesforce answers at most 2,000 rows for a GROUP BY query, and a summary report
at most 2,000 groupings. Every grouped query asks for `LIMIT 2000`: a full
answer may be cut short, so the range is split in two at a day (or, for a
report, week) boundary and each half asked again, recursively. A single day
(week) that alone fills 2,000 rows is an error that names the metric.

dateTime fields are grouped by UTC day and UTC hour and each hour bucket is
placed on its org-local day (see `Calendar.local_date_of_hour`); date fields
are grouped by the day itself. That is exact in every zone whose offset is a
whole number of hours. Where a local midnight falls inside a UTC hour
(Asia/Kolkata +05:30, Asia/Kathmandu +05:45, America/St_Johns, Australia's
Adelaide and Lord Howe...), the records of those one or two hours of the day are
read with one more, non-grouped query and placed by their exact instant: such a
zone costs one more query per dateTime metric (plus one per 2,000 records of
those hours), a whole-hour zone none. (`DAY_ONLY(convertTimezone(...))` would
group exactly in one query, but in the integration user's time zone, not
necessarily ORG_TIME_ZONE.)

A saved report is run with a CUSTOM date filter (the first and last local day of
the range) and Salesforce itself groups its rows by week, in the running user's
locale and time zone: the fetch refuses (`preflight.require_user`, StackCheck's
message) unless the integration user's time zone is ORG_TIME_ZONE and its
locale's weeks start on VELOCITY_WEEK_START; a report whose weeks start on
another day is refused too.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from revops.errors import ConfigurationError
from revops.integrations.salesforce import SalesforceGateway, SalesforceNotFoundError
from revops.velocity import definitions
from revops.velocity.config import ReportSource, SoqlSource
from revops.velocity.points import OppFact
from revops.velocity.preflight import IntegrationUser, grouping_problem, read_integration_user
from revops.velocity.weeks import Calendar, Week, soql_datetime

MAX_GROUP_ROWS = 2000
USER_BATCH = 200
_USER_ID = re.compile(r"^005[A-Za-z0-9]{12}(?:[A-Za-z0-9]{3})?$")


class ReportDefinitionError(ConfigurationError):
    """A saved report is missing, or is not grouped by week and then by owner."""


class GroupLimitError(ConfigurationError):
    """One day (or week) alone holds more groups than Salesforce answers at once."""


@dataclass
class Meter:
    """Counts the Salesforce API calls of one task and watches the org's counter."""

    gateway: SalesforceGateway
    calls: int = 0
    first_used: int | None = None
    last_used: int | None = None
    limit: int | None = None

    def observe(self) -> None:
        self.calls += 1
        usage = self.gateway.api_usage
        if usage is None:
            return
        if self.first_used is None:
            self.first_used = usage.used
        self.last_used = usage.used
        self.limit = usage.limit

    def pages(self, soql: str) -> Iterator[list[dict[str, Any]]]:
        for page in self.gateway.query_pages(soql):
            self.observe()
            yield page

    def rows(self, soql: str) -> list[dict[str, Any]]:
        return [row for page in self.pages(soql) for row in page]

    def run_report(self, report_id: str, metadata: dict[str, Any] | None) -> dict[str, Any]:
        try:
            return self.gateway.run_report(report_id, metadata)
        finally:
            self.observe()

    def describe_report(self, report_id: str) -> dict[str, Any]:
        try:
            return self.gateway.describe_report(report_id)
        finally:
            self.observe()


@dataclass(frozen=True)
class UserInfo:
    """What the dashboards show of a User."""

    name: str
    username: str | None = None
    email: str | None = None
    active: bool = True


@dataclass
class Series:
    """A window metric's weekly values per owner, plus owner names a report told us."""

    values: dict[str, dict[date, float]] = field(default_factory=lambda: defaultdict(dict))
    names: dict[str, str] = field(default_factory=dict)
    definition: dict[str, Any] = field(default_factory=dict)  # what it counts (definitions.py)

    def add(self, owner: str, week_start: date, value: float) -> None:
        bucket = self.values[owner]
        bucket[week_start] = bucket.get(week_start, 0.0) + value


def _number(value: Any) -> float:
    if value is None:
        return 0.0
    return float(value)


def _date(value: Any) -> date:
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def parse_sf_datetime(value: str) -> datetime:
    """Salesforce's '2025-10-27T15:04:05.000+0000' (or ...Z) as an aware datetime."""
    text = value.replace("Z", "+00:00")
    if len(text) >= 5 and text[-5] in "+-" and text[-3] != ":":
        text = f"{text[:-2]}:{text[-2:]}"
    return datetime.fromisoformat(text)


def _path(row: dict[str, Any], path: str) -> Any:
    """A (possibly dotted, `Account.OwnerId`) field of a REST record."""
    value: Any = row
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _where(*conditions: str | None) -> str:
    parts = [f"({c})" if " OR " in c.upper() else c for c in conditions if c]
    return " AND ".join(parts)


def _split_days(first: date, end: date) -> tuple[date, date, date] | None:
    days = (end - first).days
    if days <= 1:
        return None
    return first, first + timedelta(days=days // 2), end


class VelocitySource:
    """Every Salesforce read the velocity reports make, counted by a `Meter`."""

    def __init__(self, meter: Meter, calendar: Calendar, *, max_rows: int = MAX_GROUP_ROWS) -> None:
        self.meter = meter
        self.calendar = calendar
        self.max_rows = max_rows

    # ------------------------------------------------------------- SOQL series

    def soql_series(self, metric_key: str, source: SoqlSource, first: Week, last: Week) -> Series:
        """Weekly values per owner from `first` to `last` (inclusive)."""
        series = Series(definition=definitions.of_soql(metric_key, source))
        for row_owner, day, value in self._soql_rows(
            metric_key, source, first.start, last.end + timedelta(days=1)
        ):
            series.add(row_owner, self.calendar.week_of(day).start, value)
        return series

    def _soql_rows(
        self, metric_key: str, source: SoqlSource, first: date, end: date
    ) -> Iterator[tuple[str, date, float]]:
        """(owner, org-local day, value) rows for local days [first, end).

        One grouped query (split as needed). A dateTime is grouped by UTC day and
        hour, each hour placed on its local day; where a local midnight falls
        inside a UTC hour (a zone with a half-hour or 45-minute offset), the
        records of those hours come from one more query, record by record.
        """
        if source.date_type != "datetime":
            yield from self._grouped_rows(metric_key, source, first, end, frozenset())
            return
        split = self.calendar.split_hours(first, end)
        yield from self._grouped_rows(metric_key, source, first, end, split)
        if split:
            yield from self._split_hour_rows(source, first, end, split)

    def _datetime_range(self, source: SoqlSource, first: date, end: date) -> str:
        start_utc, end_utc = self.calendar.local_midnight(first), self.calendar.local_midnight(end)
        return _where(
            f"{source.date_field} >= {soql_datetime(start_utc)}",
            f"{source.date_field} < {soql_datetime(end_utc)}",
        )

    def _grouped_rows(
        self, metric_key: str, source: SoqlSource, first: date, end: date, split: frozenset[int]
    ) -> Iterator[tuple[str, date, float]]:
        owner, field_name = source.owner_field, source.date_field
        if source.date_type == "datetime":
            where = _where(self._datetime_range(source, first, end), source.filters)
            soql = (
                f"SELECT {owner}, DAY_ONLY({field_name}) d, HOUR_IN_DAY({field_name}) h, "
                f"{source.value_expression()} v FROM {source.object} WHERE {where} "
                f"GROUP BY {owner}, DAY_ONLY({field_name}), HOUR_IN_DAY({field_name}) "
                f"LIMIT {self.max_rows}"
            )
        else:
            where = _where(
                f"{field_name} >= {first.isoformat()}",
                f"{field_name} < {end.isoformat()}",
                source.filters,
            )
            soql = (
                f"SELECT {owner}, {field_name}, {source.value_expression()} v "
                f"FROM {source.object} WHERE {where} GROUP BY {owner}, {field_name} "
                f"LIMIT {self.max_rows}"
            )
        rows = self.meter.rows(soql)
        if len(rows) >= self.max_rows:
            halves = _split_days(first, end)
            if halves is None:
                raise GroupLimitError(
                    f"metric {metric_key!r}: {first.isoformat()} alone has {self.max_rows}+ "
                    "owner groups, more than one Salesforce GROUP BY query answers"
                )
            low, middle, high = halves
            yield from self._grouped_rows(metric_key, source, low, middle, split)
            yield from self._grouped_rows(metric_key, source, middle, high, split)
            return
        owner_key = owner.rsplit(".", 1)[-1]
        for row in rows:
            owner_id = row.get(owner_key)
            if owner_id is None:
                continue
            if source.date_type == "datetime":
                if row.get("d") is None:
                    continue
                hour = int(row.get("h") or 0)
                if hour in split:
                    continue  # placed record by record by _split_hour_rows
                day = self.calendar.local_date_of_hour(_date(row["d"]), hour)
            else:
                raw = row.get(field_name.rsplit(".", 1)[-1])
                if raw is None:
                    continue
                day = _date(raw)
            yield str(owner_id), day, _number(row.get("v"))

    def _split_hour_rows(
        self, source: SoqlSource, first: date, end: date, split: frozenset[int]
    ) -> Iterator[tuple[str, date, float]]:
        """The records of the UTC hours that hold a local midnight, each on its local day
        (one query, paged at 2,000 records: a small slice of the range's records)."""
        field_name, summed = source.date_field, source.sum_field
        hours = " OR ".join(f"HOUR_IN_DAY({field_name}) = {h}" for h in sorted(split))
        columns = ", ".join(dict.fromkeys([source.owner_field, field_name, summed or "Id"]))
        where = _where(self._datetime_range(source, first, end), source.filters, hours)
        for page in self.meter.pages(f"SELECT {columns} FROM {source.object} WHERE {where}"):
            for row in page:
                owner_id, moment = _path(row, source.owner_field), _path(row, field_name)
                if owner_id is None or moment is None:
                    continue
                value = 1.0 if summed is None else _number(_path(row, summed))
                day = self.calendar.local_date(parse_sf_datetime(str(moment)))
                yield str(owner_id), day, value

    # ------------------------------------------------------------ saved reports

    def report_series(
        self, metric_key: str, source: ReportSource, first: Week, last: Week
    ) -> Series:
        """Weekly values per owner from a saved report grouped by week, then owner.

        Its describe comes first (one call): the grouping is checked before the report
        runs, and the filters say what the metric counts."""
        described = self._guarded(
            metric_key, source, lambda: self.meter.describe_report(source.report_id)
        )
        metadata = described.get("reportMetadata") or {}
        problem = grouping_problem(metric_key, source, metadata)
        if problem:
            raise ReportDefinitionError(problem)
        column = source.date_column or str((metadata.get("groupingsDown") or [{}])[0]["name"])
        series = Series(definition=definitions.of_report(metric_key, source, described))
        self._report_into(series, metric_key, source, column, first, last)
        return series

    def _guarded(self, metric_key: str, source: ReportSource, call: Any) -> dict[str, Any]:
        try:
            result: dict[str, Any] = call()
        except SalesforceNotFoundError as exc:
            raise ReportDefinitionError(
                f"metric {metric_key!r}: saved report {source.report_id} does not exist "
                "in this org (or the integration user cannot see it)"
            ) from exc
        return result

    def _report_into(
        self,
        series: Series,
        metric_key: str,
        source: ReportSource,
        column: str,
        first: Week,
        last: Week,
    ) -> None:
        metadata = {
            "standardDateFilter": {
                "column": column,
                "durationValue": "CUSTOM",
                "startDate": first.start.isoformat(),
                "endDate": last.end.isoformat(),
            }
        }
        result = self._guarded(
            metric_key, source, lambda: self.meter.run_report(source.report_id, metadata)
        )
        cells = read_report(metric_key, source, result, self.calendar)
        if len(cells) >= self.max_rows or result.get("allData") is False:
            weeks = (last.start - first.start).days // 7 + 1
            if weeks <= 1:
                raise GroupLimitError(
                    f"metric {metric_key!r}: saved report {source.report_id} has "
                    f"{self.max_rows}+ owners in week {first.key} alone"
                )
            middle = first.shifted(weeks // 2)
            self._report_into(series, metric_key, source, column, first, middle.prior)
            self._report_into(series, metric_key, source, column, middle, last)
            return
        for owner_id, name, week_start, value in cells:
            series.add(owner_id, week_start, value)
            series.names.setdefault(owner_id, name)

    # ------------------------------------------------------------ point in time

    def account_baseline(self, filters: str | None, before: datetime) -> dict[str, int]:
        """Accounts per owner created before `before`."""
        where = _where(f"CreatedDate < {soql_datetime(before)}", filters)
        soql = (
            f"SELECT OwnerId, COUNT(Id) n FROM Account WHERE {where} GROUP BY OwnerId "
            f"LIMIT {self.max_rows}"
        )
        rows = self.meter.rows(soql)
        if len(rows) >= self.max_rows:
            raise GroupLimitError(
                f"accounts_owned: {self.max_rows}+ account owners, more than one "
                "Salesforce GROUP BY query answers"
            )
        return {str(r["OwnerId"]): int(r.get("n") or 0) for r in rows if r.get("OwnerId")}

    def accounts_created(
        self, filters: str | None, first: date, end: date
    ) -> dict[str, dict[date, int]]:
        """Accounts per owner and org-local day created on local days [first, end)."""
        source = SoqlSource(
            type="soql",
            object="Account",
            owner_field="OwnerId",
            date_field="CreatedDate",
            date_type="datetime",
            value="count",
            filters=filters,
        )
        created: dict[str, dict[date, int]] = defaultdict(dict)
        for owner, day, value in self._soql_rows("accounts_owned", source, first, end):
            created[owner][day] = created[owner].get(day, 0) + int(value)
        return created

    def opportunity_facts(
        self, filters: str | None, created_before: datetime, closed_since: date
    ) -> list[OppFact]:
        """Every Opportunity a point-in-time measure can see: created before the last
        week's end, and open or closed on or after the earliest lookback day."""
        where = _where(
            f"CreatedDate < {soql_datetime(created_before)}",
            f"IsClosed = false OR CloseDate >= {closed_since.isoformat()}",
            filters,
        )
        soql = (
            "SELECT OwnerId, Amount, CreatedDate, CloseDate, IsClosed, IsWon "
            f"FROM Opportunity WHERE {where}"
        )
        facts = []
        for page in self.meter.pages(soql):
            for row in page:
                if not row.get("OwnerId") or not row.get("CreatedDate") or not row.get("CloseDate"):
                    continue
                facts.append(
                    OppFact(
                        owner=str(row["OwnerId"]),
                        amount=None if row.get("Amount") is None else float(row["Amount"]),
                        created=parse_sf_datetime(str(row["CreatedDate"])),
                        close_date=_date(row["CloseDate"]),
                        is_closed=bool(row.get("IsClosed")),
                        is_won=bool(row.get("IsWon")),
                    )
                )
        return facts

    # ------------------------------------------------------------------- users

    def users(self, ids: Iterable[str]) -> dict[str, UserInfo]:
        """Each User among `ids` (absent: deleted or unknown), 200 per query."""
        wanted = sorted({i for i in ids if _USER_ID.match(i)})
        found: dict[str, UserInfo] = {}
        for start in range(0, len(wanted), USER_BATCH):
            quoted = ",".join(f"'{i}'" for i in wanted[start : start + USER_BATCH])
            soql = f"SELECT Id, Name, Username, Email, IsActive FROM User WHERE Id IN ({quoted})"
            for row in self.meter.rows(soql):
                found[str(row["Id"])] = UserInfo(
                    name=str(row.get("Name") or row["Id"]),
                    username=row.get("Username"),
                    email=row.get("Email"),
                    active=bool(row.get("IsActive")),
                )
        return found

    def integration_user(self) -> IntegrationUser:
        """The user the saved reports run as, with its time zone and locale (one query)."""
        user = read_integration_user(self.meter.gateway)
        self.meter.observe()
        return user


# ---------------------------------------------------------------------- reports


def read_report(
    metric_key: str, source: ReportSource, result: dict[str, Any], calendar: Calendar
) -> list[tuple[str, str, date, float]]:
    """(owner Id, owner name, week start, value) cells of a report grouped by week, then
    owner; ReportDefinitionError naming the report for any other shape."""
    metadata = result.get("reportMetadata") or {}
    name = f"{source.report_id} ({metadata.get('name') or 'unnamed'})"

    def bad(problem: str) -> ReportDefinitionError:
        return ReportDefinitionError(f"metric {metric_key!r}: saved report {name} {problem}")

    problem = grouping_problem(metric_key, source, metadata)
    if problem:
        raise ReportDefinitionError(problem)
    if (result.get("groupingsAcross") or {}).get("groupings"):
        raise bad("has column groupings; it must have none")
    by_owner = (metadata.get("groupingsDown") or [])[1]
    aggregates = list(metadata.get("aggregates") or [])
    wanted = source.aggregate or aggregates[0]
    index = aggregates.index(wanted)
    fact_map = result.get("factMap") or {}
    cells = []
    for week_group in (result.get("groupingsDown") or {}).get("groupings") or []:
        raw_week = week_group.get("value")
        if raw_week is None:
            continue  # records without a date
        try:
            week_start = _date(raw_week)
        except ValueError as exc:
            raise bad(f"has a week grouping value {raw_week!r} that is not a date") from exc
        if not calendar.is_week_start(week_start):
            raise bad(
                f"groups weeks starting on a {week_start.strftime('%A')} ({week_start}); "
                f"the velocity calendar starts weeks on {calendar.week_start.title()}"
            )
        for owner_group in week_group.get("groupings") or []:
            if owner_group.get("groupings"):
                raise bad("has a third grouping; it must be grouped by week, then by owner")
            owner_id = owner_group.get("value")
            if owner_id is None:
                continue
            if not _USER_ID.match(str(owner_id)):
                raise bad(
                    f"groups second by {by_owner.get('name')}, whose values ({owner_id!r}) "
                    "are not User Ids; it must group by owner"
                )
            cell = fact_map.get(f"{owner_group.get('key')}!T") or {}
            values = cell.get("aggregates") or []
            value = values[index].get("value") if index < len(values) else None
            cells.append(
                (
                    str(owner_id),
                    str(owner_group.get("label") or owner_id),
                    week_start,
                    _number(value),
                )
            )
    return cells
