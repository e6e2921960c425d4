"""Strict models of the wire objects, written from the OpenAPI description.

Required keys are required (a nullable required key must be present, ``null`` or not),
types are strict (``1.5`` is not an integer, ``"1"`` is not a number) and enums are closed.
Unknown keys are allowed: servers may add fields, and the API adds new ones.

Spec: ``components.schemas`` ``CreateChatCompletionResponse``,
``CreateChatCompletionStreamResponse``, ``ChatCompletionStreamResponseDelta``,
``ChatCompletionMessageToolCallChunk``, ``CompletionUsage``, ``ChatCompletionTokenLogprob``,
``CreateCompletionResponse``, ``CreateEmbeddingResponse``, ``Embedding``, ``Model``,
``ListModelsResponse``, ``Error``, ``ErrorResponse``. ``conformance.validation`` validates
decoded JSON against them.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

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
