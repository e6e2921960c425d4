"""``value_for_schema``: valid, finite, deterministic values within mockgpt's caps."""

from __future__ import annotations

import json
import math
from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mockgpt.engine import Engine
from mockgpt.errors import RequestRejected
from mockgpt.structured import (
    MAX_NODES,
    MAX_STRING_CHARS,
    MAX_TOTAL_CHARS,
    SchemaError,
    check_schema,
    value_for_schema,
)
from tests.unit.test_engine import engine_with, turn

_FORMATS = ["date-time", "date", "email", "uuid", "uri", "ipv4", "hostname"]
_small = st.integers(-1000, 1000)
_finite = st.floats(-1e300, 1e300, allow_nan=False, allow_infinity=False)


@st.composite
def _integer(draw: st.DrawFn) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "integer"}
    low = draw(st.none() | _small)
    high = draw(st.none() | _small)
    if low is not None:
        schema[draw(st.sampled_from(["minimum", "exclusiveMinimum"]))] = low
    if high is not None:
        bound = high if low is None else low + abs(high) + 2
        schema[draw(st.sampled_from(["maximum", "exclusiveMaximum"]))] = bound
    return schema


@st.composite
def _number(draw: st.DrawFn) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "number"}
    low, high = draw(st.none() | _finite), draw(st.none() | _finite)
    if low is not None and high is not None:
        low, high = min(low, high), max(low, high)
        if low == high:
            high = low + 1 if abs(low) < 1e15 else low * (1.5 if low > 0 else 0.5)
    if low is not None:
        schema[draw(st.sampled_from(["minimum", "exclusiveMinimum"]))] = low
    if high is not None:
        schema[draw(st.sampled_from(["maximum", "exclusiveMaximum"]))] = high
    return schema


@st.composite
def _string(draw: st.DrawFn) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string"}
    low = draw(st.none() | st.integers(0, 300))
    high = draw(st.none() | st.integers(0, 300))
    if low is not None:
        schema["minLength"] = low
    if high is not None:
        schema["maxLength"] = high if low is None else max(low, high)
    if draw(st.booleans()):
        schema["format"] = draw(st.sampled_from(_FORMATS))
    return schema


_scalar = st.none() | st.booleans() | _small | st.text(max_size=8)
_leaves = (
    st.sampled_from([{"type": "null"}, {"type": "boolean"}, {}, {"type": ["string", "null"]}])
    | _integer()
    | _number()
    | _string()
    | st.lists(_scalar, min_size=1, max_size=4).map(lambda values: {"enum": values})
    | st.builds(lambda value: {"const": value}, _scalar)
)


def _extend(children: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    @st.composite
    def array(draw: st.DrawFn) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": "array", "items": draw(children)}
        low = draw(st.none() | st.integers(0, 4))
        if low is not None:
            schema["minItems"] = low
        if draw(st.booleans()):
            schema["maxItems"] = (low or 0) + draw(st.integers(0, 3))
        return schema

    @st.composite
    def obj(draw: st.DrawFn) -> dict[str, Any]:
        names = st.text("abcdefgh", min_size=1, max_size=4)
        properties = draw(st.dictionaries(names, children, max_size=4))
        required = [n for n in properties if draw(st.booleans())]
        schema = {"type": "object", "properties": properties, "required": required}
        if draw(st.booleans()):
            schema["additionalProperties"] = False
        return schema

    any_of = st.lists(children, min_size=1, max_size=3).map(lambda options: {"anyOf": options})
    return array() | obj() | any_of


schemas = st.recursive(_leaves, _extend, max_leaves=12)


@settings(max_examples=300, deadline=None)
@given(schema=schemas, seed=st.integers(0, 2**32))
def test_structured_value_validates_against_its_schema(schema: dict[str, Any], seed: int) -> None:
    value = value_for_schema(schema, seed)

    jsonschema.Draft202012Validator(schema).validate(value)
    assert json.loads(json.dumps(value, allow_nan=False)) == value
    assert value_for_schema(schema, seed) == value


@settings(max_examples=100, deadline=None)
@given(schema=schemas, depth=st.integers(1, 6), seed=st.integers(0, 2**32))
def test_structured_recursive_schema_value_validates(
    schema: dict[str, Any], depth: int, seed: int
) -> None:
    """Optional recursion through ``$ref`` / ``$defs`` ends in a finite value of the schema."""
    node = {
        "type": "object",
        "properties": {"leaf": schema, "next": {"$ref": "#/$defs/node"}},
        "required": ["leaf"],
    }
    root = {"$defs": {"node": node}, "type": "array", "maxItems": depth, "items": node}

    value = value_for_schema(root, seed)

    jsonschema.Draft202012Validator(root).validate(value)


def _nested_arrays(width: int, levels: int) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string"}
    for _ in range(levels):
        schema = {"type": "array", "minItems": width, "maxItems": width, "items": schema}
    return schema


def test_structured_minimal_value_over_the_node_cap_is_rejected() -> None:
    """5**6 required leaves pass ``MAX_NODES``: an error, after bounded work, not a value."""
    assert MAX_NODES < 5**6

    with pytest.raises(SchemaError, match=f"limit of {MAX_NODES} nodes"):
        value_for_schema(_nested_arrays(5, 6))


def test_structured_rich_value_over_a_cap_falls_back_to_the_minimal_value() -> None:
    """Optional items that would pass the cap are left out rather than rejecting the schema."""
    wide = {"type": "array", "maxItems": 50, "items": {"type": "string"}}
    schema = {"type": "object", "properties": {"a": _nested_arrays(3, 8), "b": wide}}
    schema["required"] = ["b"]

    value = value_for_schema(schema)

    assert value == {"b": [value["b"][0]]}  # type: ignore[index]
    jsonschema.Draft202012Validator(schema).validate(value)


def test_structured_total_characters_are_capped() -> None:
    long = {"type": "string", "minLength": MAX_STRING_CHARS}
    count = MAX_TOTAL_CHARS // MAX_STRING_CHARS + 1

    with pytest.raises(SchemaError, match=f"limit of {MAX_TOTAL_CHARS} characters"):
        value_for_schema({"type": "array", "minItems": count, "items": long})


def test_structured_longest_string_is_generated_exactly() -> None:
    value = value_for_schema({"type": "string", "minLength": MAX_STRING_CHARS})

    assert isinstance(value, str)
    assert len(value) == MAX_STRING_CHARS


@pytest.mark.parametrize(
    ("schema", "path"),
    [
        ({"properties": {"a": {"items": {"maxLength": -1}}}}, "/properties/a/items"),
        ({"anyOf": [{"type": "string"}, {"enum": "abc"}]}, "/anyOf/1"),
        ({"$defs": {"x": {"const": math.inf}}}, "/$defs/x"),
        ({"type": "integer", "minimum": 1.5, "maximum": 1.9}, ""),
        ({"type": "number", "exclusiveMinimum": 1, "maximum": 1}, ""),
        ({"properties": {"a": "string"}}, "/properties/a"),
        ({"required": "a"}, ""),
        ({"allOf": []}, ""),
    ],
    ids=[
        "negative-length",
        "enum-not-array",
        "const-infinite",
        "no-integer-in-range",
        "empty-number-range",
        "schema-not-object",
        "required-not-array",
        "empty-allof",
    ],
)
def test_structured_malformed_schema_names_where(schema: dict[str, Any], path: str) -> None:
    with pytest.raises(SchemaError) as caught:
        check_schema(schema)

    assert caught.value.path == path


def test_structured_draft4_exclusive_bounds_are_honoured() -> None:
    schema = {"type": "integer", "minimum": 1, "exclusiveMinimum": True}
    schema |= {"maximum": 3, "exclusiveMaximum": True}

    assert {value_for_schema(schema, seed) for seed in range(20)} == {2}


def test_structured_scripted_from_schema_rejects_a_bad_schema_with_param() -> None:
    engine: Engine = engine_with({"respond": {"json": "from_schema"}})
    schema = {"type": "array", "minItems": 20_000_000}
    fmt = {"type": "json_schema", "json_schema": {"name": "x", "schema": schema}}

    reply = engine.serve(turn(response_format=fmt))

    assert isinstance(reply.error, RequestRejected)
    assert reply.error.status == 400
    assert reply.error.param == "response_format.json_schema.schema"
    assert str(MAX_NODES) in reply.error.message
