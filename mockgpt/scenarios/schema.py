"""The scenario file format: ``Scenario`` -> ``Stub`` -> ``Match`` / ``Respond`` / ``Fault``.

A scenario is an ordered list of stubs; the first stub whose ``match`` holds answers, and
the scenario's ``fallback`` answers the rest. ``mockgpt schema`` prints this format as JSON
Schema for editors.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal, Union

from jinja2 import TemplateSyntaxError
from jinja2.sandbox import SandboxedEnvironment
from pydantic import (
    AfterValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from mockgpt.quirks import QUIRKS
from mockgpt.scenarios.media import ImageScript, ModerationScript, SpeechScript
from mockgpt.scenarios.reasoning import ReasoningScript
from mockgpt.scenarios.text_match import ScenarioModel
from mockgpt.scenarios.text_match import TextMatch as TextMatch  # re-exported: part of the format
from mockgpt.types import Endpoint as Endpoint  # re-exported: part of the format
from mockgpt.types import FinishReason


def _known_quirk(name: str) -> str:
    if name not in QUIRKS:
        raise ValueError(f"unknown quirk {name!r}; known: {', '.join(sorted(QUIRKS))}")
    return name


_TEMPLATES = SandboxedEnvironment()
"""Parses content templates at load time, so a syntax error names its file and line."""

QuirkName = Annotated[
    str,
    AfterValidator(_known_quirk),
    WithJsonSchema({"type": "string", "enum": sorted(QUIRKS)}),
]
"""A quirk's name (``mockgpt.quirks.QUIRKS``); ``mockgpt quirks`` lists them."""


class MessageMatch(ScenarioModel):
    """A condition on one message, chosen by ``index`` (negative from the end) or ``role``."""

    role: str | None = None
    index: int | None = None
    content: TextMatch | None = None


class ToolResultMatch(ScenarioModel):
    """A tool result in the conversation (role ``tool``), by call id or function name."""

    tool_call_id: str | None = None
    name: str | None = Field(default=None, description="the function whose call it answers")
    content: TextMatch | None = None


class Match(ScenarioModel):
    """When a stub answers: every condition given must hold (an empty match always holds)."""

    endpoint: Endpoint | list[Endpoint] | None = None
    model: str | None = Field(default=None, description="exact name or glob (gpt-4o*)")
    last_user: TextMatch | None = Field(
        default=None, description="the last user message (for legacy completions: the prompt)"
    )
    any_message: TextMatch | None = None
    system: TextMatch | None = Field(default=None, description="the system/developer message")
    messages: list[MessageMatch] | None = None
    tools: list[str] | None = Field(default=None, description="names of tools that must be offered")
    tool_choice: str | None = Field(
        default=None, description="none, auto, required, or the forced function's name"
    )
    tool_result: ToolResultMatch | None = None
    response_format: Literal["text", "json_object", "json_schema"] | None = None
    stream: bool | None = None
    n: int | None = None
    headers: dict[str, TextMatch] | None = None
    metadata: dict[str, str] | None = None
    body: dict[str, Any] | None = Field(
        default=None, description="a JSON subset the request body must contain"
    )


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


class Fault(ScenarioModel):
    """What goes wrong with an answer. Stream faults count SSE data events sent (``after_chunks``).

    Attributes:
        delay_ms: wait before the response starts, milliseconds.
        reset: send the headers, then close the connection.
        http_error: replace the answer with this HTTP error.
        drop_after_chunks: close the connection after this many events.
        stall_after_chunks: stop sending after this many events, for ``stall_ms``.
        stall_ms: how long a stall lasts, milliseconds (default: one hour).
        error_after_chunks: after this many events, send an error event and end.
        error_event: the error sent by ``error_after_chunks``.
        malformed_after_chunks: after this many events, send a truncated JSON event and end.
    """

    delay_ms: Annotated[float, Field(ge=0)] = 0
    reset: bool = False
    http_error: ErrorSpec | None = None
    drop_after_chunks: Annotated[int, Field(ge=0)] | None = None
    stall_after_chunks: Annotated[int, Field(ge=0)] | None = None
    stall_ms: Annotated[float, Field(ge=0)] = 3_600_000
    error_after_chunks: Annotated[int, Field(ge=0)] | None = None
    error_event: ErrorSpec | None = None
    malformed_after_chunks: Annotated[int, Field(ge=0)] | None = None

    @model_validator(mode="after")
    def _one_break(self) -> Fault:
        breaks = [
            k
            for k in (
                "http_error",
                "drop_after_chunks",
                "stall_after_chunks",
                "error_after_chunks",
                "malformed_after_chunks",
            )
            if getattr(self, k) is not None
        ]
        if self.reset:
            breaks.append("reset")
        if len(breaks) > 1:
            raise ValueError(f"give at most one of {', '.join(breaks)}")
        return self


class Pacing(ScenarioModel):
    """Stream pacing: time to first token (ms) and tokens per second after it."""

    ttft_ms: Annotated[float, Field(ge=0)] | None = None
    tokens_per_second: Annotated[float, Field(gt=0)] | None = None


class Stub(ScenarioModel):
    """A scripted answer and when it applies.

    Give ``respond`` (one answer) or ``sequence`` (successive matching calls get successive
    answers; after the last, ``on_exhausted``: ``repeat`` the last, ``cycle``, or ``fail``).
    ``expect`` marks a stub that must be used (``true``: at least once; a number: exactly).
    """

    id: str | None = None
    match: Match = Field(default_factory=Match)
    respond: Respond | None = None
    sequence: Annotated[list[Respond], Field(min_length=1)] | None = None
    on_exhausted: Literal["repeat", "cycle", "fail"] = "repeat"
    fault: Fault | None = None
    pacing: Pacing | None = None
    quirks: list[QuirkName] = Field(default_factory=list)
    expect: bool | Annotated[int, Field(ge=0)] | None = None

    @model_validator(mode="after")
    def _answer(self) -> Stub:
        if (self.respond is None) == (self.sequence is None):
            if self.respond is None and self.fault is not None:
                return self  # a fault alone replaces the answer
            raise ValueError("give exactly one of respond, sequence")
        return self


class Chaos(ScenarioModel):
    """Random faults, reproducible: the same ``seed`` and request order give the same faults."""

    rate: Annotated[float, Field(ge=0, le=1)]
    faults: Annotated[list[Fault], Field(min_length=1)]
    seed: int = 0


class Defaults(ScenarioModel):
    """Settings for every stub of the scenario."""

    model: str | None = Field(default=None, description="the model name answers report")
    ttft_ms: Annotated[float, Field(ge=0)] | None = None
    tokens_per_second: Annotated[float, Field(gt=0)] | None = None


Fallback = Literal["echo", "lorem", "error", "proxy"]


class Scenario(ScenarioModel):
    """A scenario file: ordered stubs, defaults, quirks, chaos and the fallback."""

    name: str = "scenario"
    description: str | None = None
    defaults: Defaults = Field(default_factory=Defaults)
    quirks: list[QuirkName] = Field(default_factory=list)
    chaos: Chaos | None = None
    stubs: list[Stub] = Field(default_factory=list)
    fallback: Fallback = "echo"
    seed: int | None = Field(default=None, description="Reproducible ids and timestamps.")

    model_config = ConfigDict(extra="forbid", frozen=True, title="mockgpt scenario")


AnyAnswer = Union[Respond, Fault]
