"""Whether a JSON value is valid for a JSON Schema from a request, with bounded work.

``conforms(value, schema)`` answers for a schema that ``check_schema`` accepted. It covers the
assertions of JSON Schema 2020-12 and the older drafts' forms (boolean ``exclusiveMinimum``,
``items`` as an array with ``additionalItems``, ``dependencies``, ``definitions``); ``format``
is an annotation, as 2020-12 has it. Where exactness would cost, it errs towards "does not
conform", so a caller that falls back to generating a value never sends an invalid one.

Both the schema and the value come from a request, so the work is bounded whatever they say:
at most ``MAX_STEPS`` schema steps, ``MAX_DEPTH`` levels, and ``PATTERN_BUDGET_S`` of
``pattern`` searching in all; past any of them the value does not conform.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

import regex

from mockgpt.schema_check import MAX_DEPTH

MAX_STEPS = 20_000
"""Schema nodes (and ``enum`` members) visited for one value, in total."""
PATTERN_BUDGET_S = 0.05
"""Seconds every ``pattern`` / ``patternProperties`` search of one value may take together."""


class _Exhausted(Exception):
    """The value nests too deep, or checking it passed a budget."""


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_integer(value: object) -> bool:
    return (isinstance(value, int) and not isinstance(value, bool)) or (
        isinstance(value, float) and value.is_integer()
    )


_IS_TYPE: dict[str, Callable[[object], bool]] = {
    "null": lambda v: v is None,
    "boolean": lambda v: isinstance(v, bool),
    "integer": _is_integer,
    "number": _is_number,
    "string": lambda v: isinstance(v, str),
    "array": lambda v: isinstance(v, list),
    "object": lambda v: isinstance(v, Mapping),
}


def json_equal(a: object, b: object) -> bool:
    """Equality of decoded JSON values as JSON Schema has it: ``1 == 1.0``, ``true != 1``."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if _is_number(a) or _is_number(b):
        return _is_number(a) and _is_number(b) and a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


def _canonical(value: object) -> object:
    """The value with integral floats as ints: JSON-equal values dump to the same text."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list):
        return [_canonical(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _canonical(v) for k, v in value.items()}
    return value


def _unique(items: list[Any]) -> bool:
    return len({json.dumps(_canonical(v), sort_keys=True) for v in items}) == len(items)


@lru_cache(maxsize=256)
def _compiled(source: str) -> regex.Pattern[str] | None:
    try:
        return regex.compile(source)
    except regex.error:
        return None


def _multiple_of(value: float, step: object) -> bool:
    if not _is_number(step):
        return False
    try:
        return Decimal(repr(value)) % Decimal(repr(step)) == 0
    except InvalidOperation:  # the quotient has more digits than Decimal's precision
        return False


def _in_bounds(value: float, schema: Mapping[str, Any]) -> bool:
    """``minimum`` / ``maximum``, exclusive as a number (2020-12) or a boolean (draft 4)."""
    minimum: Any = schema.get("minimum")
    maximum: Any = schema.get("maximum")
    low_open: Any = schema.get("exclusiveMinimum")
    high_open: Any = schema.get("exclusiveMaximum")
    if minimum is not None and (value < minimum or (low_open is True and value == minimum)):
        return False
    if maximum is not None and (value > maximum or (high_open is True and value == maximum)):
        return False
    if _is_number(low_open) and value <= low_open:
        return False
    return not (_is_number(high_open) and value >= high_open)


def _counts(size: int, schema: Mapping[str, Any], low_key: str, high_key: str) -> bool:
    low: float = schema.get(low_key, 0)
    high: float = schema.get(high_key, math.inf)
    return low <= size <= high


def _never(value: object) -> bool:
    return False


class _Validator:
    """One ``conforms`` call: the root (for ``$ref``) and the budgets spent."""

    def __init__(self, root: object) -> None:
        self.root = root
        self.steps = 0
        self.pattern_s = PATTERN_BUDGET_S

    def valid(self, value: object, schema: object, depth: int) -> bool:
        self.steps += 1
        if self.steps > MAX_STEPS or depth > MAX_DEPTH:
            raise _Exhausted
        if not isinstance(schema, Mapping):
            return schema is True
        if "$ref" in schema and not self.valid(value, self._target(schema["$ref"]), depth + 1):
            return False
        kind = schema.get("type")
        kinds = kind if isinstance(kind, list) else [] if kind is None else [kind]
        if kinds and not any(_IS_TYPE.get(k, _never)(value) for k in kinds):
            return False
        if "const" in schema and not json_equal(value, schema["const"]):
            return False
        if "enum" in schema:
            self.steps += len(schema["enum"])
            if not any(json_equal(value, member) for member in schema["enum"]):
                return False
        if _is_number(value):
            assert isinstance(value, (int, float))
            own = math.isfinite(value) and _in_bounds(value, schema)
            own = own and ("multipleOf" not in schema or _multiple_of(value, schema["multipleOf"]))
        elif isinstance(value, str):
            own = _counts(len(value), schema, "minLength", "maxLength")
            own = own and ("pattern" not in schema or self._search(schema["pattern"], value))
        elif isinstance(value, list):
            own = self._array(value, schema, depth)
        elif isinstance(value, Mapping):
            own = self._object(value, schema, depth)
        else:
            own = True
        return own and self._applied(value, schema, depth)

    def _target(self, ref: object) -> object:
        """The schema a ``$ref`` within the document points to; False for any other."""
        if not isinstance(ref, str) or not (ref == "#" or ref.startswith("#/")):
            return False
        node: object = self.root
        for part in ref[2:].split("/") if ref != "#" else ():
            key = part.replace("~1", "/").replace("~0", "~")
            if isinstance(node, list) and key.isdigit() and int(key) < len(node):
                node = node[int(key)]
            elif isinstance(node, Mapping) and key in node:
                node = node[key]
            else:
                return False
        return node

    def _search(self, source: object, text: str) -> bool:
        """Whether ``source`` finds ``text``; a pattern that is invalid or too slow does not.

        Raises:
            _Exhausted: the searches of this value used up ``PATTERN_BUDGET_S``.
        """
        pattern = _compiled(source) if isinstance(source, str) else None
        if pattern is None:
            return False
        started = time.perf_counter()
        try:
            found = pattern.search(text, timeout=self.pattern_s) is not None
        except TimeoutError:
            raise _Exhausted from None
        self.pattern_s -= time.perf_counter() - started
        return found

    def _array(self, value: list[Any], schema: Mapping[str, Any], depth: int) -> bool:
        if not _counts(len(value), schema, "minItems", "maxItems"):
            return False
        if schema.get("uniqueItems") is True and not _unique(value):
            return False
        items = schema.get("items", True)
        if isinstance(items, list):  # drafts 4 to 7: a tuple, then additionalItems
            prefix, rest = items, schema.get("additionalItems", True)
        else:
            prefix = schema.get("prefixItems") or []
            # unevaluatedItems: only this schema object's own items count as evaluated
            rest = items if "items" in schema else schema.get("unevaluatedItems", True)
        for index, item in enumerate(value):
            if not self.valid(item, prefix[index] if index < len(prefix) else rest, depth + 1):
                return False
        if "contains" in schema:
            found = sum(self.valid(item, schema["contains"], depth + 1) for item in value)
            low, high = schema.get("minContains", 1), schema.get("maxContains", math.inf)
            return _is_number(low) and _is_number(high) and low <= found <= high
        return True

    def _object(self, value: Mapping[str, Any], schema: Mapping[str, Any], depth: int) -> bool:
        if not _counts(len(value), schema, "minProperties", "maxProperties"):
            return False
        if any(name not in value for name in schema.get("required") or ()):
            return False
        properties = schema.get("properties") or {}
        patterns = schema.get("patternProperties") or {}
        # unevaluatedProperties: only this schema object's own properties count as evaluated
        rest = schema.get("additionalProperties", schema.get("unevaluatedProperties", True))
        names = schema.get("propertyNames", True)
        for name, item in value.items():
            if names is not True and not self.valid(name, names, depth + 1):
                return False
            subs = [sub for source, sub in patterns.items() if self._search(source, name)]
            if name in properties:
                subs.append(properties[name])
            if not all(self.valid(item, sub, depth + 1) for sub in subs or [rest]):
                return False
        return self._dependencies(value, schema, depth)

    def _dependencies(
        self, value: Mapping[str, Any], schema: Mapping[str, Any], depth: int
    ) -> bool:
        """``dependentRequired``, ``dependentSchemas`` and the older ``dependencies``."""
        for key in ("dependentRequired", "dependentSchemas", "dependencies"):
            table = schema.get(key)
            if not isinstance(table, Mapping):
                continue
            for name, needs in table.items():
                if name not in value:
                    continue
                if isinstance(needs, list):
                    if any(other not in value for other in needs):
                        return False
                elif not self.valid(value, needs, depth + 1):
                    return False
        return True

    def _applied(self, value: object, schema: Mapping[str, Any], depth: int) -> bool:
        """``allOf``, ``anyOf``, ``oneOf``, ``not``, ``if`` / ``then`` / ``else``."""
        if not all(self.valid(value, sub, depth + 1) for sub in schema.get("allOf") or ()):
            return False
        if "anyOf" in schema and not any(self.valid(value, s, depth + 1) for s in schema["anyOf"]):
            return False
        if "oneOf" in schema and sum(self.valid(value, s, depth + 1) for s in schema["oneOf"]) != 1:
            return False
        if "not" in schema and self.valid(value, schema["not"], depth + 1):
            return False
        if "if" in schema:
            branch = "then" if self.valid(value, schema["if"], depth + 1) else "else"
            return self.valid(value, schema.get(branch, True), depth + 1)
        return True


def conforms(value: object, schema: object) -> bool:
    """Whether the decoded JSON ``value`` is valid for ``schema``.

    ``schema`` must have passed ``check_schema``. The answer is "does not conform" for a
    ``$ref`` outside the document (or to an anchor), a ``pattern`` that is invalid or slow, NaN
    or Infinity, and past a budget (see the module's docstring); ``unevaluatedProperties`` and
    ``unevaluatedItems`` see only their own schema object's properties and items, so they may
    refuse a value another subschema evaluated. Never raises.
    """
    try:
        return _Validator(schema).valid(value, schema, 0)
    except (_Exhausted, RecursionError):
        return False


__all__ = ["MAX_STEPS", "PATTERN_BUDGET_S", "conforms", "json_equal"]
