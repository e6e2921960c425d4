"""Structured output: a JSON value generated from a JSON Schema, deterministically.

``value_for_schema(schema, seed)`` returns the same value for the same schema and seed. It
covers what structured-output schemas use (objects with ``properties`` / ``required``,
arrays, enums, ``const``, ``anyOf`` / ``oneOf`` / ``allOf``, ``$ref`` into ``$defs``, string
formats, numeric bounds and lengths); ``pattern`` is not honoured.

Why not hypothesis-jsonschema: its values come from a test-time search engine and are not
reproducible outside a hypothesis run, while a mock must answer the same request the same way.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

from mockgpt.types import JSONValue

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
_MAX_DEPTH = 8


def _resolve(ref: str, root: Mapping[str, Any]) -> Mapping[str, Any]:
    node: Any = root
    for part in ref.removeprefix("#/").split("/"):
        if not part:
            continue
        node = (
            node.get(part.replace("~1", "/").replace("~0", "~"), {})
            if isinstance(node, Mapping)
            else {}
        )
    return node if isinstance(node, Mapping) else {}


def _generate(schema: Any, root: Mapping[str, Any], rng: random.Random, depth: int) -> JSONValue:
    if not isinstance(schema, Mapping) or depth > _MAX_DEPTH:
        return None
    if "$ref" in schema:
        return _generate(_resolve(str(schema["$ref"]), root), root, rng, depth + 1)
    if "const" in schema:
        const: JSONValue = schema["const"]
        return const
    if schema.get("enum"):
        choice: JSONValue = rng.choice(list(schema["enum"]))
        return choice
    for key in ("anyOf", "oneOf"):
        options = schema.get(key)
        if isinstance(options, list) and options:
            concrete = [
                o for o in options if not (isinstance(o, Mapping) and o.get("type") == "null")
            ]
            return _generate(rng.choice(concrete or options), root, rng, depth + 1)
    if isinstance(schema.get("allOf"), list):
        merged: dict[str, Any] = {}
        for part in schema["allOf"]:
            part = (
                _resolve(part["$ref"], root)
                if isinstance(part, Mapping) and "$ref" in part
                else part
            )
            if isinstance(part, Mapping):
                for k, v in part.items():
                    if k in ("properties",) and isinstance(v, Mapping):
                        merged.setdefault("properties", {}).update(v)
                    elif k == "required" and isinstance(v, list):
                        merged.setdefault("required", []).extend(v)
                    else:
                        merged[k] = v
        return _generate(merged, root, rng, depth + 1)
    kind = schema.get("type")
    if isinstance(kind, list):
        kinds = [k for k in kind if k != "null"] or kind
        kind = rng.choice(kinds)
    if kind is None:
        kind = "object" if "properties" in schema else "string"
    if kind == "object":
        properties = schema.get("properties")
        out: dict[str, JSONValue] = {}
        if isinstance(properties, Mapping):
            for name, sub in properties.items():
                out[str(name)] = _generate(sub, root, rng, depth + 1)
        return out
    if kind == "array":
        low = int(schema.get("minItems", 1))
        high = int(schema.get("maxItems", max(low, 3)))
        count = rng.randint(low, max(low, min(high, low + 2)))
        items = schema.get("items", {})
        return [_generate(items, root, rng, depth + 1) for _ in range(count)]
    if kind == "integer":
        low = int(schema.get("minimum", schema.get("exclusiveMinimum", -1) + 1))
        high = int(schema.get("maximum", schema.get("exclusiveMaximum", low + 101) - 1))
        return rng.randint(low, max(low, high))
    if kind == "number":
        low_f = float(schema.get("minimum", schema.get("exclusiveMinimum", 0.0)))
        high_f = float(schema.get("maximum", schema.get("exclusiveMaximum", low_f + 100.0)))
        return round(rng.uniform(low_f, high_f), 3)
    if kind == "boolean":
        return rng.random() < 0.5
    if kind == "null":
        return None
    fmt = schema.get("format")
    if isinstance(fmt, str) and fmt in _FORMATS:
        return _FORMATS[fmt]
    text = rng.choice(_WORDS)
    min_length = int(schema.get("minLength", 0))
    max_length = int(schema.get("maxLength", 10_000))
    while len(text) < min_length:
        text += " " + rng.choice(_WORDS)
    return text[:max_length]


def value_for_schema(schema: Mapping[str, Any], seed: int = 0) -> JSONValue:
    """A JSON value valid for ``schema``, the same for the same ``schema`` and ``seed``."""
    return _generate(schema, schema, random.Random(seed), 0)
