"""Structured output: a JSON value generated from a JSON Schema, deterministically and bounded.

``value_for_schema(schema, seed)`` returns the same value for the same schema and seed. It
covers what structured-output schemas use (objects with ``properties`` / ``required``,
arrays, enums, ``const``, ``anyOf`` / ``oneOf`` / ``allOf``, ``$ref`` into ``$defs``, string
formats, numeric bounds and lengths); ``pattern``, ``multipleOf``, ``uniqueItems`` and
``minProperties`` are not honoured.

The schema comes from a request, so the work is bounded whatever it says: the value has at
most ``MAX_NODES`` nodes, ``MAX_DEPTH`` levels, strings of at most ``MAX_STRING_CHARS`` and
``MAX_TOTAL_CHARS`` together, all counted while generating. A value is first generated richly
(a few items per array, every property near the top); when that passes a cap it is generated
again minimally (``minItems`` items, required properties, ``null`` where allowed). A schema
whose minimum still passes a cap, or with a malformed keyword (wrong type, a non-finite bound,
a minimum above its maximum), raises ``SchemaError``; the value never holds NaN or Infinity.

Why not hypothesis-jsonschema: its values come from a test-time search engine and are not
reproducible outside a hypothesis run, while a mock must answer the same request the same way.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from typing import Any

from mockgpt.types import JSONValue

MAX_NODES = 5_000
"""Schema nodes visited (values, ``$ref`` and ``anyOf`` steps) for one value, in total."""
MAX_DEPTH = 64
"""Schema steps nested on one path of the value (``$ref``, ``items``, ``properties``...)."""
MAX_STRING_CHARS = 65_536
"""Characters in one generated string; a larger ``minLength`` is rejected."""
MAX_TOTAL_CHARS = 1_048_576
"""Characters in all the generated strings of one value together."""

_RICH_DEPTH = 8  # beyond it a rich value is minimal: minItems items, required properties
_WORDS = ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india")
_FORMATS = {
    "date-time": "2024-01-01T00:00:00Z",
    "date": "2024-01-01",
    "time": "12:00:00",
    "email": "user@example.com",
    "uri": "https://example.com/",
    "uuid": "00000000-0000-4000-8000-000000000000",
    "ipv4": "192.0.2.1",
    "hostname": "example.com",
}
_TYPES = ("null", "boolean", "integer", "number", "string", "array", "object")
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


class _OverCap(SchemaError):
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


def _int_range(schema: Mapping[str, Any]) -> tuple[int, int]:
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


def _number_range(schema: Mapping[str, Any]) -> tuple[float, float, bool, bool]:
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
    if kind is not None and (not kinds or not all(k in _TYPES for k in kinds)):
        raise SchemaError(f"type must be one of {', '.join(_TYPES)} or a list of them", path)
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
        low, high = _int_range(node)
        if low > high and "number" not in kinds:
            raise SchemaError("no integer lies between the minimum and the maximum", path)
    if "number" in kinds:
        low_f, high_f, low_open, high_open = _number_range(node)
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


def _resolve(ref: str, root: Mapping[str, Any]) -> object:
    node: Any = root
    for part in ref.removeprefix("#").split("/"):
        if not part:
            continue
        node = (
            node.get(part.replace("~1", "/").replace("~0", "~"), {})
            if isinstance(node, Mapping)
            else {}
        )
    return node if isinstance(node, (Mapping, bool)) else {}


class _Generator:
    """One generation pass over a checked schema, counting nodes, depth and characters."""

    def __init__(self, root: Mapping[str, Any], seed: int, *, minimal: bool) -> None:
        self.root = root
        self.rng = random.Random(seed)
        self.minimal = minimal
        self.nodes = 0
        self.chars = 0

    def value(self, schema: object, depth: int) -> JSONValue:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise _OverCap(f"the value needs more than mockgpt's limit of {MAX_NODES} nodes")
        if depth > MAX_DEPTH:
            raise _OverCap(f"the value nests deeper than mockgpt's limit of {MAX_DEPTH} levels")
        if schema is False:
            raise _OverCap("a `false` schema admits no value")
        if not isinstance(schema, Mapping):  # `true`
            return None
        if "$ref" in schema:
            return self.value(_resolve(schema["$ref"], self.root), depth + 1)
        if "const" in schema:
            const: JSONValue = schema["const"]
            return const
        if "enum" in schema:
            choice: JSONValue = self.rng.choice(schema["enum"])
            return choice
        for key in ("anyOf", "oneOf"):
            if key in schema:
                return self._any_of(schema[key], depth)
        if "allOf" in schema:
            return self.value(self._merged(schema["allOf"]), depth + 1)
        kind = schema.get("type")
        if isinstance(kind, list):
            if self.minimal:
                kind = min(kind, key=_TYPES.index)
            else:
                kind = self.rng.choice([k for k in kind if k != "null"] or kind)
        if kind is None:
            kind = "object" if "properties" in schema else "string"
        if kind == "object":
            return self._object(schema, depth)
        if kind == "array":
            return self._array(schema, depth)
        if kind == "integer":
            low, high = _int_range(schema)
            return self.rng.randint(low, max(low, high))
        if kind == "number":
            return self._number(schema)
        if kind == "boolean":
            return self.rng.random() < 0.5
        if kind == "null":
            return None
        return self._string(schema)

    def _any_of(self, options: list[Any], depth: int) -> JSONValue:
        def is_null(option: object) -> bool:
            return isinstance(option, Mapping) and option.get("type") == "null"

        if not self.minimal:
            concrete = [o for o in options if not is_null(o)]
            return self.value(self.rng.choice(concrete or options), depth + 1)
        ordered = [o for o in options if is_null(o)] + [o for o in options if not is_null(o)]
        for option in ordered[:-1]:
            try:
                return self.value(option, depth + 1)
            except _OverCap:
                if self.nodes >= MAX_NODES or self.chars >= MAX_TOTAL_CHARS:
                    raise
        return self.value(ordered[-1], depth + 1)

    def _merged(self, parts: list[Any]) -> dict[str, Any]:
        merged: dict[str, Any] = {}
        for part in parts:
            if isinstance(part, Mapping) and "$ref" in part:
                part = _resolve(part["$ref"], self.root)
            if part is False:
                raise _OverCap("an `allOf` with a `false` schema admits no value")
            if not isinstance(part, Mapping):
                continue
            for k, v in part.items():
                if k == "properties" and isinstance(v, Mapping):
                    merged.setdefault("properties", {}).update(v)
                elif k == "required" and isinstance(v, list):
                    merged.setdefault("required", []).extend(v)
                else:
                    merged[k] = v
        return merged

    def _object(self, schema: Mapping[str, Any], depth: int) -> dict[str, JSONValue]:
        properties = schema.get("properties") or {}
        required = schema.get("required") or ()
        out: dict[str, JSONValue] = {}
        rich = not self.minimal and depth < _RICH_DEPTH
        for name, sub in properties.items():
            if rich or name in required:
                out[str(name)] = self.value(sub, depth + 1)
        extra = schema.get("additionalProperties")
        for name in required:
            if name not in out:
                out[name] = self.value(extra if isinstance(extra, Mapping) else {}, depth + 1)
        return out

    def _array(self, schema: Mapping[str, Any], depth: int) -> list[JSONValue]:
        high = schema.get("maxItems")
        low = int(schema.get("minItems", 1 if high is None else min(1, high)))
        if self.minimal or depth >= _RICH_DEPTH:
            count = low
        else:
            high = int(high if high is not None else max(low, 3))
            count = self.rng.randint(low, max(low, min(high, low + 2)))
        if self.nodes + count > MAX_NODES:
            raise _OverCap(
                f"an array of {count} items is over mockgpt's limit of {MAX_NODES} nodes"
            )
        items = schema.get("items", {})
        prefix = items if isinstance(items, list) else schema.get("prefixItems") or []
        rest = schema.get("additionalItems", {}) if isinstance(items, list) else items
        return [self.value(prefix[i] if i < len(prefix) else rest, depth + 1) for i in range(count)]

    def _number(self, schema: Mapping[str, Any]) -> float:
        low, high, low_open, high_open = _number_range(schema)
        fraction = self.rng.random()
        span = high - low
        x = low + span * fraction if math.isfinite(span) else low * (1 - fraction) + high * fraction
        rounded = round(x, 3)
        if math.isfinite(rounded) and low <= rounded <= high:
            x = rounded
        for candidate in (x, low / 2 + high / 2, math.nextafter(low, math.inf), low):
            if (low < candidate or (candidate == low and not low_open)) and (
                candidate < high or (candidate == high and not high_open)
            ):
                return candidate
        return high

    def _string(self, schema: Mapping[str, Any]) -> str:
        min_length = int(schema.get("minLength", 0))
        max_length = int(schema.get("maxLength", MAX_STRING_CHARS))
        fmt = schema.get("format")
        text = _FORMATS.get(fmt) if isinstance(fmt, str) else None
        if text is None or not min_length <= len(text) <= max_length:
            words = [self.rng.choice(_WORDS)]
            size = len(words[0])
            while size < min_length and len(words) < 16:
                words.append(self.rng.choice(_WORDS))
                size += 1 + len(words[-1])
            text = " ".join(words)
            if len(text) < min_length:
                text = ((text + " ") * (min_length // (len(text) + 1) + 1))[:min_length]
            text = text[: min(max_length, MAX_STRING_CHARS)]
        self.chars += len(text)
        if self.chars > MAX_TOTAL_CHARS:
            raise _OverCap(
                f"the value's strings need more than mockgpt's limit of {MAX_TOTAL_CHARS} "
                "characters"
            )
        return text


def value_for_schema(schema: Mapping[str, Any], seed: int = 0) -> JSONValue:
    """A JSON value valid for ``schema``, the same for the same ``schema`` and ``seed``.

    Bounded work whatever the schema: see ``MAX_NODES``, ``MAX_DEPTH``, ``MAX_STRING_CHARS``
    and ``MAX_TOTAL_CHARS``. The value holds no NaN or Infinity.

    Raises:
        SchemaError: a malformed schema, or one whose smallest value passes a cap.
    """
    check_schema(schema)
    try:
        return _Generator(schema, seed, minimal=False).value(schema, 0)
    except _OverCap:
        return _Generator(schema, seed, minimal=True).value(schema, 0)
