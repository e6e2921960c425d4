"""The answer of a stub: ``Respond`` and its parts (errors, tool calls, chunking, usage, vectors).

Part of the scenario file format (``mockgpt.scenarios.schema``, which re-exports these names).
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from jinja2 import TemplateSyntaxError
from jinja2.sandbox import SandboxedEnvironment
from pydantic import (
    AfterValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    field_validator,
    model_validator,
)

from mockgpt.scenarios.lifecycle import LifecycleScript
from mockgpt.scenarios.media import ImageScript, ModerationScript, SpeechScript
from mockgpt.scenarios.reasoning import ReasoningScript
from mockgpt.scenarios.text_match import ScenarioModel, TextMatch
from mockgpt.types import FinishReason

_TEMPLATES = SandboxedEnvironment()
"""Parses content templates at load time, so a syntax error names its file and line."""


class ErrorSpec(ScenarioModel):
    """An HTTP error answer: status, the envelope's fields and headers.

    ``retry_after`` (seconds) and ``retry_after_ms`` set ``retry-after`` / ``retry-after-ms``;
    ``should_retry`` sets ``x-should-retry``; ``ratelimit`` adds ``x-ratelimit-<key>`` headers.
    """

    status: Annotated[int, Field(ge=400, le=599)] = 500
    message: str | None = None
    type: str | None = None
    code: str | None = None
    param: str | None = None
    headers: dict[str, str] = Field(default_factory=dict)
    retry_after: Annotated[float, Field(ge=0)] | None = None
    retry_after_ms: Annotated[float, Field(ge=0)] | None = None
    should_retry: bool | None = None
    ratelimit: dict[str, str] = Field(default_factory=dict)


class ToolCallSpec(ScenarioModel):
    """One scripted tool call; ``arguments`` as an object or a JSON string.

    ``chunks`` gives the exact argument deltas of a stream (a recording keeps the upstream's);
    joined, they are the arguments. Without it, the arguments stream token by token.
    """

    name: str
    arguments: dict[str, Any] | str = Field(default_factory=dict)
    id: str | None = None
    chunks: list[str] | None = Field(
        default=None, description="the exact argument deltas; joined they are the arguments"
    )

    @model_validator(mode="after")
    def _chunks_join(self) -> ToolCallSpec:
        if self.chunks is None:
            return self
        joined = "".join(self.chunks)
        if isinstance(self.arguments, str):
            same = joined == self.arguments
        else:
            try:
                same = json.loads(joined) == self.arguments
            except ValueError:
                same = False
        if not same:
            raise ValueError("chunks, joined, must be the arguments")
        return self


class Chunking(ScenarioModel):
    """How text is split into stream deltas: one of ``chars``, ``tokens`` or ``chunks``."""

    chars: Annotated[int, Field(ge=1)] | None = None
    tokens: Annotated[int, Field(ge=1)] | None = None
    chunks: list[str] | None = Field(
        default=None, description="the exact deltas; joined they replace the content"
    )

    @model_validator(mode="after")
    def _one(self) -> Chunking:
        given = [k for k in ("chars", "tokens", "chunks") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of chars, tokens, chunks")
        return self


class UsageSpec(ScenarioModel):
    """Usage override, in tokens."""

    prompt_tokens: Annotated[int, Field(ge=0)] | None = None
    completion_tokens: Annotated[int, Field(ge=0)] | None = None


FLOAT32_MAX = 3.4028234663852886e38
"""The largest finite float32: embeddings are sent as float32 numbers."""


def _float32(value: float) -> float:
    if not abs(value) <= FLOAT32_MAX:  # NaN and infinities too
        raise ValueError(f"must be a finite number a float32 can hold, got {value!r}")
    return value


Vector = Annotated[list[Annotated[float, AfterValidator(_float32)]], Field(min_length=1)]
"""One embedding vector: finite numbers a float32 can hold (|x| <= ``FLOAT32_MAX``)."""


def _map_or_list(value: Any) -> str:
    """The union member of a value that is a map or a list, so errors name only that one."""
    return "list" if isinstance(value, list) else "map"


class EmbeddingScript(ScenarioModel):
    """Scripted embeddings (``respond.embedding``): which vector each input text gets.

    Each input takes the first of these that covers it: ``vectors`` (fixed vectors: a map from
    input text to vector, or a list of one vector per input, in order), ``keys`` (a key name
    -> the texts that get its vector: a text condition, or a list of them of which any may
    hold; the first key that holds wins) and ``key`` (every other input). Texts with the same
    key get vectors with cosine similarity above 0.99, with different keys near 0; an input
    none of them covers gets its usual vector.
    """

    vectors: (
        Annotated[
            Annotated[dict[str, Vector], Tag("map")]
            | Annotated[Annotated[list[Vector], Field(min_length=1)], Tag("list")],
            Discriminator(_map_or_list),
        ]
        | None
    ) = Field(default=None, description="input text -> vector, or one vector per input")
    keys: (
        dict[
            str,
            Annotated[
                Annotated[TextMatch, Tag("map")] | Annotated[list[TextMatch], Tag("list")],
                Discriminator(_map_or_list),
            ],
        ]
        | None
    ) = Field(default=None, description="key name -> the input texts that get its vector")
    key: str | None = Field(default=None, description="the key of every other input")

    @field_validator("vectors")
    @classmethod
    def _one_length(cls, vectors: dict[str, Vector] | list[Vector] | None) -> Any:
        listed = list(vectors.values() if isinstance(vectors, dict) else vectors or ())
        lengths = sorted({len(v) for v in listed})
        if len(lengths) > 1:
            raise ValueError(f"vectors must all have the same length, got lengths {lengths}")
        return vectors

    @model_validator(mode="after")
    def _covers_inputs(self) -> EmbeddingScript:
        if isinstance(self.vectors, list) and (self.keys is not None or self.key is not None):
            raise ValueError("a list of vectors answers every input: keys and key never apply")
        if self.vectors is None and self.keys is None and self.key is None:
            raise ValueError("give at least one of vectors, keys, key")
        return self


class Respond(ScenarioModel):
    """One answer.

    ``content`` is a template (Jinja2, sandboxed) over ``last_user``, ``messages``, ``model``,
    ``call_count`` and ``request``. ``json`` gives structured output: a literal value, or
    ``"from_schema"`` for a value generated from the request's ``response_format`` schema
    (deterministic for a given ``seed``). ``embedding``, ``moderation``, ``image`` and ``speech``
    script those families' answers. ``error`` makes the answer an HTTP error.
    """

    content: str | None = None
    tool_calls: list[ToolCallSpec] | None = None
    refusal: str | None = None
    json_: Any = Field(default=None, alias="json")
    finish_reason: FinishReason | None = None
    usage: UsageSpec | None = None
    model: str | None = Field(default=None, description="the model name the answer reports")
    chunking: Chunking | None = None
    embedding: EmbeddingScript | None = None
    moderation: ModerationScript | None = None
    image: ImageScript | None = None
    speech: SpeechScript | None = None
    error: ErrorSpec | None = None
    reasoning: ReasoningScript | None = None
    lifecycle: LifecycleScript | None = None

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @field_validator("content")
    @classmethod
    def _check_template(cls, content: str | None) -> str | None:
        if content is not None and "{" in content:
            try:
                _TEMPLATES.parse(content)
            except TemplateSyntaxError as exc:
                raise ValueError(f"invalid template (line {exc.lineno}): {exc.message}") from None
        return content

    @model_validator(mode="after")
    def _one_kind(self) -> Respond:
        if self.error is not None and any(
            v is not None
            for v in (self.content, self.tool_calls, self.refusal, self.json_, self.embedding)
        ):
            raise ValueError(
                "an error answer cannot also have content, tool_calls, refusal, json or embedding"
            )
        if self.content is not None and self.json_ is not None:
            raise ValueError("give content or json, not both")
        return self
