"""Analytics REST API: saved summary reports grouped by week, then by owner.

`FakeOrg.add_report` registers a report over one object: its records (after
its saved `reportFilters`, ANDed, and an optional SOQL `filters` fragment) are
grouped down by the week (or day: `dateGranularity`) of `date_field`, then by
`owner_field`, and summarised by `aggregates` (`RowCount`, `s!Field` sum, `a!`
average, `m!` min, `mx!` max, `u!` unique count).

A report runs as the user whose token calls it, as Salesforce runs it: a
dateTime column is grouped and filtered by that user's local day (time zone,
DST included), weeks start on the first day of the user's locale (Sunday for
en_US, Monday for en_GB: Salesforce Help, Relative Date Filter Reference), and
relative date filters (`THIS_WEEK`, `LAST_N_WEEKS:6`...) count from the user's
today. A CUSTOM range's `startDate`/`endDate` are the user's local days.

* `GET /analytics/reports` lists reports.
* `GET /analytics/reports/{id}` runs it synchronously (`?includeDetails=true`
  adds detail rows); `POST` the same with `{"reportMetadata": {...}}` applies
  `reportFilters` (`[{column, operator, value}]`, ANDed) and
  `standardDateFilter` (`{column, durationValue: "CUSTOM", startDate,
  endDate}`, or a relative `durationValue` such as `LAST_N_WEEKS:6`).
* `GET /analytics/reports/{id}/describe` returns the metadata only, with the
  report type's columns (`reportTypeMetadata.categories`, labels) and its
  filter operators (`dataTypeFilterOperatorMap`).

The answer has the real shape: `attributes`, `reportMetadata` (with the saved
`reportFilters`), `reportExtendedMetadata`, `groupingsDown.groupings` (week
`value` is its first day `YYYY-MM-DD`, `label` `11/2/2025 - 11/8/2025`; owner `value` is the user
Id, `label` the user's Name), `groupingsAcross`, and `factMap` keyed `0!T`,
`0_1!T` and `T!T` with `aggregates: [{label, value}]` (and `rows` with details).
Unknown report Ids answer 404 NOT_FOUND.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from local.fakes_common import FakeRequest, FakeResponse, json_response
from local.salesforce.dates import (
    UserClock,
    date_literal_range,
    date_of,
    is_date_literal,
    parse_date,
    week_label,
)
from local.salesforce.errors import SalesforceApiError, not_found
from local.salesforce.rest import RouteSpec, V, parse_json_body
from local.salesforce.schema import NUMBER_TYPES, FieldDef, ObjectDef, coerce
from local.salesforce.schema import to_json as json_value
from local.salesforce.soql import compile_query, run_compiled
from local.salesforce.store import Record

if TYPE_CHECKING:
    from local.salesforce.org import FakeOrg

_PREFIXES = {"s": "Sum", "a": "Average", "m": "Smallest", "mx": "Largest", "u": "Unique"}
MAX_DETAIL_ROWS = 2000


@dataclass
class Aggregate:
    """One summary: `RowCount` or `<prefix>!<Object>.<Field>`."""

    name: str
    prefix: str | None = None
    field: FieldDef | None = None

    @property
    def data_type(self) -> str:
        if self.field is None or self.prefix == "u":
            return "int"
        return self.field.type if self.prefix != "a" else "double"

    @property
    def label(self) -> str:
        if self.field is None or self.prefix is None:
            return "Record Count"
        return f"{_PREFIXES[self.prefix]} of {self.field.label}"

    def compute(self, rows: Sequence[Record]) -> Any:
        if self.field is None or self.prefix is None:
            return len(rows)
        values = [r[self.field.name] for r in rows if r.get(self.field.name) is not None]
        if self.prefix == "u":
            return len(set(values))
        if self.prefix == "s":
            return sum(values) if values else 0
        if not values:
            return None
        if self.prefix == "a":
            return sum(values) / len(values)
        return min(values) if self.prefix == "m" else max(values)


@dataclass
class ReportDef:
    id: str
    name: str
    obj: ObjectDef
    date_field: FieldDef
    owner_field: FieldDef
    aggregates: list[Aggregate]
    filters: str | None
    date_column: str
    owner_column: str
    detail_columns: list[str] = field(default_factory=list)
    report_filters: list[dict[str, Any]] = field(default_factory=list)
    boolean_filter: str | None = None
    date_granularity: str = "Week"

    def named_columns(self) -> dict[str, FieldDef]:
        """Each column by its report name (`Opportunity.LeadSource`)."""
        named = {self.date_column: self.date_field, self.owner_column: self.owner_field}
        for field_def in self.obj.fields.values():
            named.setdefault(f"{self.obj.name}.{field_def.name}", field_def)
        return named

    def columns(self) -> dict[str, FieldDef]:
        """Every column name this report knows -> field."""
        known: dict[str, FieldDef] = {
            self.date_column.lower(): self.date_field,
            self.owner_column.lower(): self.owner_field,
        }
        for field_def in self.obj.fields.values():
            known.setdefault(f"{self.obj.name}.{field_def.name}".lower(), field_def)
            known.setdefault(field_def.name.lower(), field_def)
        return known

    def column_field(self, column: str) -> FieldDef:
        found = self.columns().get(column.lower())
        if found is None:
            raise SalesforceApiError(400, "BAD_REQUEST", f"The column {column} is invalid")
        return found


def parse_aggregate(obj: ObjectDef, spec: str) -> Aggregate:
    """`RowCount`, `s!Amount` or `s!Opportunity.Amount` -> Aggregate (ValueError if bad)."""
    if spec == "RowCount":
        return Aggregate("RowCount")
    prefix, _, column = spec.partition("!")
    name = column.split(".", 1)[1] if column.lower().startswith(obj.name.lower() + ".") else column
    field_def = obj.field(name)
    if prefix not in _PREFIXES or field_def is None:
        raise ValueError(f"unknown report aggregate {spec!r} for {obj.name}")
    if prefix in ("s", "a") and field_def.type not in NUMBER_TYPES:
        raise ValueError(f"cannot summarise non-numeric field {field_def.name} with {prefix}!")
    return Aggregate(f"{prefix}!{obj.name}.{field_def.name}", prefix, field_def)


def _format(value: Any, data_type: str) -> str:
    if value is None:
        return "-"
    if data_type == "currency":
        return f"${value:,.2f}"
    if data_type == "percent":
        return f"{value:,.2f}%"
    if data_type == "double":
        return f"{value:,.2f}"
    if data_type == "int":
        return f"{int(value):,}"
    if isinstance(value, date):
        return f"{value.month}/{value.day}/{value.year}"
    return str(value)


_OPERATOR_LABELS = {
    "equals": "equals",
    "notEqual": "not equal to",
    "lessThan": "less than",
    "greaterThan": "greater than",
    "lessOrEqual": "less or equal",
    "greaterOrEqual": "greater or equal",
    "contains": "contains",
    "notContain": "does not contain",
    "startsWith": "starts with",
}
_GRANULARITIES = ("Day", "Week")


class ReportsApi:
    """Saved reports of one org and the Analytics endpoints that run them."""

    def __init__(self, org: FakeOrg) -> None:
        self.org = org
        self.reports: dict[str, ReportDef] = {}

    def routes(self) -> list[RouteSpec]:
        base = V + r"/analytics/reports"
        report = base + r"/(?P<report_id>\w+)"
        return [
            ("GET", base + r"/?", "reports", self.list_reports),
            ("GET", report + r"/describe/?", "report_describe", self.describe),
            ("GET", report + r"/?", "report_run", self.run),
            ("POST", report + r"/?", "report_run", self.run),
        ]

    def add(self, report: ReportDef) -> None:
        self.reports[report.id] = report

    def _report(self, report_id: str) -> ReportDef:
        report = self.reports.get(report_id)
        if report is None and len(report_id) == 15:
            report = next((r for r in self.reports.values() if r.id[:15] == report_id), None)
        if report is None:
            raise not_found()
        return report

    # ------------------------------------------------------------- endpoints

    def list_reports(self, request: FakeRequest, version: str) -> FakeResponse:
        base = f"/services/data/v{version}/analytics/reports"
        return json_response(
            200,
            [
                {
                    "describeUrl": f"{base}/{r.id}/describe",
                    "id": r.id,
                    "instancesUrl": f"{base}/{r.id}/instances",
                    "name": r.name,
                    "url": f"{base}/{r.id}",
                }
                for r in self.reports.values()
            ],
        )

    def describe(self, request: FakeRequest, version: str, report_id: str) -> FakeResponse:
        report = self._report(report_id)
        return json_response(
            200,
            {
                "reportMetadata": self.metadata(report, None, has_details=False),
                "reportExtendedMetadata": self.extended_metadata(report),
                "reportTypeMetadata": {
                    "categories": [
                        {
                            "label": f"{report.obj.label} Information",
                            "columns": {
                                name: {
                                    "dataType": column.type,
                                    "filterValues": [
                                        {"label": v, "name": v} for v in column.picklist_values
                                    ],
                                    "filterable": True,
                                    "label": column.label,
                                }
                                for name, column in report.named_columns().items()
                            },
                        }
                    ],
                    "dataTypeFilterOperatorMap": {
                        kind: [
                            {"label": label, "name": name}
                            for name, label in _OPERATOR_LABELS.items()
                        ]
                        for kind in sorted({c.type for c in report.obj.fields.values()})
                    },
                    "divisionInfo": None,
                    "scopeInfo": {"defaultValue": "organization", "values": []},
                    "standardDateFilterDurationGroups": [],
                    "standardFilterInfos": {},
                },
            },
        )

    def run(self, request: FakeRequest, version: str, report_id: str) -> FakeResponse:
        report = self._report(report_id)
        override: dict[str, Any] | None = None
        if request.method == "POST" and request.body:
            body = parse_json_body(request)
            meta = body.get("reportMetadata") if isinstance(body, dict) else None
            override = meta if isinstance(meta, dict) else None
        include_details = (request.param("includeDetails") or "").lower() == "true"
        clock = self.org.request_clock(request)
        rows = self.filtered_rows(report, override or {}, clock)
        base = f"/services/data/v{version}/analytics/reports/{report.id}"
        result: dict[str, Any] = {
            "attributes": {
                "describeUrl": f"{base}/describe",
                "instancesUrl": f"{base}/instances",
                "reportId": report.id,
                "reportName": report.name,
                "type": "Report",
            },
            "allData": not include_details or len(rows) <= MAX_DETAIL_ROWS,
            "hasDetailRows": include_details,
            "reportMetadata": self.metadata(report, override, has_details=include_details),
            "reportExtendedMetadata": self.extended_metadata(report),
            "groupingsAcross": {"groupings": []},
        }
        granularity = self.metadata(report, override, has_details=False)["groupingsDown"][0]
        groupings, fact_map = self.summarise(
            report, rows, include_details, clock, granularity["dateGranularity"]
        )
        result["groupingsDown"] = {"groupings": groupings}
        result["factMap"] = fact_map
        return json_response(200, result)

    # ------------------------------------------------------------- metadata

    def metadata(
        self, report: ReportDef, override: dict[str, Any] | None, *, has_details: bool
    ) -> dict[str, Any]:
        override = override or {}
        date_filter = override.get("standardDateFilter") or {
            "column": report.date_column,
            "durationValue": "CUSTOM",
            "endDate": None,
            "startDate": None,
        }
        return {
            "aggregates": [a.name for a in report.aggregates],
            "buckets": [],
            "chart": None,
            "crossFilters": [],
            "currency": None,
            "customSummaryFormula": {},
            "detailColumns": report.detail_columns,
            "developerName": "".join(c if c.isalnum() else "_" for c in report.name),
            "division": None,
            "folderId": "00l000000000000AAA",
            "groupingsAcross": [],
            "groupingsDown": [
                {
                    "dateGranularity": self._granularity(report, override),
                    "name": report.date_column,
                    "sortAggregate": None,
                    "sortOrder": "Asc",
                },
                {
                    "dateGranularity": "None",
                    "name": report.owner_column,
                    "sortAggregate": None,
                    "sortOrder": "Asc",
                },
            ],
            "hasDetailRows": has_details,
            "hasRecordCount": True,
            "historicalSnapshotDates": [],
            "id": report.id,
            "name": report.name,
            "reportBooleanFilter": override.get("reportBooleanFilter", report.boolean_filter),
            "reportFilters": override.get("reportFilters", report.report_filters),
            "reportFormat": "SUMMARY",
            "reportType": {
                "label": report.obj.label_plural,
                "type": report.obj.label_plural.replace(" ", ""),
            },
            "scope": "organization",
            "showGrandTotal": True,
            "showSubtotals": True,
            "sortBy": [],
            "standardDateFilter": date_filter,
            "standardFilters": [],
            "topRows": None,
            "userOrHierarchyFilterId": None,
        }

    @staticmethod
    def _granularity(report: ReportDef, override: dict[str, Any]) -> str:
        """The date grouping's granularity: the saved one, or the run's (Day or Week)."""
        groupings = override.get("groupingsDown")
        if not groupings:
            return report.date_granularity
        wanted = str((groupings[0] or {}).get("dateGranularity") or "")
        if wanted.title() not in _GRANULARITIES:
            raise SalesforceApiError(
                400, "BAD_REQUEST", f"dateGranularity {wanted!r} is not supported by this org"
            )
        return wanted.title()

    def extended_metadata(self, report: ReportDef) -> dict[str, Any]:
        columns = report.columns()
        return {
            "aggregateColumnInfo": {
                a.name: {
                    "acrossGroupingContext": None,
                    "dataType": a.data_type,
                    "downGroupingContext": None,
                    "label": a.label,
                }
                for a in report.aggregates
            },
            "detailColumnInfo": {
                c: {"dataType": columns[c.lower()].type, "label": columns[c.lower()].label}
                for c in report.detail_columns
            },
            "groupingColumnInfo": {
                report.date_column: {
                    "dataType": report.date_field.type,
                    "groupingLevel": 0,
                    "label": report.date_field.label,
                },
                report.owner_column: {
                    "dataType": "string",
                    "groupingLevel": 1,
                    "label": report.owner_field.label,
                },
            },
        }

    # ------------------------------------------------------------ filtering

    def filtered_rows(
        self, report: ReportDef, override: dict[str, Any], clock: UserClock
    ) -> list[Record]:
        store = self.org.store
        if report.filters:
            compiled = compile_query(
                store, f"SELECT Id FROM {report.obj.name} WHERE {report.filters}", clock
            )
            rows = run_compiled(store, compiled, include_deleted=False).records
        else:
            rows = store.rows(report.obj)
        if override.get("reportBooleanFilter", report.boolean_filter):
            raise SalesforceApiError(
                400, "BAD_REQUEST", "reportBooleanFilter is not supported by this org"
            )
        filters = override.get("reportFilters", report.report_filters) or []
        tests = [self._filter_test(report, f, clock) for f in filters]
        date_filter = override.get("standardDateFilter")
        if isinstance(date_filter, dict):
            tests.append(self._date_filter_test(report, date_filter, clock))
        return [r for r in rows if all(test(r) for test in tests)]

    def _filter_test(
        self, report: ReportDef, spec: Any, clock: UserClock
    ) -> Callable[[Record], bool]:
        if not isinstance(spec, dict) or "column" not in spec or "operator" not in spec:
            raise SalesforceApiError(400, "BAD_REQUEST", f"Invalid report filter: {spec}")
        field_def = report.column_field(str(spec["column"]))
        operator = str(spec["operator"])
        raw = "" if spec.get("value") is None else str(spec["value"])
        if operator in ("contains", "notContain", "startsWith"):
            return _text_test(field_def, operator, [t.strip().casefold() for t in raw.split(",")])
        parts = [raw] if field_def.type in NUMBER_TYPES else raw.split(",")
        values = [self._filter_value(field_def, part) for part in parts]
        compare = _OPERATORS.get(operator)
        if compare is None:
            raise SalesforceApiError(
                400, "BAD_REQUEST", f"Invalid report filter operator: {operator}"
            )

        def test_value(record: Record) -> bool:
            raw_value = record.get(field_def.name)
            current = _comparable(
                clock.local_day(raw_value)
                if raw_value is not None and field_def.type == "datetime"
                else raw_value
            )
            if operator == "notEqual":
                return all(current != v for v in values)
            return any(compare(current, v) for v in values)

        return test_value

    def _filter_value(self, field_def: FieldDef, raw: str) -> Any:
        text = raw.strip()
        if text == "":
            return None
        try:
            if field_def.type == "datetime" and len(text) == 10:
                return parse_date(text)
            return _comparable(coerce(field_def, text))
        except ValueError as exc:
            raise SalesforceApiError(
                400, "BAD_REQUEST", f"Invalid filter value {raw!r} for {field_def.name}"
            ) from exc

    def _date_filter_test(
        self, report: ReportDef, spec: dict[str, Any], clock: UserClock
    ) -> Callable[[Record], bool]:
        field_def = report.column_field(str(spec.get("column") or report.date_column))
        if field_def.type not in ("date", "datetime"):
            raise SalesforceApiError(
                400, "BAD_REQUEST", f"The column {spec.get('column')} is not a date column"
            )
        start, end = self._date_range(spec, clock)

        def test(record: Record) -> bool:
            value = record.get(field_def.name)
            if value is None:
                return start is None and end is None
            day = clock.local_day(value)
            return (start is None or day >= start) and (end is None or day <= end)

        return test

    def _date_range(
        self, spec: dict[str, Any], clock: UserClock
    ) -> tuple[date | None, date | None]:
        duration = str(spec.get("durationValue") or "CUSTOM").upper()
        if duration == "CUSTOM":
            try:
                start = parse_date(spec["startDate"]) if spec.get("startDate") else None
                end = parse_date(spec["endDate"]) if spec.get("endDate") else None
            except ValueError as exc:
                raise SalesforceApiError(
                    400, "BAD_REQUEST", f"Invalid standardDateFilter dates: {spec}"
                ) from exc
            return start, end
        name, _, n_text = duration.partition(":")
        if not is_date_literal(name, with_argument=bool(n_text)) or (
            n_text and not n_text.isdigit()
        ):
            raise SalesforceApiError(
                400, "BAD_REQUEST", f"Invalid durationValue: {spec.get('durationValue')}"
            )
        n = int(n_text) if n_text else None
        first, after = date_literal_range(name, n, clock.today, clock.first_weekday)
        return first, after - timedelta(days=1)

    # ------------------------------------------------------------ summaries

    def summarise(
        self,
        report: ReportDef,
        rows: list[Record],
        include_details: bool,
        clock: UserClock,
        granularity: str = "Week",
    ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """Rows grouped by the running user's local week (or day), then by owner."""
        weeks: dict[date | None, list[Record]] = {}
        for record in rows:
            value = record.get(report.date_field.name)
            bucket = None
            if value is not None:
                day = clock.local_day(value)
                bucket = clock.week_start(day) if granularity == "Week" else day
            weeks.setdefault(bucket, []).append(record)
        fact_map: dict[str, Any] = {"T!T": self._fact(report, rows, False)}
        groupings: list[dict[str, Any]] = []
        ordered = sorted(weeks, key=lambda w: (w is not None, w or date.min))
        for week_index, sunday in enumerate(ordered):
            week_rows = weeks[sunday]
            key = str(week_index)
            fact_map[f"{key}!T"] = self._fact(report, week_rows, False)
            owners = self._owner_groups(report, week_rows)
            children: list[dict[str, Any]] = []
            for owner_index, (owner_id, label, owner_rows) in enumerate(owners):
                child_key = f"{key}_{owner_index}"
                fact_map[f"{child_key}!T"] = self._fact(report, owner_rows, include_details)
                children.append(
                    {"groupings": [], "key": child_key, "label": label, "value": owner_id}
                )
            groupings.append(
                {
                    "groupings": children,
                    "key": key,
                    "label": _bucket_label(sunday, granularity),
                    "value": sunday.isoformat() if sunday else None,
                }
            )
        if include_details:
            for entry in fact_map.values():
                entry.setdefault("rows", [])
        return groupings, fact_map

    def _owner_groups(
        self, report: ReportDef, rows: list[Record]
    ) -> list[tuple[str | None, str, list[Record]]]:
        by_owner: dict[str | None, list[Record]] = {}
        for record in rows:
            by_owner.setdefault(record.get(report.owner_field.name), []).append(record)
        groups = [
            (owner, self._name_of(owner), owner_rows) for owner, owner_rows in by_owner.items()
        ]
        return sorted(groups, key=lambda g: (g[1].casefold(), g[0] or ""))

    def _name_of(self, record_id: str | None) -> str:
        found = self.org.store.lookup(record_id)
        if found is None:
            return record_id or "-"
        name = found[1].get("Name")
        return str(name) if name else str(record_id)

    def _fact(self, report: ReportDef, rows: list[Record], include_rows: bool) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "aggregates": [
                {"label": _format(value, a.data_type), "value": json_value(value)}
                for a in report.aggregates
                for value in [a.compute(rows)]
            ]
        }
        if include_rows:
            entry["rows"] = [{"dataCells": self._cells(report, r)} for r in rows[:MAX_DETAIL_ROWS]]
        return entry

    def _cells(self, report: ReportDef, record: Record) -> list[dict[str, Any]]:
        columns = report.columns()
        cells = []
        for column in report.detail_columns:
            field_def = columns[column.lower()]
            value = record.get(field_def.name)
            if field_def.type == "reference":
                cells.append({"label": self._name_of(value) if value else "-", "value": value})
            elif isinstance(value, date):
                cells.append(
                    {"label": _format(date_of(value), "date"), "value": date_of(value).isoformat()}
                )
            else:
                cells.append({"label": _format(value, field_def.type), "value": value})
        return cells


def _bucket_label(first: date | None, granularity: str) -> str:
    if first is None:
        return "-"
    return week_label(first) if granularity == "Week" else _format(first, "date")


def _text_test(field_def: FieldDef, operator: str, wanted: list[str]) -> Callable[[Record], bool]:
    def test(record: Record) -> bool:
        current = str(record.get(field_def.name) or "").casefold()
        if operator == "startsWith":
            return any(current.startswith(t) for t in wanted)
        hit = any(t in current for t in wanted)
        return not hit if operator == "notContain" else hit

    return test


def _comparable(value: Any) -> Any:
    if isinstance(value, str):
        return value.casefold()
    if isinstance(value, date):
        return date_of(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return value


def _ordered(check: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    return lambda a, b: a is not None and b is not None and check(a, b)


_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "equals": lambda a, b: a == b,
    "notEqual": lambda a, b: a != b,
    "lessThan": _ordered(lambda a, b: a < b),
    "greaterThan": _ordered(lambda a, b: a > b),
    "lessOrEqual": _ordered(lambda a, b: a <= b),
    "greaterOrEqual": _ordered(lambda a, b: a >= b),
}
