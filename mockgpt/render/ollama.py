"""Events -> Ollama's native API: ``/api/chat`` and ``/api/generate`` objects.

Spec: Ollama ``docs/api.md``, "Generate a completion" and "Generate a chat completion"; field
order as in Ollama's ``api/types.go`` (the models' descriptions are ``render.ollama_models``).
Durations are nanoseconds (the doc's "Durations" convention); ``created_at`` is RFC 3339 with
nanoseconds, as Go's ``time.RFC3339Nano`` writes it.

A stream is NDJSON: one object per line, ``done: false`` while text comes, then one object with
``done: true``, ``done_reason`` and the metrics. Tool calls go out whole (their ``arguments``
are a JSON object, not a string), all in one line when the answer finishes, as Ollama sends
them once its parser has seen the complete calls. One renderer serves both modes: with
``stream=False`` nothing is sent until ``close``, whose object holds the whole message.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from mockgpt import ids
from mockgpt.events import (
    Event,
    Finish,
    ReasoningDelta,
    Refusal,
    TextDelta,
    ToolCallDelta,
    Usage,
)
from mockgpt.sse import dumps
from mockgpt.tokens import split_tokens
from mockgpt.types import JSONObject, JSONValue

OLLAMA_VERSION = "0.12.6"
"""The version ``GET /api/version`` reports: a recent Ollama whose API this module follows."""

NDJSON_MEDIA_TYPE = "application/x-ndjson"
"""``Content-Type`` of a streamed Ollama answer."""

DEFAULT_KEEP_ALIVE_S = 300.0
"""How long Ollama keeps a model loaded after a request without ``keep_alive``: 5 minutes."""

_VOCAB_SIZE = 128_256


def rfc3339_nano(ns: int) -> str:
    """Unix time ``ns`` (nanoseconds) as Go's ``time.RFC3339Nano`` in UTC.

    ``2024-05-01T12:00:00.1234567Z``: trailing zeros of the fraction are dropped, and a whole
    second has no fraction.
    """
    seconds, fraction = divmod(ns, 1_000_000_000)
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))
    digits = f"{fraction:09d}".rstrip("0")
    return f"{stamp}.{digits}Z" if digits else f"{stamp}Z"


def ndjson_line(value: JSONValue) -> bytes:
    r"""One NDJSON line: compact JSON and ``\n``."""
    return dumps(value) + b"\n"


def context_ids(text: str) -> list[int]:
    """Token ids standing for ``text`` in ``/api/generate``'s ``context``: one per token piece.

    Deterministic (a hash of each piece) and of the length the usage counts.
    """
    return [
        int.from_bytes(hashlib.sha256(piece.encode("utf-8", "surrogatepass")).digest()[:4], "big")
        % _VOCAB_SIZE
        for piece in split_tokens(text)
    ]


@dataclass(frozen=True)
class OllamaMeta:
    """What every object of one answer shares.

    Attributes:
        model: the model name reported back.
        kind: ``chat`` (``message`` objects) or ``generate`` (``response`` text).
        started_ns: ``time.perf_counter_ns()`` when the request arrived; durations count from it.
        context_prompt: for ``generate``, the prompt text that ``context`` encodes before the
            answer; None for no ``context`` (chat, or ``raw`` mode).
    """

    model: str
    kind: Literal["chat", "generate"]
    started_ns: int
    context_prompt: str | None = None


@dataclass
class _Call:
    id: str | None = None
    name: str = ""
    arguments: list[str] = field(default_factory=list)


class OllamaRenderer:
    """Turns one answer's events into ``/api/chat`` or ``/api/generate`` objects.

    Args:
        meta: what the objects share.
        stream: True: ``feed`` returns the lines to send; False: only ``close`` returns one
            object holding the whole answer.
        clock: monotonic nanoseconds, for the durations.
        wall: Unix time in nanoseconds, for ``created_at``.
    """

    def __init__(
        self,
        meta: OllamaMeta,
        *,
        stream: bool,
        clock: Callable[[], int] = time.perf_counter_ns,
        wall: Callable[[], int] = ids.now_ns,
    ) -> None:
        self.meta = meta
        self.stream = stream
        self.clock = clock
        self.wall = wall
        self._ready_ns = clock()
        self._first_ns: int | None = None
        self._text: list[str] = []
        self._calls: dict[int, _Call] = {}
        self._tool_calls: list[JSONValue] = []
        self._reason = "stop"
        self._usage = Usage(0, 0)

    def _object(
        self, text: str, *, done: bool, tool_calls: list[JSONValue] | None = None
    ) -> JSONObject:
        out: JSONObject = {"model": self.meta.model, "created_at": rfc3339_nano(self.wall())}
        if self.meta.kind == "chat":
            message: JSONObject = {"role": "assistant", "content": text}
            if tool_calls:
                message["tool_calls"] = tool_calls
            out["message"] = message
        else:
            out["response"] = text
        if not done:
            out["done"] = False
        return out

    def _tick(self) -> None:
        if self._first_ns is None:
            self._first_ns = self.clock()

    def _text_out(self, text: str) -> list[JSONObject]:
        if not text:
            return []
        self._tick()
        self._text.append(text)
        return [self._object(text, done=False)] if self.stream else []

    def _flush_calls(self) -> list[JSONObject]:
        """The tool calls gathered so far, as Ollama tool calls (and their text line).

        A call whose arguments are not a JSON object goes out as text, as Ollama sends a call
        its parser could not read; ``generate`` has no tool calls, so there every call is text.
        """
        calls, self._calls = self._calls, {}
        ready: list[JSONValue] = []
        text: list[str] = []
        for index, call in sorted(calls.items()):
            raw = "".join(call.arguments)
            try:
                arguments = json.loads(raw) if raw.strip() else {}
            except ValueError:
                arguments = None
            if not isinstance(arguments, dict):
                text.append(raw)
            elif self.meta.kind == "generate":
                text.append(dumps({"name": call.name, "arguments": arguments}).decode())
            else:
                function: JSONObject = {"index": index, "name": call.name, "arguments": arguments}
                ready.append(
                    {"id": call.id, "function": function} if call.id else {"function": function}
                )
        out = self._text_out("".join(text))
        if ready:
            self._tool_calls.extend(ready)
            if self.stream:
                out.append(self._object("", done=False, tool_calls=ready))
        return out

    def feed(self, event: Event) -> list[JSONObject]:
        """The lines to send for ``event`` (none when not streaming)."""
        if isinstance(event, Usage):
            self._usage = event
            return []
        if event.choice != 0 or isinstance(event, ReasoningDelta):
            return []  # Ollama answers one choice, without reasoning
        if isinstance(event, TextDelta | Refusal):
            return self._text_out(event.text)  # Ollama has no refusal field: it is content
        if isinstance(event, ToolCallDelta):
            self._tick()
            call = self._calls.setdefault(event.index, _Call())
            call.id = call.id or event.id
            call.name = call.name or event.name or ""
            call.arguments.append(event.arguments)
            return []
        assert isinstance(event, Finish)
        self._reason = "length" if event.reason == "length" else "stop"
        return self._flush_calls()

    def close(self) -> list[JSONObject]:
        """The last lines: open tool calls, then the ``done: true`` object with the metrics.

        Metrics (Ollama ``Metrics``): ``prompt_eval_count`` / ``eval_count`` are the usage's
        prompt / completion tokens; ``load_duration`` runs from the request to the answer's
        start, ``prompt_eval_duration`` to its first token, ``eval_duration`` from there to
        now, and ``total_duration`` is the whole; all nanoseconds, each at least 1.
        """
        out = self._flush_calls()
        end_ns = self.clock()
        first = self._first_ns if self._first_ns is not None else end_ns
        load = max(self._ready_ns - self.meta.started_ns, 1)
        prompt_eval = max(first - self._ready_ns, 1)
        evaluation = max(end_ns - first, 1)
        total = max(end_ns - self.meta.started_ns, load + prompt_eval + evaluation)
        text = "" if self.stream else "".join(self._text)
        final = self._object(text, done=True, tool_calls=None if self.stream else self._tool_calls)
        if self.meta.kind == "chat":
            final["done_reason"] = self._reason
            final["done"] = True
        else:
            final["done"] = True
            final["done_reason"] = self._reason
            if self.meta.context_prompt is not None:
                ids: list[JSONValue] = [*context_ids(self.meta.context_prompt)]
                ids += context_ids("".join(self._text))
                final["context"] = ids
        final["total_duration"] = total
        final["load_duration"] = load
        final["prompt_eval_count"] = max(self._usage.prompt_tokens, 0)
        final["prompt_eval_duration"] = prompt_eval
        final["eval_count"] = max(self._usage.completion_tokens, 0)
        final["eval_duration"] = evaluation
        out.append(final)
        return out
