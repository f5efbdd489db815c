"""SOQL text -> syntax tree, with Salesforce's syntax rules and error messages.

A hand-written tokenizer and recursive-descent parser: SOQL's grammar is small
but differs from SQL where it matters here. Dates are bare literals
(`CloseDate > 2024-01-01`, `CreatedDate < 2024-01-01T00:00:00Z`), relative
date literals take an argument after a colon (`LAST_N_WEEKS:6`), `COUNT()` has
no argument, and mixing AND and OR at one level without parentheses
(`a AND b OR c`) is a syntax error rather than a precedence question.

Errors carry the 0-based offset of the offending token; `format_error` renders
them the way the API does:

    \\nSELECT Id FROM Account WHERE a = 1 AND b = 2 OR c = 3
                                                  ^
    ERROR at Row:1:Column:45
    unexpected token: 'OR'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from local.salesforce.dates import is_date_literal, parse_datetime

KEYWORDS = frozenset(
    {
        "SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "IN", "LIKE", "NULL", "TRUE", "FALSE",
        "GROUP", "BY", "HAVING", "ORDER", "ASC", "DESC", "NULLS", "FIRST", "LAST", "LIMIT",
        "OFFSET", "INCLUDES", "EXCLUDES", "WITH", "FOR", "USING", "ROLLUP", "CUBE", "TYPEOF",
    }
)  # fmt: skip

_TOKEN_RE = re.compile(
    r"""
    (?P<ws>\s+)
   |(?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:?\d{2}))
   |(?P<date>\d{4}-\d{2}-\d{2})(?![\w:])
   |(?P<number>\d+(?:\.\d+)?|\.\d+)
   |(?P<string>'(?:[^'\\]|\\.)*')
   |(?P<ident>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
   |(?P<op><=|>=|!=|<>|=|<|>)
   |(?P<punct>[(),:\-])
    """,
    re.VERBOSE,
)

_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f", '"': '"', "'": "'", "\\": "\\"}


class SoqlSyntaxError(Exception):
    """A query Salesforce would reject; `pos` is the 0-based offset in the query."""

    def __init__(self, code: str, message: str, pos: int) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.pos = pos


def format_error(query: str, pos: int, message: str) -> str:
    """Salesforce's error text: the query line, a caret, Row:Column, the message."""
    before = query[:pos]
    row = before.count("\n") + 1
    line_start = before.rfind("\n") + 1
    line_end = query.find("\n", pos)
    line = query[line_start : line_end if line_end >= 0 else len(query)]
    column = pos - line_start + 1
    caret = " " * (column - 1) + "^"
    return f"\n{line}\n{caret}\nERROR at Row:{row}:Column:{column}\n{message}"


# ------------------------------------------------------------------------- tokens


@dataclass(frozen=True)
class Token:
    kind: str  # ident, string, number, date, datetime, op, punct, eof
    text: str
    pos: int

    def is_kw(self, *words: str) -> bool:
        return self.kind == "ident" and self.text.upper() in words

    def is_punct(self, char: str) -> bool:
        return self.kind == "punct" and self.text == char


def tokenize(query: str) -> list[Token]:
    tokens: list[Token] = []
    pos = 0
    while pos < len(query):
        match = _TOKEN_RE.match(query, pos)
        if match is None:
            char = query[pos]
            if char == "'":
                raise SoqlSyntaxError("MALFORMED_QUERY", "unexpected token: '<EOF>'", len(query))
            raise SoqlSyntaxError(
                "MALFORMED_QUERY", f"line 1:{pos} no viable alternative at character '{char}'", pos
            )
        kind = match.lastgroup or ""
        if kind != "ws":
            tokens.append(Token(kind, match.group(), pos))
        pos = match.end()
    tokens.append(Token("eof", "<EOF>", len(query)))
    return tokens


def unescape(raw: str, *, keep_wildcards: bool = False) -> str:
    """A quoted SOQL string's value; `\\%` and `\\_` stay escaped for LIKE."""
    body = raw[1:-1]
    out: list[str] = []
    index = 0
    while index < len(body):
        char = body[index]
        if char != "\\" or index + 1 >= len(body):
            out.append(char)
            index += 1
            continue
        nxt = body[index + 1]
        if nxt in "%_":
            out.append("\\" + nxt if keep_wildcards else nxt)
        elif nxt == "u" and index + 5 < len(body):
            out.append(chr(int(body[index + 2 : index + 6], 16)))
            index += 4
        else:
            out.append(_ESCAPES.get(nxt, nxt))
        index += 2
    return "".join(out)


# --------------------------------------------------------------------------- tree


@dataclass(frozen=True)
class FieldPath:
    parts: tuple[str, ...]
    pos: int

    @property
    def text(self) -> str:
        return ".".join(self.parts)


@dataclass(frozen=True)
class Func:
    name: str  # upper case
    args: tuple[Expr, ...]
    pos: int


@dataclass(frozen=True)
class SubQuery:
    query: Query
    pos: int


Expr = FieldPath | Func


@dataclass(frozen=True)
class Lit:
    kind: str  # string, number, boolean, null, date, datetime
    value: Any
    raw: str
    pos: int


@dataclass(frozen=True)
class DateLit:
    name: str  # upper case
    n: int | None
    pos: int


Value = Lit | DateLit


@dataclass(frozen=True)
class Compare:
    lhs: Expr
    op: str  # = != < <= > >= LIKE IN NOT IN INCLUDES EXCLUDES
    rhs: Value | tuple[Value, ...] | SubQuery
    pos: int


@dataclass(frozen=True)
class BoolOp:
    op: str  # AND / OR
    items: tuple[Cond, ...]


@dataclass(frozen=True)
class Not:
    item: Cond


Cond = Compare | BoolOp | Not


@dataclass(frozen=True)
class SelectItem:
    expr: Expr | SubQuery
    alias: str | None
    pos: int


@dataclass(frozen=True)
class OrderItem:
    expr: Expr
    descending: bool
    nulls_last: bool


@dataclass(frozen=True)
class Query:
    text: str
    select: tuple[SelectItem, ...]
    sobject: str
    sobject_pos: int
    alias: str | None
    where: Cond | None
    group_by: tuple[Expr, ...]
    having: Cond | None
    order_by: tuple[OrderItem, ...]
    limit: int | None
    offset: int | None


# ------------------------------------------------------------------------- parser


def parse(query: str) -> Query:
    """Parse one SOQL statement (raises SoqlSyntaxError)."""
    return _Parser(query, tokenize(query)).parse_query(top_level=True)


class _Parser:
    def __init__(self, text: str, tokens: list[Token]) -> None:
        self.text = text
        self.tokens = tokens
        self.index = 0

    # ------------------------------------------------------------ helpers

    @property
    def tok(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        if token.kind != "eof":
            self.index += 1
        return token

    def unexpected(self, token: Token | None = None) -> SoqlSyntaxError:
        bad = token or self.tok
        return SoqlSyntaxError("MALFORMED_QUERY", f"unexpected token: '{bad.text}'", bad.pos)

    def expect_kw(self, *words: str) -> Token:
        if not self.tok.is_kw(*words):
            raise self.unexpected()
        return self.advance()

    def expect_punct(self, char: str) -> Token:
        if not self.tok.is_punct(char):
            raise self.unexpected()
        return self.advance()

    def integer(self) -> int:
        token = self.tok
        if token.kind != "number" or not token.text.isdigit():
            raise self.unexpected()
        self.advance()
        return int(token.text)

    def name_token(self) -> Token:
        token = self.tok
        if token.kind != "ident" or token.text.upper() in KEYWORDS:
            raise self.unexpected()
        return self.advance()

    def optional_alias(self) -> str | None:
        token = self.tok
        if token.kind == "ident" and token.text.upper() not in KEYWORDS and "." not in token.text:
            self.advance()
            return token.text
        return None

    # ------------------------------------------------------------- clauses

    def parse_query(self, *, top_level: bool) -> Query:
        self.expect_kw("SELECT")
        select = self.select_list()
        self.expect_kw("FROM")
        sobject = self.name_token()
        alias = self.optional_alias()
        if self._take_kw("USING"):
            self.expect_kw("SCOPE")
            self.name_token()
        where = self.condition() if self._take_kw("WHERE") else None
        if self._take_kw("WITH"):
            self.name_token()
        group_by: tuple[Expr, ...] = ()
        having = None
        if self.tok.is_kw("GROUP"):
            self.advance()
            self.expect_kw("BY")
            if self.tok.is_kw("ROLLUP", "CUBE"):
                raise SoqlSyntaxError(
                    "MALFORMED_QUERY", "GROUP BY ROLLUP and CUBE are not supported", self.tok.pos
                )
            group_by = self.expr_list()
            if self._take_kw("HAVING"):
                having = self.condition()
        order_by = self.order_list() if self._take_order_by() else ()
        limit = self.integer() if self._take_kw("LIMIT") else None
        offset = self.integer() if self._take_kw("OFFSET") else None
        if self._take_kw("FOR"):
            self.expect_kw("VIEW", "REFERENCE", "UPDATE")
        if top_level and self.tok.kind != "eof":
            raise self.unexpected()
        return Query(
            text=self.text,
            select=select,
            sobject=sobject.text,
            sobject_pos=sobject.pos,
            alias=alias,
            where=where,
            group_by=group_by,
            having=having,
            order_by=order_by,
            limit=limit,
            offset=offset,
        )

    def _take_kw(self, word: str) -> bool:
        if self.tok.is_kw(word):
            self.advance()
            return True
        return False

    def _take_order_by(self) -> bool:
        if not self.tok.is_kw("ORDER"):
            return False
        self.advance()
        self.expect_kw("BY")
        return True

    def select_list(self) -> tuple[SelectItem, ...]:
        items = [self.select_item()]
        while self.tok.is_punct(","):
            self.advance()
            items.append(self.select_item())
        return tuple(items)

    def select_item(self) -> SelectItem:
        token = self.tok
        if token.is_kw("TYPEOF"):
            raise SoqlSyntaxError("MALFORMED_QUERY", "TYPEOF is not supported", token.pos)
        if token.is_punct("("):
            self.advance()
            inner = self.parse_query(top_level=False)
            self.expect_punct(")")
            return SelectItem(SubQuery(inner, token.pos), None, token.pos)
        expr = self.expr()
        return SelectItem(expr, self.optional_alias(), token.pos)

    def expr_list(self) -> tuple[Expr, ...]:
        items = [self.expr()]
        while self.tok.is_punct(","):
            self.advance()
            items.append(self.expr())
        return tuple(items)

    def expr(self) -> Expr:
        token = self.tok
        if token.kind != "ident" or token.text.upper() in KEYWORDS:
            raise self.unexpected()
        self.advance()
        if not self.tok.is_punct("("):
            return FieldPath(tuple(token.text.split(".")), token.pos)
        self.advance()
        args: tuple[Expr, ...] = ()
        if not self.tok.is_punct(")"):
            args = self.expr_list()
        self.expect_punct(")")
        return Func(token.text.upper(), args, token.pos)

    def order_list(self) -> tuple[OrderItem, ...]:
        items = [self.order_item()]
        while self.tok.is_punct(","):
            self.advance()
            items.append(self.order_item())
        return tuple(items)

    def order_item(self) -> OrderItem:
        expr = self.expr()
        descending = False
        if self.tok.is_kw("ASC", "DESC"):
            descending = self.advance().text.upper() == "DESC"
        nulls_last = descending
        if self._take_kw("NULLS"):
            nulls_last = self.expect_kw("FIRST", "LAST").text.upper() == "LAST"
        return OrderItem(expr, descending, nulls_last)

    # ---------------------------------------------------------- conditions

    def condition(self) -> Cond:
        items = [self.unary()]
        joiner: str | None = None
        while self.tok.is_kw("AND", "OR"):
            word = self.tok.text.upper()
            if joiner is not None and word != joiner:
                raise self.unexpected()
            joiner = word
            self.advance()
            items.append(self.unary())
        if joiner is None:
            return items[0]
        return BoolOp(joiner, tuple(items))

    def unary(self) -> Cond:
        if self._take_kw("NOT"):
            return Not(self.unary())
        if self.tok.is_punct("("):
            self.advance()
            inner = self.condition()
            self.expect_punct(")")
            return inner
        return self.comparison()

    def comparison(self) -> Compare:
        lhs = self.expr()
        token = self.tok
        if token.kind == "op":
            self.advance()
            op = "!=" if token.text == "<>" else token.text
            return Compare(lhs, op, self.value(), token.pos)
        if token.is_kw("LIKE"):
            self.advance()
            value = self.value()
            if not isinstance(value, Lit) or value.kind != "string":
                raise SoqlSyntaxError("MALFORMED_QUERY", "LIKE needs a string value", token.pos)
            return Compare(lhs, "LIKE", value, token.pos)
        if token.is_kw("NOT"):
            self.advance()
            self.expect_kw("IN")
            return Compare(lhs, "NOT IN", self.in_values(), token.pos)
        if token.is_kw("IN", "INCLUDES", "EXCLUDES"):
            self.advance()
            return Compare(lhs, token.text.upper(), self.in_values(), token.pos)
        raise self.unexpected()

    def in_values(self) -> tuple[Value, ...] | SubQuery:
        opening = self.expect_punct("(")
        if self.tok.is_kw("SELECT"):
            inner = self.parse_query(top_level=False)
            self.expect_punct(")")
            return SubQuery(inner, opening.pos)
        values = [self.value()]
        while self.tok.is_punct(","):
            self.advance()
            values.append(self.value())
        self.expect_punct(")")
        return tuple(values)

    def value(self) -> Value:
        token = self.tok
        if token.is_punct("-"):
            self.advance()
            number = self.tok
            if number.kind != "number":
                raise self.unexpected()
            self.advance()
            return Lit("number", -float(number.text), "-" + number.text, token.pos)
        self.advance()
        if token.kind == "string":
            return Lit("string", unescape(token.text), token.text, token.pos)
        if token.kind == "number":
            return Lit("number", float(token.text), token.text, token.pos)
        if token.kind == "date":
            return Lit("date", _parse_date_token(token), token.text, token.pos)
        if token.kind == "datetime":
            return Lit("datetime", _parse_datetime_token(token), token.text, token.pos)
        if token.kind == "ident":
            return self.word_value(token)
        raise self.unexpected(token)

    def word_value(self, token: Token) -> Value:
        word = token.text.upper()
        if word in ("TRUE", "FALSE"):
            return Lit("boolean", word == "TRUE", token.text, token.pos)
        if word == "NULL":
            return Lit("null", None, token.text, token.pos)
        if self.tok.is_punct(":"):
            self.advance()
            if not is_date_literal(word, with_argument=True):
                raise self.unexpected(token)
            return DateLit(word, self.integer(), token.pos)
        if is_date_literal(word, with_argument=False):
            return DateLit(word, None, token.pos)
        raise self.unexpected(token)


def _parse_date_token(token: Token) -> date:
    try:
        return date.fromisoformat(token.text)
    except ValueError as exc:
        raise SoqlSyntaxError("MALFORMED_QUERY", f"invalid date: {token.text}", token.pos) from exc


def _parse_datetime_token(token: Token) -> datetime:
    try:
        return parse_datetime(token.text)
    except ValueError as exc:
        raise SoqlSyntaxError(
            "MALFORMED_QUERY", f"invalid dateTime: {token.text}", token.pos
        ) from exc
