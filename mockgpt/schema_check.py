"""Checking a JSON Schema before a value is generated from it, and the caps on that work.

``check_schema`` walks a schema from a request once and raises ``SchemaError`` (with the JSON
pointer of the keyword) for what no value can satisfy or what would make the work unbounded:
a keyword of the wrong type, a non-finite bound or ``const``, an empty range, an unknown
``type``, an empty ``enum`` / ``anyOf`` / ``allOf``, a ``minItems`` or ``minLength`` over a cap.
The caps (``MAX_NODES``, ``MAX_DEPTH``, ``MAX_STRING_CHARS``, ``MAX_TOTAL_CHARS``) bound what
``mockgpt.structured`` generates.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

MAX_NODES = 5_000
"""Schema nodes visited (values, ``$ref`` and ``anyOf`` steps) for one value, in total."""
MAX_DEPTH = 64
"""Schema steps nested on one path of the value (``$ref``, ``items``, ``properties``...)."""
MAX_STRING_CHARS = 65_536
"""Characters in one generated string; a larger ``minLength`` is rejected."""
MAX_TOTAL_CHARS = 1_048_576
"""Characters in all the generated strings of one value together."""

TYPES = ("null", "boolean", "integer", "number", "string", "array", "object")
_COUNTS = ("minItems", "maxItems", "minLength", "maxLength", "minProperties", "maxProperties")
_BOUNDS = ("minimum", "maximum", "multipleOf")
_SCHEMA_MAPS = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")
_SCHEMA_LISTS = ("anyOf", "oneOf", "allOf", "prefixItems")
_SCHEMAS = (
    "additionalProperties",
    "additionalItems",
    "items",
    "contains",
    "not",
    "if",
    "then",
    "else",
    "propertyNames",
)


class SchemaError(ValueError):
    """A schema no value can be generated from: a malformed keyword, or demands over a cap.

    Attributes:
        message: what is wrong, e.g. ``minItems must be a non-negative integer, got 'z'``.
        path: where in the schema, a JSON pointer (``/properties/tags/minItems``); "" for the
            root or for a cap the whole value passes.
    """

    def __init__(self, message: str, path: str = "") -> None:
        super().__init__(f"{message} (at {path})" if path else message)
        self.message = message
        self.path = path


class OverCap(SchemaError):
    """The value being generated passed a cap (or needs a ``false`` schema's value)."""


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _finite_values(value: object) -> bool:
    """Whether a ``const`` / ``enum`` value holds no NaN or Infinity (checked without recursion)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, float) and not math.isfinite(item):
            return False
        if isinstance(item, Mapping):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return True


def int_range(schema: Mapping[str, Any]) -> tuple[int, int]:
    """The integers a well-formed schema allows, [low, high]; low > high when none."""
    low: int | None = None
    high: int | None = None
    minimum: Any = schema.get("minimum")
    maximum: Any = schema.get("maximum")
    exclusive_min: Any = schema.get("exclusiveMinimum")
    exclusive_max: Any = schema.get("exclusiveMaximum")
    if minimum is not None:
        low = math.floor(minimum) + 1 if exclusive_min is True else math.ceil(minimum)
    if maximum is not None:
        high = math.ceil(maximum) - 1 if exclusive_max is True else math.floor(maximum)
    if _is_number(exclusive_min):
        bound = math.floor(exclusive_min) + 1
        low = bound if low is None else max(low, bound)
    if _is_number(exclusive_max):
        bound = math.ceil(exclusive_max) - 1
        high = bound if high is None else min(high, bound)
    if low is None and high is None:
        return 0, 100
    if low is None:
        assert high is not None
        return (0 if high >= 0 else high - 100), high
    return low, low + 100 if high is None else high


def number_range(schema: Mapping[str, Any]) -> tuple[float, float, bool, bool]:
    """(low, high, low excluded, high excluded) for a well-formed ``number`` schema."""
    low: float | None = None
    high: float | None = None
    low_open = high_open = False
    minimum: Any = schema.get("minimum")
    maximum: Any = schema.get("maximum")
    exclusive_min: Any = schema.get("exclusiveMinimum")
    exclusive_max: Any = schema.get("exclusiveMaximum")
    if minimum is not None:
        low, low_open = float(minimum), exclusive_min is True
    if maximum is not None:
        high, high_open = float(maximum), exclusive_max is True
    if _is_number(exclusive_min) and (low is None or float(exclusive_min) >= low):
        low, low_open = float(exclusive_min), True
    if _is_number(exclusive_max) and (high is None or float(exclusive_max) <= high):
        high, high_open = float(exclusive_max), True
    if low is None and high is None:
        return 0.0, 100.0, False, False
    if low is None:
        assert high is not None
        low = 0.0 if high > 0 else high - 100.0
        return min(low, math.nextafter(high, -math.inf)), high, False, high_open
    if high is None:
        return low, max(low + 100.0, math.nextafter(low, math.inf)), low_open, False
    return low, high, low_open, high_open


def _number_range_empty(low: float, high: float, low_open: bool, high_open: bool) -> bool:
    if low_open and high_open:
        return math.nextafter(low, math.inf) >= high
    return low > high or (low == high and (low_open or high_open))


def _check_node(node: Mapping[str, Any], path: str) -> None:
    """Check one schema object's own keywords (not its subschemas)."""
    kind = node.get("type")
    kinds = kind if isinstance(kind, list) else [kind]
    if kind is not None and (not kinds or not all(k in TYPES for k in kinds)):
        raise SchemaError(f"type must be one of {', '.join(TYPES)} or a list of them", path)
    for key in _COUNTS:
        value = node.get(key)
        if value is None:
            continue
        if not (_is_number(value) and math.isfinite(value) and value >= 0 and value == int(value)):
            raise SchemaError(f"{key} must be a non-negative integer, got {value!r}", path)
    for key in (*_BOUNDS, "exclusiveMinimum", "exclusiveMaximum"):
        value = node.get(key)
        if value is None or (isinstance(value, bool) and key.startswith("exclusive")):
            continue
        if not _is_number(value) or not math.isfinite(value):
            raise SchemaError(f"{key} must be a finite number, got {value!r}", path)
    if node.get("multipleOf") is not None and node["multipleOf"] <= 0:
        raise SchemaError("multipleOf must be greater than 0", path)
    for low_key, high_key in (("minItems", "maxItems"), ("minLength", "maxLength")):
        low, high = node.get(low_key), node.get(high_key)
        if low is not None and high is not None and low > high:
            raise SchemaError(f"{low_key} is greater than {high_key}", path)
    if node.get("minItems", 0) > MAX_NODES:
        raise SchemaError(
            f"minItems {int(node['minItems'])} is over mockgpt's limit of {MAX_NODES} "
            "nodes per generated value",
            path,
        )
    if node.get("minLength", 0) > MAX_STRING_CHARS:
        raise SchemaError(
            f"minLength {int(node['minLength'])} is over mockgpt's limit of "
            f"{MAX_STRING_CHARS} characters per generated string",
            path,
        )
    if "integer" in kinds:
        low, high = int_range(node)
        if low > high and "number" not in kinds:
            raise SchemaError("no integer lies between the minimum and the maximum", path)
    if "number" in kinds:
        low_f, high_f, low_open, high_open = number_range(node)
        if _number_range_empty(low_f, high_f, low_open, high_open):
            raise SchemaError("no number lies between the minimum and the maximum", path)
    if "enum" in node and (not isinstance(node["enum"], list) or not node["enum"]):
        raise SchemaError("enum must be a non-empty array", path)
    for key in ("enum", "const"):
        if key in node and not _finite_values(node[key]):
            raise SchemaError(f"{key} holds NaN or Infinity, which JSON cannot carry", path)
    required = node.get("required")
    if required is not None and not (
        isinstance(required, list) and all(isinstance(r, str) for r in required)
    ):
        raise SchemaError("required must be an array of strings", path)
    for key in ("$ref", "format", "pattern"):
        if key in node and not isinstance(node[key], str):
            raise SchemaError(f"{key} must be a string, got {node[key]!r}", path)


def check_schema(schema: object) -> None:
    """Check every subschema's keywords, in time linear in the schema's size.

    Raises:
        SchemaError: a subschema that is neither an object nor a boolean, a keyword of the
            wrong type, a non-finite bound, an empty range, or a ``minItems`` / ``minLength``
            over a cap; ``path`` says where.
    """
    stack: list[tuple[object, str]] = [(schema, "")]
    while stack:
        node, path = stack.pop()
        if isinstance(node, bool):
            continue
        if not isinstance(node, Mapping):
            raise SchemaError(f"a schema must be an object or a boolean, got {node!r}", path)
        _check_node(node, path)
        for key in _SCHEMA_MAPS:
            children = node.get(key)
            if children is None:
                continue
            if not isinstance(children, Mapping):
                raise SchemaError(f"{key} must be an object", path)
            stack.extend((sub, f"{path}/{key}/{name}") for name, sub in children.items())
        for key in _SCHEMA_LISTS:
            children = node.get(key)
            if children is None:
                continue
            if not isinstance(children, list) or (key != "prefixItems" and not children):
                raise SchemaError(f"{key} must be a non-empty array", path)
            stack.extend((sub, f"{path}/{key}/{i}") for i, sub in enumerate(children))
        for key in _SCHEMAS:
            if key not in node:
                continue
            child = node[key]
            if key == "items" and isinstance(child, list):  # draft 4 tuple items
                stack.extend((sub, f"{path}/items/{i}") for i, sub in enumerate(child))
            else:
                stack.append((child, f"{path}/{key}"))
