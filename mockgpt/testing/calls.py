"""The journal as a test reads it: ``Call`` (one request and its response) and ``StubRef``.

``MockGPT.journal`` and ``MockGPT.calls`` return ``Call``s; ``MockGPT.stub`` returns a
``StubRef``. The message and summary helpers here also write the requests into failure
messages (``mockgpt.testing.assertions``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

from mockgpt.journal import JournalEntry, endpoint_of
from mockgpt.scenarios.matchers import BodyRequest, MatchView, text_of

if TYPE_CHECKING:
    from mockgpt.testing.handle import MockGPT

_SHOWN_MESSAGES = 8

ENDPOINTS = (
    "chat.completions",
    "completions",
    "embeddings",
    "responses",
    "conversations",
    "assistants",
    "ollama",
    "models",
    "realtime",
    "files",
    "batches",
    "moderations",
    "images",
    "audio.speech",
    "audio.transcriptions",
    "audio.translations",
)
"""The API families a ``Call.endpoint`` names: the stub ``endpoint`` names, and
``conversations``, ``models`` and ``files`` (whose requests no stub answers)."""


def _short(value: Any, limit: int = 80) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return repr(text) if isinstance(value, str) else text


class Call:
    """One request to the mock and its response, from the journal.

    Attributes:
        entry: the raw ``JournalEntry`` (bytes in and out, timings, flags).
        index: 1-based position in the test's journal.
    """

    def __init__(self, entry: JournalEntry, index: int) -> None:
        self.entry = entry
        self.index = index

    def __repr__(self) -> str:
        return f"<Call {self.index}: {self.method} {self.path} -> {self.status}>"

    @property
    def method(self) -> str:
        """HTTP method, e.g. ``POST``."""
        return self.entry.method

    @property
    def path(self) -> str:
        """URL path, e.g. ``/v1/chat/completions``."""
        return self.entry.path

    @property
    def endpoint(self) -> str | None:
        """API family, one of ``ENDPOINTS``, e.g. ``chat.completions``; None for other paths."""
        return endpoint_of(self.path)

    @property
    def headers(self) -> dict[str, str]:
        """Request headers, lower-case names (``authorization`` is masked)."""
        return self.entry.headers

    @property
    def stub(self) -> str | None:
        """Id of the stub that answered; None when the fallback did, or no stub was asked."""
        return self.entry.stub

    @property
    def fallback(self) -> bool:
        """Whether the fallback answered: the stubs were asked and none matched.

        False when a stub answered, and for requests the stubs are never asked about
        (``/v1/models``, stored responses, threads and messages, a body rejected as invalid).
        """
        return self.entry.fallback

    @property
    def misses(self) -> dict[str, str]:
        """Stub id -> why it did not match, for each stub tried before an answer was chosen."""
        return self.entry.misses

    @property
    def status(self) -> int:
        """Response status (0 if the response never started)."""
        return self.entry.status

    @property
    def stream(self) -> bool:
        """Whether the response was an SSE stream."""
        return self.entry.stream

    @cached_property
    def body(self) -> dict[str, Any]:
        """The request body as JSON (``{}`` when it is not a JSON object)."""
        value = self.entry.json  # None when not JSON, or nested too deep to decode
        return value if isinstance(value, dict) else {}

    @property
    def model(self) -> str | None:
        """The requested ``model``."""
        model = self.body.get("model")
        return model if isinstance(model, str) else None

    @cached_property
    def _view(self) -> MatchView:
        """The request as stub matchers read it (from its body, after the fact)."""
        return MatchView(BodyRequest(self.endpoint or "", self.body, self.headers))

    @property
    def messages(self) -> list[dict[str, Any]]:
        """The request's chat ``messages``, as sent.

        A legacy or Ollama ``prompt`` and a Responses ``input`` (a string, or a list of
        strings) become user messages.
        """
        messages = self.body.get("messages")
        if isinstance(messages, list):
            return [m for m in messages if isinstance(m, dict)]
        prompt = self.body.get("input" if self.endpoint == "responses" else "prompt")
        prompts = [prompt] if isinstance(prompt, str) else prompt
        if not isinstance(prompts, list):
            return []
        return [{"role": "user", "content": p} for p in prompts if isinstance(p, str)]

    @property
    def last_user(self) -> str | None:
        """Text of the last user message, or None."""
        for message in reversed(self.messages):
            if message.get("role") == "user":
                return text_of(message.get("content"))
        return None

    @property
    def tools(self) -> list[str]:
        """Names of the tools the request offered."""
        names = []
        for tool in self.body.get("tools") or ():
            if isinstance(tool, dict):
                function = tool.get("function")
                name = function.get("name") if isinstance(function, dict) else tool.get("name")
                if isinstance(name, str):
                    names.append(name)
        return names

    @property
    def tool_results(self) -> list[dict[str, Any]]:
        """The ``tool`` messages sent, each with the ``name`` of the function it answers.

        Each item: ``{"tool_call_id", "name", "content"}`` (``name`` None when the request
        does not hold the assistant message that made the call).
        """
        names: dict[str, str] = {}
        for message in self.messages:
            for call in message.get("tool_calls") or ():
                if isinstance(call, dict) and isinstance(call.get("function"), dict):
                    names[str(call.get("id"))] = str(call["function"].get("name"))
        return [
            {
                "tool_call_id": m.get("tool_call_id"),
                "name": names.get(str(m.get("tool_call_id"))),
                "content": text_of(m.get("content")),
            }
            for m in self.messages
            if m.get("role") == "tool"
        ]

    @cached_property
    def response(self) -> dict[str, Any] | None:
        """The response body as JSON; None for a stream or a body that is not JSON."""
        if self.stream:
            return None
        try:
            value = json.loads(self.entry.response_body)
        except ValueError:
            return None
        return value if isinstance(value, dict) else None

    @cached_property
    def chunks(self) -> list[dict[str, Any]]:
        """The JSON ``data:`` events of a streamed response (``[DONE]`` left out)."""
        chunks = []
        for event in self.entry.response_body.split(b"\n\n"):
            for line in event.splitlines():
                if line.startswith(b"data:"):
                    data = line[5:].strip()
                    if data and data != b"[DONE]":
                        try:
                            value = json.loads(data)
                        except ValueError:
                            continue
                        if isinstance(value, dict):
                            chunks.append(value)
        return chunks

    @property
    def error(self) -> dict[str, Any] | None:
        """The ``error`` object of an error response, or None."""
        body = self.response
        error = body.get("error") if body is not None else None
        return error if isinstance(error, dict) else None

    @property
    def text(self) -> str | None:
        """The answer's text (first choice): ``message.content``, or the stream's deltas joined."""
        if self.stream:
            parts = []
            for chunk in self.chunks:
                for choice in _first_choices(chunk):
                    delta = choice.get("delta")
                    piece = delta.get("content") if isinstance(delta, dict) else choice.get("text")
                    if isinstance(piece, str):
                        parts.append(piece)
            return "".join(parts) if parts else None
        for choice in _first_choices(self.response or {}):
            message = choice.get("message")
            content = message.get("content") if isinstance(message, dict) else choice.get("text")
            return content if isinstance(content, str) else None
        return None

    @property
    def tool_calls(self) -> list[dict[str, Any]]:
        """The answer's tool calls (first choice): ``{"id", "name", "arguments"}`` each.

        ``arguments`` is the JSON string as sent; for a stream, the fragments joined.
        """
        calls: dict[int, dict[str, Any]] = {}
        if self.stream:
            for chunk in self.chunks:
                for choice in _first_choices(chunk):
                    delta = choice.get("delta")
                    for part in (
                        delta.get("tool_calls") if isinstance(delta, dict) else None
                    ) or ():
                        call = calls.setdefault(
                            int(part.get("index") or 0), {"id": None, "name": "", "arguments": ""}
                        )
                        call["id"] = part.get("id") or call["id"]
                        function = part.get("function") or {}
                        call["name"] += function.get("name") or ""
                        arguments = function.get("arguments") or ""
                        call["arguments"] += (
                            arguments if isinstance(arguments, str) else json.dumps(arguments)
                        )
            return [calls[i] for i in sorted(calls)]
        for choice in _first_choices(self.response or {}):
            message = choice.get("message")
            for call in (message.get("tool_calls") if isinstance(message, dict) else None) or ():
                function = call.get("function") or {}
                calls[len(calls)] = {
                    "id": call.get("id"),
                    "name": function.get("name"),
                    "arguments": function.get("arguments"),
                }
        return list(calls.values())

    @property
    def unmatched(self) -> bool:
        """Whether no stub matched and the fallback answered, stubs loaded or not."""
        return self.stub is None and self.fallback

    def summary(self) -> str:
        """One line: ``1. POST /v1/chat/completions -> 200 by weather, last user: 'hi'``.

        ``by the fallback`` when no stub matched; nothing when no stub was asked.
        """
        line = f"{self.index}. {self.method} {self.path} -> {self.status}"
        if self.stub is not None:
            line += f" by {self.stub}"
        elif self.fallback:
            line += " by the fallback"
        if self.last_user is not None:
            line += f", last user: {_short(self.last_user, 60)}"
        return line

    def describe(self, indent: str = "  ") -> str:
        """What was sent: model, messages (the last few), tools, as indented lines."""
        lines = []
        if self.model is not None:
            lines.append(f"model: {self.model}")
        messages = self.messages
        if messages:
            lines.append("messages:")
            if len(messages) > _SHOWN_MESSAGES:
                lines.append(f"  ... {len(messages) - _SHOWN_MESSAGES} earlier messages")
            lines.extend(f"  {_message_line(m)}" for m in messages[-_SHOWN_MESSAGES:])
        elif self.body:
            lines.append(f"body: {_short(self.body, 200)}")
        if self.tools:
            lines.append(f"tools: {', '.join(self.tools)}")
        return "\n".join(indent + line for line in lines)


def _first_choices(body: Mapping[str, Any]) -> list[dict[str, Any]]:
    choices = body.get("choices")
    if not isinstance(choices, list):
        return []
    return [c for c in choices if isinstance(c, dict) and (c.get("index") or 0) == 0]


def _message_line(message: Mapping[str, Any]) -> str:
    role = str(message.get("role"))
    content = message.get("content")
    text = _short(text_of(content)) if content is not None else ""
    if role == "tool":
        return f"tool ({message.get('tool_call_id')}): {text}"
    calls = [
        f"{c['function'].get('name')}({c['function'].get('arguments')})"
        for c in message.get("tool_calls") or ()
        if isinstance(c, dict) and isinstance(c.get("function"), dict)
    ]
    if calls:
        return f"{role}: {text + ' ' if text else ''}tool_calls: {', '.join(calls)}"
    return f"{role}: {text}"


@dataclass(frozen=True)
class StubRef:
    """A stub added with ``MockGPT.stub``: its id, and how often it has answered so far."""

    id: str
    mock: MockGPT

    @property
    def calls(self) -> int:
        """How many requests this stub has answered in this test."""
        return self.mock.stub_calls(self.id)
