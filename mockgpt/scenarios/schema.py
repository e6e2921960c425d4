"""The scenario file format: ``Scenario`` -> ``Stub`` -> ``Match`` / ``Respond`` / ``Fault``.

A scenario is an ordered list of stubs; the first stub whose ``match`` holds answers, and
the scenario's ``fallback`` answers the rest. ``mockgpt schema`` prints this format as JSON
Schema for editors.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import (
    AfterValidator,
    ConfigDict,
    Field,
    WithJsonSchema,
    model_validator,
)

from mockgpt.quirks import QUIRKS
from mockgpt.scenarios.respond import (  # re-exported: part of the format
    Chunking as Chunking,
)
from mockgpt.scenarios.respond import (
    EmbeddingScript as EmbeddingScript,
)
from mockgpt.scenarios.respond import (
    ErrorSpec as ErrorSpec,
)
from mockgpt.scenarios.respond import (
    Respond as Respond,
)
from mockgpt.scenarios.respond import (
    ToolCallSpec as ToolCallSpec,
)
from mockgpt.scenarios.respond import (
    UsageSpec as UsageSpec,
)
from mockgpt.scenarios.text_match import ScenarioModel
from mockgpt.scenarios.text_match import TextMatch as TextMatch  # re-exported: part of the format
from mockgpt.types import Endpoint as Endpoint  # re-exported: part of the format


def _known_quirk(name: str) -> str:
    if name not in QUIRKS:
        raise ValueError(f"unknown quirk {name!r}; known: {', '.join(sorted(QUIRKS))}")
    return name


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
