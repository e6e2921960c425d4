"""Strict models of the wire objects, written from the OpenAPI description, and validation.

Required keys are required (a nullable required key must be present, ``null`` or not),
types are strict (``1.5`` is not an integer, ``"1"`` is not a number) and enums are closed.
Unknown keys are allowed: servers may add fields, and the API adds new ones.

Spec: ``components.schemas`` ``CreateChatCompletionResponse``,
``CreateChatCompletionStreamResponse``, ``ChatCompletionStreamResponseDelta``,
``ChatCompletionMessageToolCallChunk``, ``CompletionUsage``, ``ChatCompletionTokenLogprob``,
``CreateCompletionResponse``, ``CreateEmbeddingResponse``, ``Embedding``, ``Model``,
``ListModelsResponse``, ``Error``, ``ErrorResponse``.
"""

from __future__ import annotations

import fnmatch
import json
import typing
from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from conformance.failures import Level, Violation, combine
from conformance.http import Exchange

FinishReason = Literal["stop", "length", "tool_calls", "content_filter", "function_call"]
"""``finish_reason`` of a chat choice (spec enum)."""

LegacyFinishReason = Literal["stop", "length", "content_filter"]
"""``finish_reason`` of a legacy completion choice (spec enum)."""


class _Wire(BaseModel):
    model_config = ConfigDict(strict=True, extra="allow")


class FunctionCall(_Wire):
    """``function`` of a tool call: its name and its arguments as a JSON **string**."""

    name: str
    arguments: str


class ToolCall(_Wire):
    """``ChatCompletionMessageToolCall``."""

    id: str
    type: Literal["function"]
    function: FunctionCall


class TopLogprob(_Wire):
    """An alternative token of ``ChatCompletionTokenLogprob.top_logprobs``."""

    token: str
    logprob: float
    bytes: list[int] | None


class TokenLogprob(TopLogprob):
    """``ChatCompletionTokenLogprob``."""

    top_logprobs: list[TopLogprob]


class ChoiceLogprobs(_Wire):
    """``choices[].logprobs``: ``content`` and ``refusal`` are required keys."""

    content: list[TokenLogprob] | None
    refusal: list[TokenLogprob] | None


class Message(_Wire):
    """``ChatCompletionResponseMessage``: ``role``, ``content``, ``refusal`` are required keys."""

    role: Literal["assistant"]
    content: str | None
    refusal: str | None
    tool_calls: list[ToolCall] | None = None


class Choice(_Wire):
    """A choice of a non-streamed chat completion; ``finish_reason`` is never null."""

    index: int
    message: Message
    finish_reason: FinishReason
    logprobs: ChoiceLogprobs | None


class PromptTokensDetails(_Wire):
    """``CompletionUsage.prompt_tokens_details``."""

    cached_tokens: int | None = None
    audio_tokens: int | None = None


class CompletionTokensDetails(_Wire):
    """``CompletionUsage.completion_tokens_details``."""

    reasoning_tokens: int | None = None
    audio_tokens: int | None = None
    accepted_prediction_tokens: int | None = None
    rejected_prediction_tokens: int | None = None


class Usage(_Wire):
    """``CompletionUsage``, in tokens."""

    prompt_tokens: int
    completion_tokens: int
    total_tokens: int
    prompt_tokens_details: PromptTokensDetails | None = None
    completion_tokens_details: CompletionTokensDetails | None = None


class ChatCompletion(_Wire):
    """``CreateChatCompletionResponse``."""

    id: str
    object: Literal["chat.completion"]
    created: int
    model: str
    choices: list[Choice]
    usage: Usage | None = None
    system_fingerprint: str | None = None
    service_tier: str | None = None


class FunctionChunk(_Wire):
    """``function`` of a streamed tool-call fragment."""

    name: str | None = None
    arguments: str | None = None


class ToolCallChunk(_Wire):
    """``ChatCompletionMessageToolCallChunk``: only ``index`` is required."""

    index: int
    id: str | None = None
    type: Literal["function"] | None = None
    function: FunctionChunk | None = None


class Delta(_Wire):
    """``ChatCompletionStreamResponseDelta``."""

    role: Literal["developer", "system", "user", "assistant", "tool"] | None = None
    content: str | None = None
    refusal: str | None = None
    tool_calls: list[ToolCallChunk] | None = None


class ChunkChoice(_Wire):
    """A choice of a chunk: ``delta``, ``finish_reason`` (key present) and ``index``."""

    index: int
    delta: Delta
    finish_reason: FinishReason | None
    logprobs: ChoiceLogprobs | None = None


class ChatCompletionChunk(_Wire):
    """``CreateChatCompletionStreamResponse``: ``choices`` is always present (maybe empty)."""

    id: str
    object: Literal["chat.completion.chunk"]
    created: int
    model: str
    choices: list[ChunkChoice]
    usage: Usage | None = None
    system_fingerprint: str | None = None
    service_tier: str | None = None


class LegacyLogprobs(_Wire):
    """The legacy ``logprobs`` object of a completion choice."""

    tokens: list[str] | None = None
    token_logprobs: list[float | None] | None = None
    top_logprobs: list[dict[str, float] | None] | None = None
    text_offset: list[int] | None = None


class LegacyChoice(_Wire):
    """A choice of ``CreateCompletionResponse``."""

    text: str
    index: int
    logprobs: LegacyLogprobs | None
    finish_reason: LegacyFinishReason


class LegacyChunkChoice(LegacyChoice):
    """A choice of a streamed legacy completion: ``finish_reason`` null until the end."""

    finish_reason: LegacyFinishReason | None  # type: ignore[assignment]


class Completion(_Wire):
    """``CreateCompletionResponse`` (non-streamed)."""

    id: str
    object: Literal["text_completion"]
    created: int
    model: str
    choices: list[LegacyChoice]
    usage: Usage | None = None
    system_fingerprint: str | None = None


class CompletionChunk(Completion):
    """A streamed legacy completion: the same object, ``finish_reason`` nullable."""

    choices: list[LegacyChunkChoice]  # type: ignore[assignment]


class Embedding(_Wire):
    """``Embedding`` as floats (``encoding_format: float``)."""

    object: Literal["embedding"]
    index: int
    embedding: list[float]


class Base64Embedding(_Wire):
    """``Embedding`` with ``encoding_format: base64``: the vector as a base64 string."""

    object: Literal["embedding"]
    index: int
    embedding: str


class EmbeddingUsage(_Wire):
    """``CreateEmbeddingResponse.usage``."""

    prompt_tokens: int
    total_tokens: int


class EmbeddingList(_Wire):
    """``CreateEmbeddingResponse`` with float vectors."""

    object: Literal["list"]
    model: str
    data: list[Embedding]
    usage: EmbeddingUsage


class Model(_Wire):
    """``Model``."""

    id: str
    object: Literal["model"]
    created: int
    owned_by: str


class ModelList(_Wire):
    """``ListModelsResponse``."""

    object: Literal["list"]
    data: list[Model]


class ErrorObject(_Wire):
    """``Error``: all four keys required; ``param`` and ``code`` are strings or null."""

    message: str
    type: str
    param: str | None
    code: str | None


class ErrorResponse(_Wire):
    """``ErrorResponse``: ``{"error": Error}``."""

    error: ErrorObject


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
