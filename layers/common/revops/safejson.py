"""JSON from outside callers, parsed with bounds: nothing a body holds can crash a handler.

`json.loads` fails in three ways that are not `JSONDecodeError` and so escape
the usual "invalid JSON" handling: a document nested deeper than Python's
recursion limit raises `RecursionError`, an integer longer than
`sys.get_int_max_str_digits()` (4,300 digits) raises a bare `ValueError`, and
`NaN`/`Infinity` (not JSON at all) are accepted. `loads` turns each into a typed
error the edge maps to a 4xx, and limits the nesting depth, so the models behind
it only ever see documents of a sane shape:

* `JsonSyntaxError`: not JSON (including `NaN`, `Infinity`);
* `JsonTooDeepError`: nested deeper than `max_depth` (objects and arrays);
* `JsonNumberTooLongError`: an integer with more digits than Python converts,
  with the path of every such number (`["items", 3, "count"]`).
"""

from __future__ import annotations

import json
import sys
from typing import Any

from revops.errors import InvalidInputError

MAX_DEPTH = 32


def max_int_digits() -> int:
    return sys.get_int_max_str_digits() or 4300


class JsonSyntaxError(InvalidInputError):
    """The text is not JSON."""


class JsonTooDeepError(InvalidInputError):
    """Objects and arrays nested deeper than allowed."""

    def __init__(self, max_depth: int) -> None:
        super().__init__(f"the JSON document is nested deeper than {max_depth} levels")
        self.max_depth = max_depth


class JsonNumberTooLongError(InvalidInputError):
    """One or more integers longer than Python converts (4,300 digits)."""

    def __init__(self, paths: list[list[str | int]]) -> None:
        where = ", ".join(path_text(p) for p in paths[:5])
        super().__init__(f"a number has more than {max_int_digits()} digits ({where})")
        self.paths = paths


class _TooLong(str):
    """Stands in for an integer too long to convert while the document is walked."""


def _parse_int(text: str) -> int | _TooLong:
    if len(text.lstrip("-")) > max_int_digits():
        return _TooLong(text)
    return int(text)


def _reject_constant(name: str) -> Any:
    raise JsonSyntaxError(f"{name} is not a JSON value")


def path_text(path: list[str | int]) -> str:
    return ".".join(str(p) for p in path) or "<body>"


def loads(text: str | bytes, *, max_depth: int = MAX_DEPTH) -> Any:
    """Parse `text`; raise one of this module's errors for anything outside the bounds."""
    try:
        value = json.loads(text, parse_int=_parse_int, parse_constant=_reject_constant)
    except RecursionError as exc:
        raise JsonTooDeepError(max_depth) from exc
    except JsonSyntaxError:
        raise
    except ValueError as exc:  # JSONDecodeError, and bytes that are not UTF-8
        raise JsonSyntaxError(f"not valid JSON: {exc}") from exc
    too_long: list[list[str | int]] = []
    pending: list[tuple[Any, int, list[str | int]]] = [(value, 0, [])]
    while pending:  # iterative: a deep document must not recurse here either
        node, depth, path = pending.pop()
        if isinstance(node, dict | list):
            if depth >= max_depth:
                raise JsonTooDeepError(max_depth)
            items = node.items() if isinstance(node, dict) else enumerate(node)
            pending.extend((child, depth + 1, [*path, key]) for key, child in items)
        elif isinstance(node, _TooLong):
            too_long.append(path)
    if too_long:
        raise JsonNumberTooLongError(sorted(too_long, key=path_text))
    return value
