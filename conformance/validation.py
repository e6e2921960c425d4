"""Validation of decoded JSON against the strict wire models, one ``Violation`` per rule.

``validate`` checks data against a model of ``conformance.wire`` or
``conformance.responses_wire``: each broken rule becomes a ``Violation`` with its field path,
what the spec expects and what came, owned by the check whose rule it is (an ``Owners``
table). A required key that may be null and is missing is a SHOULD: clients read it as null.
"""

from __future__ import annotations

import fnmatch
import json
import typing
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ValidationError

from conformance.failures import Level, Violation, combine
from conformance.http import Exchange

Owners = Sequence[tuple[str, str]]
"""``(field pattern, check id)`` pairs: which check owns the rule for a field.

A pattern is a path with ``[*]`` for any index (``choices[*].delta.tool_calls[*].index``)
and may use ``*`` as in ``fnmatch``. A pattern ending in ``=null`` applies only when the
value is null, one ending in ``=missing`` only when the key is missing."""


def field_path(loc: Sequence[int | str], prefix: str = "") -> str:
    """A pydantic error location as a field path: ``choices[0].message.content``."""
    out = prefix
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out or "<body>"


def _pattern_of(path: str) -> str:
    out = []
    for piece in path.split("["):
        if "]" in piece:
            index, rest = piece.split("]", 1)
            out.append(("*" if index.isdigit() else index) + "]" + rest)
        else:
            out.append(piece)
    return "[".join(out)


def owner_of(path: str, owners: Owners, *, value: Any = 0, missing: bool = False) -> str | None:
    """The check that owns the rule for ``path``, None for the running check.

    Args:
        path: the field path of the broken rule.
        owners: the owner table.
        value: the value found there (for ``=null`` patterns).
        missing: whether the key is missing (for ``=missing`` patterns).
    """
    generic = _pattern_of(path)
    for pattern, owner in owners:
        base, _, condition = pattern.partition("=")
        if condition == "null" and (missing or value is not None):
            continue
        if condition == "missing" and not missing:
            continue
        if fnmatch.fnmatchcase(generic, base.replace("[*]", "[[]*[]]")):
            return owner or None  # "" marks fields the running check owns itself
    return None


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in typing.get_args(annotation) for m in _models_in(arg)]


def nullable_key(model: type[BaseModel], loc: Sequence[int | str]) -> bool:
    """Whether the key at ``loc`` may be null (a required-but-nullable key).

    Such a key (``refusal``, ``logprobs``) missing is read as null by every client: a
    departure from the schema, but a SHOULD.
    """
    models: list[type[BaseModel]] = [model]
    for position, part in enumerate(loc):
        if isinstance(part, int):
            continue
        found = [m.model_fields[part] for m in models if part in m.model_fields]
        if not found:
            return False
        if position == len(loc) - 1:
            return any(type(None) in typing.get_args(f.annotation) for f in found)
        models = [m for f in found for m in _models_in(f.annotation)]
    return False


def _describe(error: Any) -> str:
    kind = str(error["type"])
    if kind == "missing":
        return "the key to be present"
    if kind == "literal_error":
        return f"one of {error.get('ctx', {}).get('expected', '?')}"
    names = {
        "int_type": "an integer",
        "float_type": "a number",
        "string_type": "a string",
        "bool_type": "a boolean",
        "list_type": "an array",
        "dict_type": "an object",
        "model_type": "an object",
        "model_attributes_type": "an object",
    }
    if kind in names:
        return names[kind]
    return str(error.get("msg", kind)).lower()


def _shown(value: Any) -> str:
    try:
        return json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        return repr(value)


def validate(
    model: type[BaseModel],
    data: Any,
    *,
    exchange: Exchange | None = None,
    prefix: str = "",
    owners: Owners = (),
    level: Level = "http",
) -> None:
    """Validate ``data`` against a strict wire model.

    Args:
        model: one of the models of this module.
        data: the decoded JSON.
        exchange: the request that got it (for ``curl``).
        prefix: path of ``data`` inside the answer (``chunks[3]``).
        owners: which other checks own the rules for which fields (paths relative to
            ``data``, without ``prefix``).
        level: where the data was seen.

    Raises:
        Violation: for the first broken rule the running check owns (or, when every broken
            rule has another owner, the first of those, with ``owner`` set), carrying every
            other broken rule in ``more``.
    """
    try:
        model.model_validate(data)
    except ValidationError as exc:
        found: list[Violation] = []
        for error in exc.errors():
            path = field_path(error["loc"], prefix)
            missing = error["type"] == "missing"
            owner = owner_of(
                field_path(error["loc"]), owners, value=error.get("input"), missing=missing
            )
            got = "no such key" if error["type"] == "missing" else _shown(error.get("input"))
            violation = Violation(
                path, _describe(error), got, level=level, owner=owner, exchange=exchange
            )
            if missing and nullable_key(model, error["loc"]):
                violation.severity = "should"
                violation.note = "a required key that may be null; clients read it as null"
            found.append(violation)
        own = [v for v in found if v.owner is None]
        raise combine(own + [v for v in found if v.owner is not None]) from None
