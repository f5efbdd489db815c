"""IAM policy evaluation for identity-based policies, as AWS documents it.

An explicit Deny wins; otherwise a request is allowed when some Allow statement
matches its action, its resource and all of its conditions. Actions match
case-insensitively with `*` and `?`; resource ARNs match case-sensitively, each
of the six ARN parts on its own, with `*` and `?` spanning any characters
(including `/` and `:`) inside the resource part.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Statement:
    """One statement of one policy, normalised; `sid` names it in reports."""

    sid: str
    effect: str
    actions: tuple[str, ...] = ()
    not_actions: tuple[str, ...] = ()
    resources: tuple[str, ...] = ()
    not_resources: tuple[str, ...] = ()
    conditions: tuple[tuple[str, str, tuple[str, ...]], ...] = ()


@dataclass(frozen=True)
class Decision:
    allowed: bool
    allowed_by: tuple[str, ...] = ()
    denied_by: tuple[str, ...] = ()


@dataclass(frozen=True)
class Request:
    action: str
    resource: str
    context: Mapping[str, Sequence[str]] = field(default_factory=dict, hash=False, compare=False)


def _as_tuple(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, list | tuple):
        return tuple(str(v) for v in value)
    return (str(value),)


def statements_of(document: Mapping[str, Any], name: str) -> list[Statement]:
    """The statements of a policy document; sids are `<name>[<index>]`."""
    raw = document.get("Statement", [])
    if isinstance(raw, dict):
        raw = [raw]
    found = []
    for index, statement in enumerate(raw):
        conditions = []
        for operator, keys in (statement.get("Condition") or {}).items():
            for key, values in keys.items():
                conditions.append((operator, key, _as_tuple(values)))
        found.append(
            Statement(
                sid=f"{name}[{index}]",
                effect=statement["Effect"],
                actions=_as_tuple(statement.get("Action")),
                not_actions=_as_tuple(statement.get("NotAction")),
                resources=_as_tuple(statement.get("Resource")),
                not_resources=_as_tuple(statement.get("NotResource")),
                conditions=tuple(conditions),
            )
        )
    return found


@functools.cache
def _glob(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    """IAM's wildcards: `*` any run of characters, `?` any one; nothing else is special."""
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(f"(?s:{body})\\Z", re.IGNORECASE if ignore_case else 0)


def action_matches(pattern: str, action: str) -> bool:
    return bool(_glob(pattern, True).match(action))


def resource_matches(pattern: str, arn: str) -> bool:
    if pattern == "*":
        return True
    wanted = pattern.split(":", 5)
    actual = arn.split(":", 5)
    if len(wanted) != len(actual):
        return bool(_glob(pattern, False).match(arn))
    return all(_glob(w, False).match(a) for w, a in zip(wanted, actual, strict=True))


def _string_like(pattern: str, value: str) -> bool:
    return bool(_glob(pattern, False).match(value))


_OPERATORS: dict[str, Any] = {
    "StringEquals": lambda want, have: want == have,
    "StringNotEquals": lambda want, have: want != have,
    "StringEqualsIgnoreCase": lambda want, have: want.lower() == have.lower(),
    "StringNotEqualsIgnoreCase": lambda want, have: want.lower() != have.lower(),
    "StringLike": lambda want, have: _string_like(want, have),
    "StringNotLike": lambda want, have: not _string_like(want, have),
    "ArnEquals": lambda want, have: want == have,
    "ArnNotEquals": lambda want, have: want != have,
    "ArnLike": lambda want, have: resource_matches(want, have),
    "ArnNotLike": lambda want, have: not resource_matches(want, have),
    "Bool": lambda want, have: want.lower() == have.lower(),
}
_NEGATED = {
    "StringNotEquals",
    "StringNotEqualsIgnoreCase",
    "StringNotLike",
    "ArnNotEquals",
    "ArnNotLike",
}


class UnsupportedCondition(ValueError):
    """A condition operator this evaluator does not know: teach it rather than guess."""


def _condition_holds(
    operator: str, key: str, wanted: tuple[str, ...], context: Mapping[str, Sequence[str]]
) -> bool:
    qualifier, _, op = operator.rpartition(":")
    if_exists = op.endswith("IfExists")
    op = op.removesuffix("IfExists")
    present = {k.lower(): v for k, v in context.items()}.get(key.lower())
    if op == "Null":
        return (present is None) == (wanted[0].lower() == "true")
    test = _OPERATORS.get(op)
    if test is None:
        raise UnsupportedCondition(f"condition operator {operator} is not supported")
    if present is None:
        return if_exists
    values = list(present)
    if qualifier == "ForAllValues":
        return all(any(test(w, v) for w in wanted) for v in values)
    if op in _NEGATED:  # negated operators: no wanted value may match
        return all(all(test(w, v) for w in wanted) for v in values)
    return any(test(w, v) for w in wanted for v in values)


def statement_applies(statement: Statement, request: Request) -> bool:
    if statement.actions:
        if not any(action_matches(a, request.action) for a in statement.actions):
            return False
    elif any(action_matches(a, request.action) for a in statement.not_actions):
        return False
    if statement.resources:
        if not any(resource_matches(r, request.resource) for r in statement.resources):
            return False
    elif any(resource_matches(r, request.resource) for r in statement.not_resources):
        return False
    return all(
        _condition_holds(op, key, wanted, request.context)
        for op, key, wanted in statement.conditions
    )


def decide(statements: Iterable[Statement], request: Request) -> Decision:
    allowed: list[str] = []
    denied: list[str] = []
    for statement in statements:
        if statement_applies(statement, request):
            (denied if statement.effect == "Deny" else allowed).append(statement.sid)
    return Decision(
        allowed=bool(allowed) and not denied, allowed_by=tuple(allowed), denied_by=tuple(denied)
    )
