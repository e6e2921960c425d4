"""``MatchView``: a request as the matchers read it, each part computed once when first asked.

The matchers read the request's endpoint, headers and its conversation in chat form (the
Responses API's input, Ollama's messages and an Assistants thread arrive here as chat
``messages``); a stub with no condition on a part never makes the view compute it.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from typing import Any, Protocol


class Request(Protocol):
    """What a matcher reads of a request (a ``Turn``, or a journalled call)."""

    @property
    def endpoint(self) -> str:
        """The API family, e.g. ``chat.completions``."""

    @property
    def body(self) -> Mapping[str, Any]:
        """The decoded JSON body, with ``messages`` in chat form where the family has them."""

    @property
    def headers(self) -> Mapping[str, str]:
        """Request headers, lower-case names."""


def text_of(content: Any) -> str:
    """The text of a message ``content``: a string, or the text of its parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            str(p.get("text") or p.get("refusal") or "") for p in content if isinstance(p, Mapping)
        )
    return ""


class MatchView:
    """A request as the matchers read it; each part is computed once, when first asked.

    Args:
        request: a ``Turn`` or anything with ``endpoint``, ``body`` and ``headers``.
    """

    def __init__(self, request: Request) -> None:
        self.request = request
        self.endpoint = request.endpoint

    @cached_property
    def body(self) -> Mapping[str, Any]:
        """The decoded body."""
        return self.request.body

    @cached_property
    def headers(self) -> Mapping[str, str]:
        """Request headers, lower-case names."""
        return self.request.headers

    @cached_property
    def messages(self) -> list[Mapping[str, Any]]:
        """Chat messages (legacy prompts and Responses input become user messages)."""
        messages = self.body.get("messages")
        if isinstance(messages, list):
            return [m for m in messages if isinstance(m, Mapping)]
        prompt = self.body.get("prompt", self.body.get("input"))
        if isinstance(prompt, str):
            return [{"role": "user", "content": prompt}]
        if isinstance(prompt, list):
            return [{"role": "user", "content": p} for p in prompt if isinstance(p, str)]
        return []

    @cached_property
    def last_user(self) -> str | None:
        """The text of the last user message (for legacy completions: the prompt)."""
        for message in reversed(self.messages):
            if message.get("role") == "user":
                return text_of(message.get("content"))
        return None

    @cached_property
    def system(self) -> str | None:
        """The instructions and every system or developer message, joined by newlines."""
        texts = [
            text_of(m.get("content"))
            for m in self.messages
            if m.get("role") in ("system", "developer")
        ]
        instructions = self.body.get("instructions")
        if isinstance(instructions, str):
            texts.insert(0, instructions)
        return "\n".join(texts) if texts else None

    @cached_property
    def tool_names(self) -> list[str]:
        """The names of the offered tools (chat and Responses shapes)."""
        names = []
        for tool in self.body.get("tools") or ():
            if isinstance(tool, Mapping):
                function = tool.get("function")
                name = function.get("name") if isinstance(function, Mapping) else tool.get("name")
                if isinstance(name, str):
                    names.append(name)
        return names

    @cached_property
    def tool_choice(self) -> str | None:
        """``none``, ``auto``, ``required``, or the forced function's name."""
        choice = self.body.get("tool_choice")
        if isinstance(choice, str):
            return choice
        if isinstance(choice, Mapping):
            function = choice.get("function")
            name = function.get("name") if isinstance(function, Mapping) else choice.get("name")
            return str(name) if name is not None else None
        return None

    @cached_property
    def response_format(self) -> str | None:
        """The structured output type asked for (``response_format`` or ``text.format``)."""
        fmt = self.body.get("response_format")
        kind = fmt.get("type") if isinstance(fmt, Mapping) else None
        text = self.body.get("text")
        if kind is None and isinstance(text, Mapping) and isinstance(text.get("format"), Mapping):
            kind = text["format"].get("type")
        return kind if isinstance(kind, str) else None
