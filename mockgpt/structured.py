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

from mockgpt.schema_check import (
    MAX_DEPTH,
    MAX_NODES,
    MAX_STRING_CHARS,
    MAX_TOTAL_CHARS,
    TYPES,
    OverCap,
    SchemaError,
    check_schema,
    int_range,
    number_range,
)
from mockgpt.types import JSONValue

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
            raise OverCap(f"the value needs more than mockgpt's limit of {MAX_NODES} nodes")
        if depth > MAX_DEPTH:
            raise OverCap(f"the value nests deeper than mockgpt's limit of {MAX_DEPTH} levels")
        if schema is False:
            raise OverCap("a `false` schema admits no value")
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
                kind = min(kind, key=TYPES.index)
            else:
                kind = self.rng.choice([k for k in kind if k != "null"] or kind)
        if kind is None:
            kind = "object" if "properties" in schema else "string"
        if kind == "object":
            return self._object(schema, depth)
        if kind == "array":
            return self._array(schema, depth)
        if kind == "integer":
            low, high = int_range(schema)
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
            except OverCap:
                if self.nodes >= MAX_NODES or self.chars >= MAX_TOTAL_CHARS:
                    raise
        return self.value(ordered[-1], depth + 1)

    def _merged(self, parts: list[Any]) -> dict[str, Any]:
        merged: dict[str, Any] = {}
        for part in parts:
            if isinstance(part, Mapping) and "$ref" in part:
                part = _resolve(part["$ref"], self.root)
            if part is False:
                raise OverCap("an `allOf` with a `false` schema admits no value")
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
            raise OverCap(f"an array of {count} items is over mockgpt's limit of {MAX_NODES} nodes")
        items = schema.get("items", {})
        prefix = items if isinstance(items, list) else schema.get("prefixItems") or []
        rest = schema.get("additionalItems", {}) if isinstance(items, list) else items
        return [self.value(prefix[i] if i < len(prefix) else rest, depth + 1) for i in range(count)]

    def _number(self, schema: Mapping[str, Any]) -> float:
        low, high, low_open, high_open = number_range(schema)
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
            raise OverCap(
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
    except OverCap:
        return _Generator(schema, seed, minimal=True).value(schema, 0)


__all__ = [
    "MAX_DEPTH",
    "MAX_NODES",
    "MAX_STRING_CHARS",
    "MAX_TOTAL_CHARS",
    "SchemaError",
    "check_schema",
    "value_for_schema",
]
