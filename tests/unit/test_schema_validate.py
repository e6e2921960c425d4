"""``conforms``: agrees with the reference validator, errs towards "no" where it must, bounded."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mockgpt.schema_check import MAX_DEPTH
from mockgpt.schema_validate import MAX_STEPS, conforms, json_equal
from mockgpt.structured import value_for_schema
from tests.support import examples
from tests.unit.test_structured import schemas

_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**6), 10**6)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=6),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text("abcdefgh", min_size=1, max_size=3), inner, max_size=4)
    ),
    max_leaves=10,
)


def _reference(value: object, schema: dict[str, Any]) -> bool:
    return bool(jsonschema.Draft202012Validator(schema).is_valid(value))


_DRAFT4 = ("exclusiveMinimum", "exclusiveMaximum", "additionalItems", "dependencies")


@settings(max_examples=examples(200), deadline=None)
@given(schema=schemas, value=_json, seed=st.integers(0, 2**32))
def test_conforms_agrees_with_jsonschema(schema: dict[str, Any], value: Any, seed: int) -> None:
    """On the generator's schemas, for its own values and for any JSON value."""
    generated = value_for_schema(schema, seed)

    assert conforms(generated, schema)
    assert conforms(value, schema) == _reference(value, schema)


@pytest.mark.parametrize(
    ("schema", "value", "expected"),
    [
        ({"type": "integer"}, 2.0, True),
        ({"type": "integer"}, True, False),
        ({"enum": [1]}, 1.0, True),
        ({"enum": [1]}, True, False),
        ({"const": {"a": [False]}}, {"a": [0]}, False),
        ({"multipleOf": 0.1}, 0.35, False),
        ({"multipleOf": 2}, 4.0, True),
        ({"minimum": 1, "exclusiveMinimum": True}, 1, False),
        ({"maximum": 1, "exclusiveMaximum": True}, 0.5, True),
        ({"exclusiveMaximum": 1}, 1, False),
        ({"items": [{"type": "string"}], "additionalItems": False}, ["a", "b"], False),
        ({"prefixItems": [{"type": "string"}], "items": {"type": "integer"}}, ["a", 1], True),
        ({"uniqueItems": True}, [1, 1.0], False),
        ({"uniqueItems": True}, [1, True], True),
        ({"contains": {"type": "string"}, "minContains": 2}, ["a", 1, "b"], True),
        ({"contains": {"type": "string"}, "maxContains": 1}, ["a", 1, "b"], False),
        ({"patternProperties": {"^x": {"type": "integer"}}}, {"xa": "s"}, False),
        ({"properties": {"a": {}}, "additionalProperties": False}, {"a": 1, "b": 2}, False),
        ({"propertyNames": {"maxLength": 2}}, {"abc": 1}, False),
        ({"dependentRequired": {"a": ["b"]}}, {"a": 1}, False),
        ({"dependencies": {"a": {"required": ["b"]}}}, {"a": 1, "b": 2}, True),
        ({"oneOf": [{"type": "integer"}, {"type": "number"}]}, 1, False),
        ({"not": {"type": "string"}}, "a", False),
        ({"if": {"type": "string"}, "then": {"minLength": 2}, "else": False}, "ab", True),
        ({"if": {"type": "string"}, "then": {"minLength": 2}, "else": False}, 1, False),
        ({"$defs": {"a": {"type": "string"}}, "$ref": "#/$defs/a"}, "s", True),
        ({"definitions": {"a": {"type": "string"}}, "$ref": "#/definitions/a"}, 1, False),
        ({"type": "string", "pattern": "^[a-c]+$"}, "abd", False),
        ({"type": "string", "format": "email"}, "not an address", True),
    ],
)
def test_conforms_keywords(schema: dict[str, Any], value: Any, expected: bool) -> None:
    """Each case as the reference validator of its draft decides it."""
    draft4 = any(isinstance(schema.get(k), (bool, dict)) for k in _DRAFT4)
    reference = jsonschema.Draft4Validator if draft4 else jsonschema.Draft202012Validator

    assert conforms(value, schema) is expected
    assert reference(schema).is_valid(value) is expected


def test_conforms_multiple_of_is_decimal() -> None:
    """JSON numbers are decimal: 0.3 is a multiple of 0.1 (binary floats say it is not)."""
    assert conforms(0.3, {"multipleOf": 0.1}) is True
    assert conforms(1e308, {"multipleOf": 1e-308}) is False  # past Decimal's precision


@pytest.mark.parametrize(
    ("schema", "value"),
    [
        ({"$ref": "https://example.com/schema.json"}, {}),
        ({"$ref": "#anchor"}, {}),
        ({"$ref": "#/$defs/missing"}, {}),
        ({"type": "string", "pattern": "(unclosed"}, "x"),
        ({"type": "string", "pattern": "^(a+)+$"}, "a" * 40 + "b"),
        ({"allOf": [{"properties": {"a": {}}}], "unevaluatedProperties": False}, {"a": 1}),
        ({"type": "number"}, float("inf")),
    ],
    ids=[
        "ref-outside",
        "ref-anchor",
        "ref-missing",
        "pattern-invalid",
        "pattern-slow",
        "unevaluated-elsewhere",
        "infinity",
    ],
)
def test_conforms_errs_towards_no(schema: dict[str, Any], value: Any) -> None:
    """What cannot be checked exactly, or cheaply, does not conform."""
    assert conforms(value, schema) is False


def test_conforms_value_deeper_than_the_cap_does_not_conform() -> None:
    value: Any = "leaf"
    for _ in range(MAX_DEPTH + 1):
        value = [value]

    assert (
        conforms(value, {"$defs": {"a": {"items": {"$ref": "#/$defs/a"}}}, "$ref": "#/$defs/a"})
        is False
    )
    assert conforms(value, {}) is True  # no subschema to descend into


def test_conforms_work_is_bounded_by_steps() -> None:
    """Nested ``anyOf`` of failing branches would take 2**depth steps; the budget stops it."""
    schema: dict[str, Any] = {"type": "string"}
    for _ in range(30):
        schema = {"anyOf": [{"items": schema}, {"items": schema, "minItems": 0}]}
    value: Any = 1
    for _ in range(30):
        value = [value]

    assert MAX_STEPS < 2**30
    assert conforms(value, schema) is False


def test_json_equal_is_json_equality() -> None:
    assert json_equal({"a": [1, None]}, {"a": [1.0, None]})
    assert not json_equal([True], [1])
    assert not json_equal("1", 1)
