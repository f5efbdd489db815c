"""Compiling SOQL: resolve a parsed statement against the schema, or fail as Salesforce does.

Names resolve case-insensitively. Unknown objects fail with INVALID_TYPE,
unknown fields or relationships with INVALID_FIELD, and a filter value of the
wrong kind (a quoted date, a date on a dateTime field, a string on a number...)
with INVALID_QUERY_FILTER_OPERATOR, with the same messages and `ERROR at
Row:Column` pointers Salesforce gives.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from local.salesforce.dates import UserClock, date_literal_range, to_utc
from local.salesforce.errors import SalesforceApiError
from local.salesforce.schema import NUMBER_TYPES, TEXT_TYPES, FieldDef, normalize_id
from local.salesforce.soql_eval import norm, run_compiled, value_of
from local.salesforce.soql_model import (
    AGGREGATES,
    DATE_FUNCTIONS,
    DATETIME_ONLY,
    PASS_THROUGH,
    CBool,
    CCond,
    CExpr,
    CField,
    CFunc,
    CNot,
    Column,
    CompiledQuery,
    CTest,
    DateRange,
    OrderKey,
    ResolvedPath,
)
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
from local.salesforce.store import Store

MAX_OFFSET = 2000
MAX_FIELDS_LIMIT = 200
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


# --------------------------------------------------------------------- compiler


class _Compiler:
    def __init__(self, store: Store, query: Query, clock: UserClock) -> None:
        self.store = store
        self.query = query
        self.clock = clock
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

    def expr(self, node: Expr, *, allow_aggregate: bool, in_date_function: bool = False) -> CExpr:
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
        arg = self.expr(
            node.args[0], allow_aggregate=False, in_date_function=name in DATE_FUNCTIONS
        )
        if name == "CONVERTTIMEZONE":
            # "you can only use convertTimezone() in a date function" (SOQL reference)
            if not in_date_function or arg.type != "datetime":
                raise self.fail(
                    "MALFORMED_QUERY",
                    "convertTimezone() can only be used on a dateTime field in a date function",
                    node.pos,
                )
            return CFunc(name, (arg,), "datetime", zone=self.clock.zone)
        if name in PASS_THROUGH:
            return CFunc(name, (arg,), arg.type)
        allowed = ("datetime",) if name in DATETIME_ONLY else ("date", "datetime")
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
            clock = self.clock
            start, end = date_literal_range(value.name, value.n, clock.today, clock.first_weekday)
            return DateRange(start, end, clock.midnight(start), clock.midnight(end))
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
        inner = _Compiler(self.store, sub.query, self.clock).compile()
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


def _bounds(span: DateRange, value: Any) -> tuple[Any, Any, Any]:
    """`value` and the range's ends in comparable form: instants for a dateTime
    (the user's local midnights), days for a date."""
    if isinstance(value, datetime):
        return to_utc(value), span.first, span.after
    return value, span.start, span.end


def _range_test(op: str, span: DateRange) -> Callable[[Any], bool]:
    checks: dict[str, Callable[[Any, Any, Any], bool]] = {
        "=": lambda x, lo, hi: lo <= x < hi,
        "!=": lambda x, lo, hi: not lo <= x < hi,
        "<": lambda x, lo, hi: x < lo,
        "<=": lambda x, lo, hi: x < hi,
        ">": lambda x, lo, hi: x >= hi,
        ">=": lambda x, lo, hi: x >= lo,
    }
    check = checks[op]

    def test(value: Any) -> bool:
        if value is None:
            return op == "!="
        return check(*_bounds(span, value))

    return test


def _membership(
    kind: str, values: Sequence[Any], ranges: Sequence[DateRange]
) -> Callable[[Any], bool]:
    members = {norm(kind, v) for v in values}

    def test(value: Any) -> bool:
        if norm(kind, value) in members:
            return True
        if value is None:
            return False
        return any(lo <= x < hi for x, lo, hi in (_bounds(r, value) for r in ranges))

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


def compile_query(store: Store, soql: str, clock: UserClock) -> CompiledQuery:
    """Parse and resolve a statement for the user whose clock is `clock`; raise
    SalesforceApiError(400) as the API would."""
    try:
        return _Compiler(store, parse(soql), clock).compile()
    except SoqlSyntaxError as exc:
        raise SalesforceApiError(400, exc.code, format_error(soql, exc.pos, exc.message)) from exc
