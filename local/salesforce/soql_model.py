"""SOQL's compiled form: a statement resolved against the schema, ready to run.

`soql_compiler` builds it from the parsed statement; `soql_eval` runs it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from local.salesforce.schema import FieldDef, ObjectDef

AGGREGATES = frozenset({"COUNT", "COUNT_DISTINCT", "SUM", "AVG", "MIN", "MAX"})
DATE_FUNCTIONS = frozenset(
    {
        "CALENDAR_YEAR", "CALENDAR_QUARTER", "CALENDAR_MONTH", "DAY_IN_MONTH", "DAY_IN_WEEK",
        "DAY_IN_YEAR", "WEEK_IN_YEAR", "WEEK_IN_MONTH", "DAY_ONLY", "HOUR_IN_DAY",
        "FISCAL_YEAR", "FISCAL_QUARTER", "FISCAL_MONTH",
    }
)  # fmt: skip
PASS_THROUGH = frozenset({"CONVERTTIMEZONE", "TOLABEL", "FORMAT", "CONVERTCURRENCY"})
DATETIME_ONLY = frozenset({"DAY_ONLY", "HOUR_IN_DAY"})


# ----------------------------------------------------------------- compiled form


@dataclass(frozen=True)
class ResolvedPath:
    """A field reached from the queried object through zero or more lookups."""

    hops: tuple[FieldDef, ...]
    field: FieldDef
    column: str  # canonical, e.g. "Account__r.Name"


@dataclass(frozen=True)
class CField:
    path: ResolvedPath

    @property
    def type(self) -> str:
        return self.path.field.type

    @property
    def key(self) -> str:
        return self.path.column.lower()

    @property
    def aggregate(self) -> bool:
        return False


@dataclass(frozen=True)
class CFunc:
    name: str
    args: tuple[CExpr, ...]
    type: str
    zone: ZoneInfo | None = field(default=None, compare=False)  # convertTimezone's target

    @property
    def key(self) -> str:
        return f"{self.name}({','.join(a.key for a in self.args)})".lower()

    @property
    def aggregate(self) -> bool:
        return self.name in AGGREGATES or any(a.aggregate for a in self.args)


CExpr = CField | CFunc


@dataclass(frozen=True)
class DateRange:
    """A date literal's `[start, end)` day range, and the UTC instants of the running
    user's local midnights that begin and end it (what a dateTime is compared with)."""

    start: date
    end: date
    first: datetime
    after: datetime


@dataclass(frozen=True)
class CTest:
    expr: CExpr
    test: Callable[[Any], bool]


@dataclass(frozen=True)
class CBool:
    op: str
    items: tuple[CCond, ...]


@dataclass(frozen=True)
class CNot:
    item: CCond


CCond = CTest | CBool | CNot


@dataclass(frozen=True)
class Column:
    """One SELECT item: its output key and, for plain fields, the path."""

    expr: CExpr
    key: str
    path: ResolvedPath | None
    pos: int = 0


@dataclass(frozen=True)
class OrderKey:
    expr: CExpr
    descending: bool
    nulls_last: bool


@dataclass
class CompiledQuery:
    obj: ObjectDef
    columns: list[Column]
    where: CCond | None = None
    group_by: list[CExpr] = field(default_factory=list)
    having: CCond | None = None
    order_by: list[OrderKey] = field(default_factory=list)
    limit: int | None = None
    offset: int | None = None
    count_only: bool = False

    @property
    def aggregate(self) -> bool:
        return bool(self.group_by) or any(c.expr.aggregate for c in self.columns)
