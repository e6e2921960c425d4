"""``MatchView``: a request as the matchers read it, each part computed once when first asked.

The matchers read a ``Turn``: its endpoint, headers, requested model, stream, ``n``, metadata
and its canonical prompt (the conversation, tools, tool choice and output format, whatever
family sent it); ``match.body`` alone reads the body as sent. A stub with no condition on a
part never makes the view compute it. ``BodyRequest`` reads the same parts from a journalled
body, for the plugin's near-miss report after the fact.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from typing import Any, Protocol

from mockgpt.conversation import (
    TEXT,
    Message,
    OutputFormat,
    Tool,
    ToolChoice,
    messages_from_chat,
    part_text,
    tool_choice_of,
)

text_of = part_text
"""The text of a message ``content`` given as JSON: a string, or the text of its parts."""


class Request(Protocol):
    """What a matcher reads of a request (a ``Turn``, or a ``BodyRequest``)."""

    @property
    def endpoint(self) -> str:
        """The API family, e.g. ``chat.completions``."""

    @property
    def body(self) -> Mapping[str, Any]:
        """The decoded JSON body as sent."""

    @property
    def headers(self) -> Mapping[str, str]:
        """Request headers, lower-case names."""

    @property
    def model(self) -> str:
        """The requested model."""

    @property
    def stream(self) -> bool:
        """Whether the answer is streamed."""

    @property
    def n(self) -> int:
        """``n`` as sent, 1 when not."""

    @property
    def metadata(self) -> Mapping[str, Any] | None:
        """``metadata`` as sent."""

    @property
    def messages(self) -> tuple[Message, ...]:
        """The conversation."""

    @property
    def last_user(self) -> str | None:
        """The text of the last ``user`` message."""

    @property
    def system(self) -> str | None:
        """Every ``system`` and ``developer`` message, joined by newlines."""

    @property
    def tool_names(self) -> list[str]:
        """The names of the offered functions."""

    @property
    def tool_choice(self) -> ToolChoice | None:
        """``tool_choice`` as sent."""

    @property
    def output(self) -> OutputFormat:
        """The structured output asked for."""


class MatchView:
    """A request as the matchers read it; each part is read once, when first asked.

    Args:
        request: a ``Turn``, or a ``BodyRequest`` for a journalled call.
    """

    def __init__(self, request: Request) -> None:
        self.request = request
        self.endpoint = request.endpoint

    @cached_property
    def body(self) -> Mapping[str, Any]:
        """The decoded body as sent."""
        return self.request.body

    @cached_property
    def headers(self) -> Mapping[str, str]:
        """Request headers, lower-case names."""
        return self.request.headers

    @cached_property
    def messages(self) -> tuple[Message, ...]:
        """The conversation (legacy prompts are ``user`` messages)."""
        return self.request.messages

    @cached_property
    def last_user(self) -> str | None:
        """The text of the last user message (for legacy completions: the prompt)."""
        return self.request.last_user

    @cached_property
    def system(self) -> str | None:
        """The instructions and every system or developer message, joined by newlines."""
        return self.request.system

    @cached_property
    def tool_names(self) -> list[str]:
        """The names of the offered functions."""
        return self.request.tool_names

    @cached_property
    def tool_choice(self) -> str | None:
        """``none``, ``auto``, ``required``, or the forced function's name; None when not sent."""
        choice = self.request.tool_choice
        return choice.label if choice is not None else None

    @cached_property
    def response_format(self) -> str:
        """The output type asked for: ``text`` (also for none), ``json_object``, ``json_schema``."""
        return self.request.output.kind


def _tool(tool: object) -> Tool | None:
    if not isinstance(tool, Mapping):
        return None
    function = tool.get("function")
    spec = function if isinstance(function, Mapping) else tool  # chat, or Responses' flat shape
    name = spec.get("name")
    return Tool(name) if isinstance(name, str) else None


class BodyRequest:
    """A journalled request read from its body alone (chat, legacy or Responses shapes).

    Earlier turns the server added (``previous_response_id``, a thread) are not in the body,
    so a condition on them may read differently than when the request was served.

    Args:
        endpoint: the API family.
        body: the decoded JSON body.
        headers: request headers, lower-case names.
    """

    def __init__(self, endpoint: str, body: Mapping[str, Any], headers: Mapping[str, str]):
        self.endpoint = endpoint
        self.body = body
        self.headers = headers
        self.model = str(body.get("model", ""))
        self.stream = bool(body.get("stream"))
        n = body.get("n")
        self.n = n if isinstance(n, int) else 1
        metadata = body.get("metadata")
        self.metadata = metadata if isinstance(metadata, Mapping) else None

    @cached_property
    def messages(self) -> tuple[Message, ...]:
        """``messages``, or the ``prompt`` / ``input`` strings as user messages."""
        messages = self.body.get("messages")
        if isinstance(messages, list):
            return messages_from_chat(messages)
        prompt = self.body.get("prompt", self.body.get("input"))
        prompts = [prompt] if isinstance(prompt, str) else prompt
        if not isinstance(prompts, list):
            return ()
        return tuple(Message("user", p, content=p) for p in prompts if isinstance(p, str))

    @cached_property
    def last_user(self) -> str | None:
        """The text of the last user message."""
        users = [m.text for m in self.messages if m.role == "user"]
        return users[-1] if users else None

    @cached_property
    def system(self) -> str | None:
        """``instructions`` and every system or developer message, joined by newlines."""
        texts = [m.text for m in self.messages if m.role in ("system", "developer")]
        instructions = self.body.get("instructions")
        if isinstance(instructions, str):
            texts.insert(0, instructions)
        return "\n".join(texts) if texts else None

    @cached_property
    def tool_names(self) -> list[str]:
        """The names of the offered tools (chat and Responses shapes)."""
        tools = self.body.get("tools")
        found = [_tool(t) for t in tools] if isinstance(tools, list) else []
        return [t.name for t in found if t is not None]

    @cached_property
    def tool_choice(self) -> ToolChoice | None:
        """``tool_choice`` (chat and Responses shapes)."""
        return tool_choice_of(self.body.get("tool_choice"))

    @cached_property
    def output(self) -> OutputFormat:
        """``response_format`` or ``text.format`` (the type only)."""
        fmt = self.body.get("response_format")
        text = self.body.get("text")
        if not isinstance(fmt, Mapping) and isinstance(text, Mapping):
            fmt = text.get("format")
        kind = fmt.get("type") if isinstance(fmt, Mapping) else None
        if kind in ("json_object", "json_schema"):
            return OutputFormat(kind)
        return TEXT
