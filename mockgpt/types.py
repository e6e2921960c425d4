"""Shared type aliases: JSON values and the wire enums of the OpenAI API."""

from __future__ import annotations

from typing import Literal, TypeAlias, Union

JSONValue: TypeAlias = Union[str, int, float, bool, "list[JSONValue]", "dict[str, JSONValue]", None]
"""Any value a JSON document can hold."""

JSONObject: TypeAlias = "dict[str, JSONValue]"
"""A JSON object, as a request or response body is."""

FinishReason = Literal["stop", "length", "tool_calls", "content_filter"]
"""Why a choice ended (``CreateChatCompletionResponse.choices[].finish_reason``)."""

FINISH_REASONS: tuple[FinishReason, ...] = ("stop", "length", "tool_calls", "content_filter")

Endpoint = Literal[
    "chat.completions",
    "completions",
    "embeddings",
    "responses",
    "assistants",
    "ollama",
    "realtime",
    "batches",
    "moderations",
    "images",
    "audio.speech",
    "audio.transcriptions",
    "audio.translations",
]
"""The API family a request was sent to; a stub can match on it."""
