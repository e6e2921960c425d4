"""``Turn``: the one request every API family is parsed into.

A route adapter validates its family's wire request once (chat completions, legacy
completions, the Responses API, an Assistants run, Ollama's ``/api/chat`` and
``/api/generate``, embeddings) and builds a ``Turn`` whose conversation, tools, tool choice
and output format are the canonical values of ``mockgpt.conversation``; the engine, the
matchers, the backends and the journal read the ``Turn``. ``body`` decodes the raw body as sent,
lazily, for ``match.body`` and the templates' ``request``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Union

from mockgpt.conversation import EMPTY, Message, OutputFormat, Prompt, Tool, ToolChoice
from mockgpt.models import CreateChatCompletionRequest, CreateCompletionRequest
from mockgpt.types import Endpoint, JSONObject

WIRE_MADE = frozenset(
    (
        "embeddings",
        "moderations",
        "images",
        "audio.speech",
        "audio.transcriptions",
        "audio.translations",
    )
)
"""The families whose answers their wires make (vectors, results, files), not events."""

GenerationRequest = Union[CreateChatCompletionRequest, CreateCompletionRequest]


@dataclass(eq=False)
class Turn:
    """One request, as the engine and the backends see it.

    Attributes:
        endpoint: the API family, e.g. ``chat.completions``.
        request: the validated wire request of chat and legacy completions (a proxy forwards
            it as sent); None for the other families, which are read only through the
            canonical fields below.
        raw: the request body as sent, bytes; ``body`` decodes it when first read.
        parsed: the decoded body when the adapter has it already; None to decode ``raw``.
        headers: request headers, lower-case names.
        request_id: the ``x-request-id`` the response carries.
        prompt: the conversation, tools, tool choice and output format (``messages``,
            ``tools``, ``tool_choice``, ``parallel_tool_calls`` and ``output`` read it).
        n: ``n`` as sent (1 when not).
        choices: how many choices to answer (``n``; for legacy completions, prompts x n).
        model: the requested model.
        stream: whether the answer is streamed (SSE, or NDJSON for Ollama).
        max_tokens: the answer's token budget per choice (``max_tokens``,
            ``max_completion_tokens``, ``max_output_tokens``, ``num_predict``), None for none.
        stops: stop sequences; the answer ends before the first one.
        seed: the request's ``seed`` (Ollama: ``options.seed``), 0 when none.
        temperature: the sampling temperature asked for, None when not given.
        metadata: ``metadata`` as sent, None when not.
        prompt_tokens: the prompt's size, in tokens (``prompt.tokens`` for every family but
            legacy completions and embeddings, which count their inputs).
        include_usage: a streamed answer ends with a usage chunk
            (``stream_options.include_usage``).
        quirks: the quirk names active for the answer (set by ``Engine.serve``).
    """

    endpoint: Endpoint
    request: GenerationRequest | None = None
    raw: bytes = b""
    parsed: JSONObject | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    request_id: str = ""
    prompt: Prompt = EMPTY
    n: int = 1
    choices: int = 1
    model: str = ""
    stream: bool = False
    max_tokens: int | None = None
    stops: tuple[str, ...] = ()
    seed: int = 0
    temperature: float | None = None
    metadata: Mapping[str, Any] | None = None
    prompt_tokens: int = 0
    include_usage: bool = False
    quirks: frozenset[str] = frozenset()

    @property
    def body(self) -> JSONObject:
        """The decoded JSON body as sent (see ``parsed``); decoded once, when first read."""
        parsed = self.parsed
        if parsed is None:
            value = json.loads(self.raw) if self.raw else {}
            parsed = self.parsed = value if isinstance(value, dict) else {}
        return parsed

    @property
    def messages(self) -> tuple[Message, ...]:
        """The conversation (``prompt.messages``)."""
        return self.prompt.messages

    @property
    def tools(self) -> tuple[Tool, ...]:
        """The functions offered (``prompt.tools``)."""
        return self.prompt.tools

    @property
    def tool_choice(self) -> ToolChoice | None:
        """``tool_choice`` as sent (``prompt.tool_choice``)."""
        return self.prompt.tool_choice

    @property
    def output(self) -> OutputFormat:
        """The structured output asked for (``prompt.output``)."""
        return self.prompt.output

    @property
    def generates(self) -> bool:
        """Whether the family's answer is events (not embeddings, moderations, images, audio)."""
        return self.endpoint not in WIRE_MADE

    @cached_property
    def last_user(self) -> str | None:
        """The text of the last ``user`` message; None when there is none."""
        for message in reversed(self.messages):
            if message.role == "user":
                return message.text
        return None

    @cached_property
    def system(self) -> str | None:
        """Every ``system`` and ``developer`` message (instructions first), joined by newlines."""
        texts = [m.text for m in self.messages if m.role in ("system", "developer")]
        return "\n".join(texts) if texts else None

    @cached_property
    def tool_names(self) -> list[str]:
        """The names of the offered functions, in order."""
        return [tool.name for tool in self.tools]
