"""``Turn``: the one request every API family is parsed into.

A route adapter reads its family's wire request (chat completions, legacy completions, the
Responses API, an Assistants run, Ollama's ``/api/chat`` and ``/api/generate``, embeddings)
and builds a ``Turn``; the engine, the matchers, the backends and the journal read the
``Turn``, never a family's raw body. ``body`` keeps the decoded JSON as sent (merged with the
family's chat form where there is one) for ``match.body`` and the templates' ``request``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Union

from mockgpt.models import CreateChatCompletionRequest, CreateCompletionRequest
from mockgpt.models.chat import ResponseFormatJSONSchema
from mockgpt.types import Endpoint, JSONObject

GenerationRequest = Union[CreateChatCompletionRequest, CreateCompletionRequest]


@dataclass(eq=False)
class Turn:
    """One request, as the engine and the backends see it.

    Attributes:
        endpoint: the API family, e.g. ``chat.completions``.
        request: the validated generation request (the chat form of a Responses, Assistants
            or Ollama request); None for a family that generates nothing (embeddings).
        raw: the request body as sent, bytes; ``body`` decodes it when first read.
        parsed: the decoded body when the adapter has it already (with ``messages`` in chat
            form where the family has its own input shape); None to decode ``raw`` lazily.
        headers: request headers, lower-case names.
        request_id: the ``x-request-id`` the response carries.
        choices: how many choices to answer (``n``; for legacy completions, prompts x n).
        model: the requested model.
        stream: whether the answer is streamed (SSE, or NDJSON for Ollama).
        max_tokens: the answer's token budget per choice (``max_tokens``,
            ``max_completion_tokens``, ``max_output_tokens``, ``num_predict``), None for none.
        stops: stop sequences; the answer ends before the first one.
        prompt_tokens: the prompt's size as the family counts it, in tokens.
        include_usage: a streamed answer ends with a usage chunk
            (``stream_options.include_usage``).
        quirks: the quirk names active for the answer (set by ``Engine.serve``).
    """

    endpoint: Endpoint
    request: GenerationRequest | None
    raw: bytes = b""
    parsed: JSONObject | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    request_id: str = ""
    choices: int = 1
    model: str = ""
    stream: bool = False
    max_tokens: int | None = None
    stops: tuple[str, ...] = ()
    prompt_tokens: int = 0
    include_usage: bool = False
    quirks: frozenset[str] = frozenset()

    @property
    def body(self) -> JSONObject:
        """The decoded JSON body (see ``parsed``); decoded once, when first read."""
        parsed = self.parsed
        if parsed is None:
            value = json.loads(self.raw) if self.raw else {}
            parsed = self.parsed = value if isinstance(value, dict) else {}
        return parsed

    @property
    def generation(self) -> GenerationRequest:
        """The validated generation request.

        Raises:
            TypeError: the family generates nothing (embeddings).
        """
        if self.request is None:
            raise TypeError(f"{self.endpoint} requests generate no answer")
        return self.request

    def response_schema(self) -> tuple[str, dict[str, Any] | None]:
        """The structured output asked for: (``text`` | ``json_object`` | ``json_schema``, schema).

        Reads the validated request's ``response_format`` (every family but legacy
        completions is validated in chat form, where the Responses API's ``text.format``,
        Ollama's ``format`` and a run's ``response_format`` become ``response_format``);
        otherwise the body's ``response_format`` or ``text.format``.
        """
        request = self.request
        if isinstance(request, CreateChatCompletionRequest):
            chosen = request.response_format
            if chosen is None:
                return "text", None
            if isinstance(chosen, ResponseFormatJSONSchema):
                return "json_schema", chosen.json_schema.schema_
            return chosen.type, None
        fmt = self.body.get("response_format")
        text = self.body.get("text")
        if fmt is None and isinstance(text, dict):
            fmt = text.get("format")
        if not isinstance(fmt, dict):
            return "text", None
        kind = str(fmt.get("type", "text"))
        spec = fmt.get("json_schema") if isinstance(fmt.get("json_schema"), dict) else fmt
        schema = spec.get("schema") if isinstance(spec, dict) else None
        return kind, schema if isinstance(schema, dict) else None

    @property
    def seed(self) -> int:
        """The request's ``seed``, 0 when none."""
        request = self.request
        seed = request.seed if request is not None else self.body.get("seed")
        return seed if isinstance(seed, int) and not isinstance(seed, bool) else 0
