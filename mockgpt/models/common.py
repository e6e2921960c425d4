"""Request validation shared by every API family: body -> model, or an error envelope."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from mockgpt.errors import RequestRejected
from mockgpt.types import JSONValue

ModelT = TypeVar("ModelT", bound=BaseModel)


class RequestModel(BaseModel):
    """Base of request models: strict JSON types, unknown fields kept (the API ignores them)."""

    model_config = ConfigDict(strict=True, extra="allow", frozen=True)


class GenerationMixin:
    """What chat and legacy completion requests share: ``stop``, ``stream`` and its options.

    Mixed into their models, which declare the fields themselves.
    """

    if TYPE_CHECKING:  # declared by the models; kept from pydantic, which would reorder them
        stop: str | list[str] | None
        stream: bool | None
        stream_options: StreamOptions | None

    @property
    def stop_sequences(self) -> tuple[str, ...]:
        """``stop`` as a tuple of non-empty strings."""
        if self.stop is None:
            return ()
        stops = [self.stop] if isinstance(self.stop, str) else self.stop
        return tuple(s for s in stops if s)

    @property
    def include_usage(self) -> bool:
        """Whether a stream ends with a usage chunk (``stream_options.include_usage``)."""
        return bool(self.stream_options and self.stream_options.include_usage)

    def check_stream_options(self) -> None:
        """Refuse ``stream_options`` without ``stream: true`` (as the API does).

        Raises:
            RequestRejected: 400 with ``param`` ``stream_options``.
        """
        if self.stream_options is not None and not self.stream:
            raise RequestRejected(
                400,
                "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
                param="stream_options",
                code="invalid_value",
            )


class StreamOptions(RequestModel):
    """``ChatCompletionStreamOptions``: only allowed with ``stream: true``."""

    include_usage: bool | None = None
    include_obfuscation: bool | None = None


MISSING_TAG = "\x00missing"
"""Tag suffix a discriminator returns when the tag field is absent."""
BAD_TYPE_TAG = "\x00type"
"""Tag suffix a discriminator returns when the tag field is not a string."""
TAG_FIELDS = {"role": "role", "part": "type", "tool": "type", "format": "type", "choice": "type"}
"""Tag prefix -> the request field that holds the tag."""

# Labels pydantic puts into an error location for union members and tags; they are not fields.
_TYPE_LABELS = frozenset({"str", "int", "float", "bool", "none", "dict", "list"})

_TYPE_NAMES = {
    "string_type": "a string",
    "int_type": "an integer",
    "float_type": "a number",
    "bool_type": "a boolean",
    "list_type": "an array",
    "dict_type": "an object",
    "model_type": "an object",
    "model_attributes_type": "an object",
    "none_required": "null",
}


def json_type_name(value: object) -> str:
    """The JSON type of ``value`` as an error message names it (``an integer``)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def _number_word(value: object) -> str:
    return "integer" if isinstance(value, int) else "decimal"


def param_path(loc: Sequence[int | str]) -> str:
    """Turn a pydantic error location into the API's ``param`` (``messages[0].content``).

    Union member labels (``str``, ``list[...]``) and tags (``role:user``) are dropped, since
    they are not fields of the request.
    """
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif (
            ":" in part
            or "[" in part
            or "-" in part
            or part in _TYPE_LABELS
            or not (part.islower() or part.isdigit())  # digits: a logit_bias token id
        ):
            continue
        else:
            out += f".{part}" if out else part
    return out


def _is_type_error(error: Any) -> bool:
    return str(error["type"]) in _TYPE_NAMES or str(error["type"]).endswith("_type")


def _specificity(error: Any) -> tuple[int, bool]:
    # The deepest place wins; at one place, a broken constraint (the input had the right type
    # for one union member) says more than "wrong type" from the other members.
    depth = len(param_path(error["loc"]))
    if str(error["type"]).startswith("union_tag_") and isinstance(error.get("input"), dict):
        depth += 1  # reported one level down, at the tag field (``tool_choice.type``)
    return (depth, not _is_type_error(error))


def _describe(errors: list[Any]) -> RequestRejected:
    # The deepest error is the most specific; among union alternatives at one place, merge
    # the expected types into one message.
    first = max(errors, key=_specificity)
    param = param_path(first["loc"])
    kind = first["type"]
    value = first.get("input")
    ctx = first.get("ctx") or {}
    if kind == "missing":
        return RequestRejected(
            400,
            f"Missing required parameter: '{param}'.",
            param=param,
            code="missing_required_parameter",
        )
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        if not isinstance(value, dict):
            return RequestRejected(
                400,
                f"Invalid type for '{param}': expected an object, but got "
                f"{json_type_name(value)} instead.",
                param=param,
                code="invalid_type",
            )
        prefix, _, found = str(ctx.get("tag", "")).partition(":")
        field = TAG_FIELDS.get(prefix, "type")
        param = f"{param}.{field}" if param else field
        if found == MISSING_TAG:
            return RequestRejected(
                400,
                f"Missing required parameter: '{param}'.",
                param=param,
                code="missing_required_parameter",
            )
        if found == BAD_TYPE_TAG:
            return RequestRejected(
                400,
                f"Invalid type for '{param}': expected a string, but got "
                f"{json_type_name(value.get(field))} instead.",
                param=param,
                code="invalid_type",
            )
        expected = str(ctx.get("expected_tags", "")).replace(f"'{prefix}:", "'")
        return RequestRejected(
            400,
            f"Invalid value: '{found}'. Supported values are: {expected}.",
            param=param,
            code="invalid_value",
        )
    if _is_type_error(first):
        same_place = [e for e in errors if param_path(e["loc"]) == param and _is_type_error(e)]
        wanted = sorted({_TYPE_NAMES.get(e["type"], e["type"]) for e in same_place})
        expected = wanted[0] if len(wanted) == 1 else "one of " + " or ".join(wanted)
        return RequestRejected(
            400,
            f"Invalid type for '{param}': expected {expected}, but got "
            f"{json_type_name(value)} instead.",
            param=param,
            code="invalid_type",
        )
    if kind in ("greater_than_equal", "greater_than"):
        limit = ctx.get("ge", ctx.get("gt"))
        return RequestRejected(
            400,
            f"Invalid '{param}': {_number_word(value)} below minimum value. "
            f"Expected a value >= {limit}, but got {value} instead.",
            param=param,
            code="integer_below_min_value" if isinstance(value, int) else "decimal_below_min_value",
        )
    if kind in ("less_than_equal", "less_than"):
        limit = ctx.get("le", ctx.get("lt"))
        return RequestRejected(
            400,
            f"Invalid '{param}': {_number_word(value)} above maximum value. "
            f"Expected a value <= {limit}, but got {value} instead.",
            param=param,
            code="integer_above_max_value" if isinstance(value, int) else "decimal_above_max_value",
        )
    if kind in ("too_short", "string_too_short"):
        return RequestRejected(
            400,
            f"Invalid '{param}': empty {'array' if kind == 'too_short' else 'string'}. "
            f"Expected at least {ctx.get('min_length', 1)} item(s).",
            param=param,
            code="empty_array" if kind == "too_short" else "empty_string",
        )
    if kind in ("too_long", "string_too_long"):
        return RequestRejected(
            400,
            f"Invalid '{param}': too long. Expected at most {ctx.get('max_length')} item(s).",
            param=param,
            code="array_above_max_length" if kind == "too_long" else "string_above_max_length",
        )
    if kind in ("literal_error", "enum", "string_pattern_mismatch"):
        expected = ctx.get("expected") or ctx.get("pattern", "")
        return RequestRejected(
            400,
            f"Invalid value for '{param}': {value!r}. Expected {expected}.",
            param=param,
            code="invalid_value",
        )
    return RequestRejected(
        400, f"Invalid '{param}': {first['msg']}.", param=param or None, code="invalid_value"
    )


def validate_request(model: type[ModelT], body: object) -> ModelT:
    """Validate a decoded JSON body into ``model``.

    Raises:
        RequestRejected: 400 ``invalid_request_error`` naming the first bad field in ``param``.
    """
    if not isinstance(body, dict):
        raise RequestRejected(
            400,
            f"Invalid request body: expected a JSON object, but got {json_type_name(body)}.",
            code="invalid_type",
        )
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        raise _describe(exc.errors()) from None


def parse_json(raw: bytes) -> JSONValue:
    """``raw`` decoded as JSON.

    Raises:
        RequestRejected: 400 when it is not valid UTF-8 JSON (or nests too deep).
    """
    try:
        value: JSONValue = json.loads(raw)
    except (ValueError, RecursionError):
        raise RequestRejected(
            400,
            "We could not parse the JSON body of your request. (HINT: This likely means you "
            "aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, "
            "but what was sent was not valid JSON.)",
        ) from None
    return value


def validate_request_json(model: type[ModelT], raw: bytes) -> ModelT:
    """Validate a raw JSON body into ``model`` in one pass (no intermediate dict).

    A body that does not validate is decoded and validated again as a dict, so its error is
    exactly ``validate_request``'s.

    Raises:
        RequestRejected: 400 for a body that is not JSON, not an object, or not valid, naming
            the first bad field in ``param``.
    """
    try:
        return model.model_validate_json(raw)
    except ValidationError:
        pass
    return validate_request(model, parse_json(raw))
