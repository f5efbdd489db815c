"""SOQL execution over the org's records: resolve names, filter, group, sort, shape.

`execute` mirrors what the query endpoints do with a statement:

* Names resolve case-insensitively against the schema. Unknown objects fail
  with INVALID_TYPE, unknown fields or relationships with INVALID_FIELD, and a
  filter value of the wrong kind (a quoted date, a date on a dateTime field,
  a string on a number...) with INVALID_QUERY_FILTER_OPERATOR, with the same
  messages and `ERROR at Row:Column` pointers Salesforce gives.
* Text comparisons are case-insensitive; `!=` and `NOT IN` also match nulls;
  an empty string means null. Date literals (`LAST_N_WEEKS:6`) are day ranges
  relative to the org clock, and work on dateTime fields by their UTC day.
* ORDER BY sorts nulls first ascending and last descending unless told.
* Aggregate queries return `AggregateResult` rows keyed by alias, by field
  name for grouped fields, and `expr0`, `expr1`... for unaliased functions.
  `SELECT COUNT()` alone returns only `totalSize`.

Results come back as a `QueryResult`, printed as REST records (with
`attributes` and nested parent records) or Bulk API 2.0 CSV columns.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from local.salesforce.dates import date_literal_range, date_of, to_utc
from local.salesforce.errors import SalesforceApiError
from local.salesforce.schema import NUMBER_TYPES, TEXT_TYPES, FieldDef, ObjectDef, normalize_id
from local.salesforce.schema import to_csv as csv_value
from local.salesforce.schema import to_json as json_value
from local.salesforce.soql_parser import (
    BoolOp,
    Compare,
    Cond,
    DateLit,
    Expr,
    FieldPath,
    Func,
    Lit,
    Not,
    Query,
    SoqlSyntaxError,
    SubQuery,
    Value,
    format_error,
    parse,
    unescape,
)
from local.salesforce.store import Record, Store

MAX_OFFSET = 2000
MAX_FIELDS_LIMIT = 200

AGGREGATES = frozenset({"COUNT", "COUNT_DISTINCT", "SUM", "AVG", "MIN", "MAX"})
DATE_FUNCTIONS = frozenset(
    {
        "CALENDAR_YEAR", "CALENDAR_QUARTER", "CALENDAR_MONTH", "DAY_IN_MONTH", "DAY_IN_WEEK",
        "DAY_IN_YEAR", "WEEK_IN_YEAR", "WEEK_IN_MONTH", "DAY_ONLY", "HOUR_IN_DAY",
        "FISCAL_YEAR", "FISCAL_QUARTER", "FISCAL_MONTH",
    }
)  # fmt: skip
PASS_THROUGH = frozenset({"CONVERTTIMEZONE", "TOLABEL", "FORMAT", "CONVERTCURRENCY"})
_DATETIME_ONLY = frozenset({"DAY_ONLY", "HOUR_IN_DAY"})
_TYPE_NAMES = {"datetime": "dateTime", "int": "int", "boolean": "boolean", "date": "date"}

_NO_SUCH_COLUMN = (
    "No such column '{name}' on entity '{entity}'. If you are attempting to use a custom field, "
    "be sure to append the '__c' after the custom field name. Please reference your WSDL or the "
    "describe call for the appropriate names."
)
_BAD_RELATIONSHIP = (
    "Didn't understand relationship '{name}' in field path. If you are attempting to use a custom "
    "relationship, be sure to append the '__r' after the custom relationship name. Please "
    "reference your WSDL or the describe call for the appropriate names."
)
_BAD_CHILD_RELATIONSHIP = (
    "Didn't understand relationship '{name}' in FROM part of query call. If you are attempting to "
    "use a custom relationship, be sure to append the '__r' after the custom relationship name. "
    "Please reference your WSDL or the describe call for the appropriate names."
)
_BAD_TYPE = (
    "sObject type '{name}' is not supported. If you are attempting to use a custom object, be "
    "sure to append the '__c' after the entity name. Please reference your WSDL or the describe "
    "call for the appropriate names."
)


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

    @property
    def key(self) -> str:
        return f"{self.name}({','.join(a.key for a in self.args)})".lower()

    @property
    def aggregate(self) -> bool:
        return self.name in AGGREGATES or any(a.aggregate for a in self.args)


CExpr = CField | CFunc


@dataclass(frozen=True)
class DateRange:
    """A date literal's `[start, end)` day range."""

    start: date
    end: date


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


# ------------------------------------------------------------------- evaluation


def read_path(store: Store, path: ResolvedPath, record: Record) -> Any:
    current = record
    for hop in path.hops:
        found = store.lookup(current.get(hop.name))
        if found is None:
            return None
        current = found[1]
    return current.get(path.field.name)


def _date_function(name: str, value: Any) -> Any:
    if value is None:
        return None
    moment = to_utc(value) if isinstance(value, datetime) else value
    day = date_of(moment)
    results: dict[str, Callable[[], Any]] = {
        "CALENDAR_YEAR": lambda: day.year,
        "FISCAL_YEAR": lambda: day.year,
        "CALENDAR_QUARTER": lambda: (day.month - 1) // 3 + 1,
        "FISCAL_QUARTER": lambda: (day.month - 1) // 3 + 1,
        "CALENDAR_MONTH": lambda: day.month,
        "FISCAL_MONTH": lambda: day.month,
        "DAY_IN_MONTH": lambda: day.day,
        "DAY_IN_WEEK": lambda: (day.weekday() + 1) % 7 + 1,
        "DAY_IN_YEAR": lambda: day.timetuple().tm_yday,
        "WEEK_IN_YEAR": lambda: (day.timetuple().tm_yday - 1) // 7 + 1,
        "WEEK_IN_MONTH": lambda: (day.day - 1) // 7 + 1,
        "DAY_ONLY": lambda: day,
        "HOUR_IN_DAY": lambda: moment.hour if isinstance(moment, datetime) else 0,
    }
    return results[name]()


def value_of(store: Store, expr: CExpr, record: Record) -> Any:
    """A non-aggregate expression's value for one record."""
    if isinstance(expr, CField):
        return read_path(store, expr.path, record)
    inner = value_of(store, expr.args[0], record)
    if expr.name in PASS_THROUGH:
        return inner
    return _date_function(expr.name, inner)


def norm(kind: str, value: Any) -> Any:
    """A value in comparable form: text case-folded (Ids kept), numbers as float."""
    if value is None:
        return None
    if kind in TEXT_TYPES and kind not in ("id", "reference"):
        return str(value).casefold()
    if kind in NUMBER_TYPES:
        return float(value)
    if isinstance(value, datetime):
        return to_utc(value)
    return value


def aggregate_value(store: Store, expr: CExpr, rows: Sequence[Record]) -> Any:
    """An expression's value over one group of records."""
    if not expr.aggregate:
        return value_of(store, expr, rows[0]) if rows else None
    assert isinstance(expr, CFunc)
    if expr.name not in AGGREGATES:  # a date function around an aggregate is not SOQL
        return None
    if not expr.args:
        return len(rows)
    arg = expr.args[0]
    values = [v for v in (value_of(store, arg, r) for r in rows) if v is not None]
    if expr.name == "COUNT":
        return len(values)
    if expr.name == "COUNT_DISTINCT":
        return len({norm(arg.type, v) for v in values})
    if not values:
        return None
    if expr.name == "SUM":
        total = sum(values)
        return int(total) if arg.type == "int" else float(total)
    if expr.name == "AVG":
        return sum(values) / len(values)
    keyed = sorted(values, key=lambda v: norm(arg.type, v))
    return keyed[0] if expr.name == "MIN" else keyed[-1]


def eval_cond(cond: CCond, value: Callable[[CExpr], Any]) -> bool:
    if isinstance(cond, CTest):
        return cond.test(value(cond.expr))
    if isinstance(cond, CNot):
        return not eval_cond(cond.item, value)
    if cond.op == "AND":
        return all(eval_cond(item, value) for item in cond.items)
    return any(eval_cond(item, value) for item in cond.items)


def sort_by(
    items: list[Any], keys: Sequence[OrderKey], key_values: Callable[[Any], list[Any]]
) -> list[Any]:
    """Stable multi-key sort with SOQL's null placement: nulls first, or last with
    NULLS LAST (the default when descending).

    One stable pass per key, the last key first, each with a plain sort key: the
    same order as comparing key by key, without a Python comparison per pair
    (a million rows sort in seconds, not minutes).
    """
    decorated = [(key_values(item), item) for item in items]
    for index in reversed(range(len(keys))):
        key = keys[index]
        # Where nulls go after this pass's reversal: last, or first.
        null_rank = 1 if key.nulls_last else -1
        if key.descending:
            null_rank = -null_rank

        def rank(entry: tuple[list[Any], Any], index: int = index, null: int = null_rank) -> Any:
            value = entry[0][index]
            return (null, 0) if value is None else (0, value)

        decorated.sort(key=rank, reverse=key.descending)
    return [item for _, item in decorated]


# ----------------------------------------------------------------------- result


@dataclass
class QueryResult:
    """Rows of an executed query, ready to be printed for REST or Bulk API."""

    compiled: CompiledQuery
    total_size: int
    records: list[Record] = field(default_factory=list)
    groups: list[dict[str, Any]] = field(default_factory=list)

    @property
    def count_only(self) -> bool:
        return self.compiled.count_only

    def rest_records(self, store: Store, version: str) -> list[dict[str, Any]]:
        if self.compiled.count_only:
            return []
        if self.compiled.aggregate:
            return [
                {"attributes": {"type": "AggregateResult"}}
                | {k: json_value(v) for k, v in group.items()}
                for group in self.groups
            ]
        return [self._rest_record(store, record, version) for record in self.records]

    def _rest_record(self, store: Store, record: Record, version: str) -> dict[str, Any]:
        obj = self.compiled.obj
        out: dict[str, Any] = {"attributes": record_attributes(obj, record["Id"], version)}
        for column in self.compiled.columns:
            if column.path is None:
                out[column.key] = json_value(value_of(store, column.expr, record))
                continue
            container = out
            current: Record | None = record
            for hop in column.path.hops:
                rel = hop.relationship_name or hop.name
                assert current is not None
                found = store.lookup(current.get(hop.name))
                if found is None:
                    container.setdefault(rel, None)
                    current = None
                    break
                parent_obj, current = found
                nested = container.get(rel)
                if not isinstance(nested, dict):
                    nested = {"attributes": record_attributes(parent_obj, current["Id"], version)}
                    container[rel] = nested
                container = nested
            if current is not None:
                container[column.path.field.name] = json_value(current.get(column.path.field.name))
        return out

    def csv_header(self) -> list[str]:
        return [c.path.column if c.path else c.key for c in self.compiled.columns]

    def csv_rows(self, store: Store) -> list[list[str]]:
        return [
            [csv_value(value_of(store, c.expr, record)) for c in self.compiled.columns]
            for record in self.records
        ]


def record_attributes(obj: ObjectDef, record_id: str, version: str) -> dict[str, str]:
    return {"type": obj.name, "url": f"/services/data/v{version}/sobjects/{obj.name}/{record_id}"}


# --------------------------------------------------------------------- compiler


class _Compiler:
    def __init__(self, store: Store, query: Query, today: date) -> None:
        self.store = store
        self.query = query
        self.today = today
        obj = store.find_object(query.sobject)
        if obj is None:
            raise SoqlSyntaxError(
                "INVALID_TYPE", _BAD_TYPE.format(name=query.sobject), query.sobject_pos
            )
        self.obj = obj

    def fail(self, code: str, message: str, pos: int) -> SoqlSyntaxError:
        return SoqlSyntaxError(code, message, pos)

    # --------------------------------------------------------------- paths

    def resolve_path(self, fp: FieldPath) -> ResolvedPath:
        parts = list(fp.parts)
        first = parts[0].lower()
        if len(parts) > 1 and (
            (self.query.alias and first == self.query.alias.lower())
            or (first == self.obj.name.lower() and self.obj.relationship(parts[0]) is None)
        ):
            parts = parts[1:]
        hops: list[FieldDef] = []
        names: list[str] = []
        current = [self.obj]
        for part in parts[:-1]:
            ref = next((r for o in current if (r := o.relationship(part)) is not None), None)
            targets = (
                [t for t in (self.store.find_object(n) for n in ref.reference_to)] if ref else []
            )
            current = [t for t in targets if t is not None]
            if ref is None or not current:
                raise self.fail("INVALID_FIELD", _BAD_RELATIONSHIP.format(name=part), fp.pos)
            hops.append(ref)
            names.append(ref.relationship_name or ref.name)
        last = parts[-1]
        found = next((f for o in current if (f := o.field(last)) is not None), None)
        if found is None:
            raise self.fail(
                "INVALID_FIELD", _NO_SUCH_COLUMN.format(name=last, entity=current[0].name), fp.pos
            )
        return ResolvedPath(tuple(hops), found, ".".join([*names, found.name]))

    # --------------------------------------------------------- expressions

    def expr(self, node: Expr, *, allow_aggregate: bool) -> CExpr:
        if isinstance(node, FieldPath):
            return CField(self.resolve_path(node))
        name = node.name
        if name in AGGREGATES:
            if not allow_aggregate:
                raise self.fail(
                    "MALFORMED_QUERY",
                    "Aggregate functions are not supported in this context",
                    node.pos,
                )
            return self.aggregate_func(node)
        if name not in DATE_FUNCTIONS and name not in PASS_THROUGH:
            raise self.fail("MALFORMED_QUERY", f"unknown function: {node.name}", node.pos)
        if len(node.args) != 1:
            raise self.fail("MALFORMED_QUERY", f"{name} takes exactly one argument", node.pos)
        arg = self.expr(node.args[0], allow_aggregate=False)
        if name in PASS_THROUGH:
            return CFunc(name, (arg,), arg.type)
        allowed = ("datetime",) if name in _DATETIME_ONLY else ("date", "datetime")
        if arg.type not in allowed:
            raise self.fail(
                "MALFORMED_QUERY",
                f"{name} function only supports {' and '.join(_TYPE_NAMES[a] for a in allowed)} fields",
                node.pos,
            )
        return CFunc(name, (arg,), "date" if name == "DAY_ONLY" else "int")

    def aggregate_func(self, node: Func) -> CFunc:
        name = node.name
        if not node.args:
            if name != "COUNT":
                raise self.fail("MALFORMED_QUERY", f"{name} needs a field", node.pos)
            return CFunc(name, (), "int")
        if len(node.args) != 1:
            raise self.fail("MALFORMED_QUERY", f"{name} takes exactly one argument", node.pos)
        arg = self.expr(node.args[0], allow_aggregate=False)
        if name in ("SUM", "AVG") and arg.type not in NUMBER_TYPES:
            column = node.args[0].text if isinstance(node.args[0], FieldPath) else arg.key
            raise self.fail(
                "MALFORMED_QUERY",
                f"field {column} does not support aggregate operator {name}",
                node.pos,
            )
        if name in ("COUNT", "COUNT_DISTINCT"):
            kind = "int"
        elif name == "AVG":
            kind = "double"
        else:
            kind = arg.type
        return CFunc(name, (arg,), kind)

    # ------------------------------------------------------------ literals

    def operand(self, value: Value, lhs: CExpr, label: str) -> Any:
        """A filter value as a comparable operand (DateRange for date literals)."""
        kind = lhs.type
        if isinstance(value, DateLit):
            if kind not in ("date", "datetime"):
                raise self.type_error(label, kind, value.pos)
            return DateRange(*date_literal_range(value.name, value.n, self.today))
        if value.kind == "null":
            return None
        expected = self.expected_literal(kind)
        if value.kind != expected:
            raise self.type_error(label, kind, value.pos)
        if kind in ("id", "reference"):
            if value.value == "":
                return None
            normalized = normalize_id(value.value)
            if normalized is None:
                raise self.fail(
                    "INVALID_QUERY_FILTER_OPERATOR", f"invalid ID field: {value.value}", value.pos
                )
            return normalized
        if expected == "string" and value.value == "":
            return None
        if kind == "int" and float(value.value).is_integer():
            return int(value.value)
        return value.value

    @staticmethod
    def expected_literal(kind: str) -> str:
        if kind in TEXT_TYPES:
            return "string"
        if kind in NUMBER_TYPES:
            return "number"
        return kind  # boolean, date, datetime

    def type_error(self, label: str, kind: str, pos: int) -> SoqlSyntaxError:
        quoted = (
            "should be enclosed in quotes"
            if kind in TEXT_TYPES
            else "should not be enclosed in quotes"
        )
        type_name = "string" if kind in TEXT_TYPES else _TYPE_NAMES.get(kind, kind)
        return self.fail(
            "INVALID_QUERY_FILTER_OPERATOR",
            f"value of filter criterion for field '{label}' must be of type {type_name} and {quoted}",
            pos,
        )

    # ---------------------------------------------------------- conditions

    def condition(self, node: Cond, *, having: bool) -> CCond:
        if isinstance(node, BoolOp):
            return CBool(node.op, tuple(self.condition(i, having=having) for i in node.items))
        if isinstance(node, Not):
            return CNot(self.condition(node.item, having=having))
        return self.compare(node, having=having)

    def compare(self, node: Compare, *, having: bool) -> CTest:
        lhs = self.expr(node.lhs, allow_aggregate=having)
        label = node.lhs.text if isinstance(node.lhs, FieldPath) else node.lhs.name
        kind = lhs.type
        if node.op in ("IN", "NOT IN") and isinstance(node.rhs, SubQuery):
            members = self.semi_join(node.rhs, lhs)
            inside = _membership(kind, members, [])
            return CTest(lhs, inside if node.op == "IN" else _negate(inside))
        if node.op in ("IN", "NOT IN", "INCLUDES", "EXCLUDES"):
            assert isinstance(node.rhs, tuple)
            operands = [self.operand(v, lhs, label) for v in node.rhs]
            if node.op in ("INCLUDES", "EXCLUDES"):
                return CTest(lhs, _includes(operands, node.op == "EXCLUDES"))
            plain = [o for o in operands if not isinstance(o, DateRange)]
            ranges = [o for o in operands if isinstance(o, DateRange)]
            inside = _membership(kind, plain, ranges)
            return CTest(lhs, inside if node.op == "IN" else _negate(inside))
        assert isinstance(node.rhs, (Lit, DateLit))
        if node.op == "LIKE":
            if kind not in TEXT_TYPES or kind in ("id", "reference"):
                raise self.fail(
                    "INVALID_QUERY_FILTER_OPERATOR", f"invalid operator on {kind} field", node.pos
                )
            assert isinstance(node.rhs, Lit)
            return CTest(lhs, _like(unescape(node.rhs.raw, keep_wildcards=True)))
        operand = self.operand(node.rhs, lhs, label)
        if isinstance(operand, DateRange):
            return CTest(lhs, _range_test(node.op, operand))
        return CTest(lhs, _scalar_test(node.op, kind, operand))

    def semi_join(self, sub: SubQuery, lhs: CExpr) -> list[Any]:
        if lhs.type not in ("id", "reference"):
            raise self.fail(
                "MALFORMED_QUERY", "semi join sub-selects need an Id or reference field", sub.pos
            )
        inner = _Compiler(self.store, sub.query, self.today).compile()
        if (
            inner.aggregate
            or len(inner.columns) != 1
            or inner.columns[0].expr.type not in ("id", "reference")
        ):
            raise self.fail(
                "MALFORMED_QUERY", "semi join sub-selects must select one Id field", sub.pos
            )
        result = run_compiled(self.store, inner, include_deleted=False)
        return [value_of(self.store, inner.columns[0].expr, r) for r in result.records]

    # ------------------------------------------------------------- clauses

    def compile(self) -> CompiledQuery:
        query = self.query
        compiled = CompiledQuery(self.obj, [], limit=query.limit, offset=query.offset)
        compiled.columns = self.columns(compiled)
        compiled.where = self.condition(query.where, having=False) if query.where else None
        compiled.group_by = [self.expr(e, allow_aggregate=False) for e in query.group_by]
        compiled.having = self.condition(query.having, having=True) if query.having else None
        compiled.order_by = [
            OrderKey(self.expr(o.expr, allow_aggregate=True), o.descending, o.nulls_last)
            for o in query.order_by
        ]
        self.check_grouping(compiled)
        if query.offset is not None and query.offset > MAX_OFFSET:
            raise self.fail(
                "NUMBER_OUTSIDE_VALID_RANGE",
                f"Maximum SOQL offset allowed is {MAX_OFFSET}",
                len(query.text),
            )
        return compiled

    def columns(self, compiled: CompiledQuery) -> list[Column]:
        columns: list[Column] = []
        unnamed = 0
        seen: set[str] = set()
        for item in self.query.select:
            if isinstance(item.expr, SubQuery):
                name = item.expr.query.sobject
                raise self.fail(
                    "INVALID_TYPE",
                    _BAD_CHILD_RELATIONSHIP.format(name=name),
                    item.expr.query.sobject_pos,
                )
            if isinstance(item.expr, Func) and item.expr.name == "FIELDS":
                columns.extend(self.fields_function(item.expr))
                continue
            if isinstance(item.expr, Func) and item.expr.name == "COUNT" and not item.expr.args:
                if len(self.query.select) != 1:
                    raise self.fail(
                        "MALFORMED_QUERY",
                        "COUNT() must be the only element in the SELECT list",
                        item.pos,
                    )
                compiled.count_only = True
                continue
            expr = self.expr(item.expr, allow_aggregate=True)
            if isinstance(expr, CField) and item.alias is None:
                key, path = expr.path.field.name, expr.path
            elif (
                isinstance(expr, CFunc)
                and expr.name in PASS_THROUGH
                and isinstance(expr.args[0], CField)
            ):
                key, path = item.alias or expr.args[0].path.field.name, None
            else:
                key, path = item.alias or f"expr{unnamed}", None
                unnamed += 0 if item.alias else 1
            marker = expr.key if path else key.lower()
            if marker in seen:
                raise self.fail("MALFORMED_QUERY", f"duplicate field selected: {key}", item.pos)
            seen.add(marker)
            columns.append(Column(expr, key, path, item.pos))
        return columns

    def fields_function(self, node: Func) -> list[Column]:
        arg = node.args[0] if len(node.args) == 1 else None
        scope = arg.text.upper() if isinstance(arg, FieldPath) else ""
        if scope not in ("ALL", "STANDARD", "CUSTOM"):
            raise self.fail("MALFORMED_QUERY", "FIELDS() takes ALL, STANDARD or CUSTOM", node.pos)
        if scope != "STANDARD" and (
            self.query.limit is None or self.query.limit > MAX_FIELDS_LIMIT
        ):
            raise self.fail(
                "MALFORMED_QUERY",
                f"The SOQL FIELDS function must have a LIMIT of at most {MAX_FIELDS_LIMIT}",
                node.pos,
            )
        chosen = [
            f
            for f in self.obj.fields.values()
            if scope == "ALL" or (f.custom if scope == "CUSTOM" else not f.custom)
        ]
        paths = [ResolvedPath((), f, f.name) for f in chosen]
        return [Column(CField(p), p.column, p, node.pos) for p in paths]

    def check_grouping(self, compiled: CompiledQuery) -> None:
        if not compiled.aggregate:
            for order in compiled.order_by:
                if order.expr.aggregate:
                    raise self.fail(
                        "MALFORMED_QUERY",
                        "Aggregate functions need GROUP BY or an aggregate SELECT",
                        0,
                    )
            return
        grouped = {g.key for g in compiled.group_by}
        for column in compiled.columns:
            if not column.expr.aggregate and column.expr.key not in grouped:
                raise self.fail(
                    "MALFORMED_QUERY",
                    f"Field must be grouped or aggregated: {column.key}",
                    column.pos,
                )
        for order, node in zip(compiled.order_by, self.query.order_by, strict=True):
            if not order.expr.aggregate and order.expr.key not in grouped:
                label = node.expr.text if isinstance(node.expr, FieldPath) else node.expr.name
                raise self.fail(
                    "MALFORMED_QUERY",
                    f"Ordered field must be grouped or aggregated: {label}",
                    node.expr.pos,
                )


# ------------------------------------------------------------------ predicates


def _scalar_test(op: str, kind: str, operand: Any) -> Callable[[Any], bool]:
    target = norm(kind, operand)
    if op == "=":
        return lambda v: norm(kind, v) == target
    if op == "!=":
        return lambda v: norm(kind, v) != target
    if target is None:
        return lambda v: False
    comparisons: dict[str, Callable[[Any, Any], bool]] = {
        "<": lambda a, b: a < b,
        "<=": lambda a, b: a <= b,
        ">": lambda a, b: a > b,
        ">=": lambda a, b: a >= b,
    }
    check = comparisons[op]

    def test(value: Any) -> bool:
        current = norm(kind, value)
        return current is not None and check(current, target)

    return test


def _range_test(op: str, span: DateRange) -> Callable[[Any], bool]:
    checks: dict[str, Callable[[date], bool]] = {
        "=": lambda d: span.start <= d < span.end,
        "!=": lambda d: not span.start <= d < span.end,
        "<": lambda d: d < span.start,
        "<=": lambda d: d < span.end,
        ">": lambda d: d >= span.end,
        ">=": lambda d: d >= span.start,
    }
    check = checks[op]

    def test(value: Any) -> bool:
        if value is None:
            return op == "!="
        return check(date_of(value))

    return test


def _membership(
    kind: str, values: Sequence[Any], ranges: Sequence[DateRange]
) -> Callable[[Any], bool]:
    members = {norm(kind, v) for v in values}

    def test(value: Any) -> bool:
        if norm(kind, value) in members:
            return True
        return value is not None and any(r.start <= date_of(value) < r.end for r in ranges)

    return test


def _negate(test: Callable[[Any], bool]) -> Callable[[Any], bool]:
    return lambda v: not test(v)


def _includes(operands: Sequence[Any], exclude: bool) -> Callable[[Any], bool]:
    wanted = [{t.strip().casefold() for t in str(o).split(";")} for o in operands if o is not None]

    def test(value: Any) -> bool:
        chosen = {t.strip().casefold() for t in str(value).split(";")} if value else set()
        hit = any(w <= chosen for w in wanted)
        return not hit if exclude else hit

    return test


def _like(pattern: str) -> Callable[[Any], bool]:
    parts: list[str] = []
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\" and index + 1 < len(pattern):
            parts.append(re.escape(pattern[index + 1]))
            index += 2
            continue
        parts.append(".*" if char == "%" else "." if char == "_" else re.escape(char))
        index += 1
    regex = re.compile("".join(parts), re.IGNORECASE | re.DOTALL)
    return lambda v: v is not None and regex.fullmatch(str(v)) is not None


# -------------------------------------------------------------------- execution


def compile_query(store: Store, soql: str, today: date) -> CompiledQuery:
    """Parse and resolve a statement; raise SalesforceApiError(400) as the API would."""
    try:
        return _Compiler(store, parse(soql), today).compile()
    except SoqlSyntaxError as exc:
        raise SalesforceApiError(400, exc.code, format_error(soql, exc.pos, exc.message)) from exc


def run_compiled(store: Store, compiled: CompiledQuery, *, include_deleted: bool) -> QueryResult:
    rows = store.rows(compiled.obj, include_deleted=include_deleted)
    if compiled.where is not None:
        where = compiled.where
        rows = [r for r in rows if eval_cond(where, _record_values(store, r))]
    if compiled.aggregate:
        return _run_aggregate(store, compiled, rows)
    if compiled.count_only:
        return QueryResult(compiled, len(_window(rows, compiled)))
    if compiled.order_by:
        rows = sort_by(
            rows,
            compiled.order_by,
            lambda r: [norm(o.expr.type, value_of(store, o.expr, r)) for o in compiled.order_by],
        )
    window = _window(rows, compiled)
    return QueryResult(compiled, len(window), records=window)


def _record_values(store: Store, record: Record) -> Callable[[CExpr], Any]:
    return lambda expr: value_of(store, expr, record)


def _group_values(store: Store, rows: list[Record]) -> Callable[[CExpr], Any]:
    return lambda expr: aggregate_value(store, expr, rows)


def _window(rows: list[Any], compiled: CompiledQuery) -> list[Any]:
    start = compiled.offset or 0
    end = None if compiled.limit is None else start + compiled.limit
    return rows[start:end]


def _run_aggregate(store: Store, compiled: CompiledQuery, rows: list[Record]) -> QueryResult:
    buckets: dict[tuple[Any, ...], list[Record]] = {}
    if compiled.group_by:
        for record in rows:
            key = tuple(norm(g.type, value_of(store, g, record)) for g in compiled.group_by)
            buckets.setdefault(key, []).append(record)
    else:
        buckets[()] = rows
    groups = list(buckets.values())
    if compiled.having is not None:
        having = compiled.having
        groups = [g for g in groups if eval_cond(having, _group_values(store, g))]
    order = compiled.order_by or [OrderKey(g, False, False) for g in compiled.group_by]
    groups = sort_by(
        groups,
        order,
        lambda g: [norm(o.expr.type, aggregate_value(store, o.expr, g)) for o in order],
    )
    groups = _window(groups, compiled)
    if compiled.count_only:
        return QueryResult(compiled, len(groups))
    shaped = [{c.key: aggregate_value(store, c.expr, g) for c in compiled.columns} for g in groups]
    return QueryResult(compiled, len(shaped), groups=shaped)


def execute(store: Store, soql: str, *, today: date, include_deleted: bool = False) -> QueryResult:
    """Run a SOQL statement as `GET /query` (or `/queryAll`) would."""
    compiled = compile_query(store, soql, today)
    return run_compiled(store, compiled, include_deleted=include_deleted)
