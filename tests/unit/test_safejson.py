"""Bounded JSON parsing: every document outside the bounds is a typed error, never a crash."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from revops import safejson

DOCUMENTS = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=25,
)


@settings(max_examples=200, derandomize=True, database=None)
@given(document=DOCUMENTS)
def test_ordinary_documents_parse_as_json_parses_them(document: Any) -> None:
    text = json.dumps(document)
    assert safejson.loads(text) == json.loads(text)


@pytest.mark.parametrize("depth", [1_000, 100_000])
def test_nesting_beyond_the_recursion_limit_is_too_deep(depth: int) -> None:
    with pytest.raises(safejson.JsonTooDeepError):
        safejson.loads("[" * depth + "]" * depth)


def test_the_depth_limit_counts_containers() -> None:
    assert safejson.loads("[" * 32 + "]" * 32) is not None
    with pytest.raises(safejson.JsonTooDeepError):
        safejson.loads("[" * 33 + "]" * 33)
    with pytest.raises(safejson.JsonTooDeepError):
        safejson.loads('{"a":' * 33 + "1" + "}" * 33)


def test_integers_too_long_to_convert_are_reported_with_their_paths() -> None:
    limit = safejson.max_int_digits()
    assert safejson.loads("9" * limit) == int("9" * limit)
    text = '{"b":[1,' + "9" * (limit + 1) + '],"a":-' + "1" * 50_000 + "}"
    with pytest.raises(safejson.JsonNumberTooLongError) as caught:
        safejson.loads(text)
    assert caught.value.paths == [["a"], ["b", 1]]


@pytest.mark.parametrize("text", ["NaN", "[Infinity]", '{"x": -Infinity}', "{", "", "\udcff"])
def test_what_is_not_json_is_a_syntax_error(text: str) -> None:
    with pytest.raises(safejson.JsonSyntaxError):
        safejson.loads(text)
