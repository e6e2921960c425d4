"""The canonical prompt every API family is read into: ``Message``, ``Tool``, ``Prompt``.

A route adapter turns its family's validated request (chat messages, Responses input items,
Ollama messages, an Assistants thread) into these plain, frozen values once; the matchers, the
backends, the templates and the usage count read them, whatever family the request came from.
``prompt_tokens`` counts a conversation the one way every family reports it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from mockgpt.sse import dumps
from mockgpt.tokens import MESSAGE_OVERHEAD_TOKENS, REPLY_PRIMING_TOKENS, count_tokens

OutputKind = Literal["text", "json_object", "json_schema"]


@dataclass(frozen=True, slots=True)
class ToolCall:
    """A function call an assistant message made: its id, function name and JSON-text arguments."""

    id: str
    name: str
    arguments: str


@dataclass(frozen=True, slots=True)
class Message:
    """One message of a conversation, in chat terms.

    Attributes:
        role: ``system``, ``developer``, ``user``, ``assistant``, ``tool`` or ``function``.
        text: the text of its content (text and refusal parts joined), "" for none.
        tool_calls: the calls an assistant message made.
        tool_call_id: the call a ``tool`` message answers.
        name: the participant or function name, when given.
        content: the content as the chat API carries it (a string, a list of parts such as
            images, or None), for a backend that forwards the conversation.
    """

    role: str
    text: str
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None
    name: str | None = None
    content: Any = None

    def to_chat(self) -> dict[str, Any]:
        """The message as a chat completion request's ``messages[]`` entry."""
        out: dict[str, Any] = {"role": self.role, "content": self.content}
        if self.name is not None:
            out["name"] = self.name
        if self.tool_calls:
            out["tool_calls"] = [
                {
                    "id": c.id,
                    "type": "function",
                    "function": {"name": c.name, "arguments": c.arguments},
                }
                for c in self.tool_calls
            ]
        if self.tool_call_id is not None:
            out["tool_call_id"] = self.tool_call_id
        return out


@dataclass(frozen=True, slots=True)
class Tool:
    """A function the model may call: name, description, ``parameters`` JSON Schema, ``strict``.

    ``param`` names where the request holds its ``parameters``, for errors.
    """

    name: str
    description: str | None = None
    parameters: Mapping[str, Any] | None = None
    strict: bool | None = None
    param: str = "tools"

    def to_chat(self) -> dict[str, Any]:
        """The tool as a chat request's ``tools[]`` entry (``ChatCompletionTool``)."""
        function = {
            "name": self.name,
            "description": self.description,
            "parameters": self.parameters,
            "strict": self.strict,
        }
        return {"type": "function", "function": function}


@dataclass(frozen=True, slots=True)
class OutputFormat:
    """The structured output asked for: ``text``, ``json_object``, or ``json_schema`` with schema.

    Attributes:
        kind: the output type.
        schema: the JSON Schema for ``json_schema``; None otherwise.
        name: the schema's name, when given.
        param: the request field holding the schema, for errors' ``param``.
    """

    kind: OutputKind = "text"
    schema: Mapping[str, Any] | None = None
    name: str | None = None
    param: str = "response_format.json_schema.schema"


TEXT = OutputFormat()
"""Plain text output, the default."""


@dataclass(frozen=True, slots=True)
class ToolChoice:
    """``tool_choice``: ``none``, ``auto``, ``required``, or ``function`` with the forced name.

    Other choices (allowed tools, custom tools, built-in tools) keep their ``type`` as ``mode``.
    """

    mode: str = "auto"
    function: str | None = field(default=None)

    @property
    def label(self) -> str:
        """What a stub's ``match.tool_choice`` compares: the mode, or the forced function's name."""
        return self.function if self.function is not None else self.mode


def tool_choice_of(choice: object) -> ToolChoice | None:
    """``tool_choice`` given as JSON -> ``ToolChoice``; None when not sent.

    A string is the mode; an object names a function in the chat shape (``{"type":
    "function", "function": {"name"}}``) or the Responses shape (``{"type": "function",
    "name"}``); any other object keeps its ``type`` as the mode.
    """
    if isinstance(choice, str):
        return ToolChoice(choice)
    if not isinstance(choice, Mapping):
        return None
    kind = choice.get("type")
    function = choice.get("function")
    name = function.get("name") if isinstance(function, Mapping) else choice.get("name")
    if kind == "function" and name is not None:
        return ToolChoice("function", str(name))
    return ToolChoice(str(kind)) if kind is not None else None


def part_text(content: object) -> str:
    """The text of a chat ``content`` given as JSON: a string, or its text and refusal parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            str(p.get("text") or p.get("refusal") or "") for p in content if isinstance(p, Mapping)
        )
    return ""


def message_from_chat(message: Mapping[str, Any]) -> Message:
    """A chat ``messages[]`` entry given as JSON (a stored turn, a compaction) -> ``Message``."""
    calls = tuple(
        ToolCall(
            id=str(call.get("id", "")),
            name=str((call.get("function") or {}).get("name", "")),
            arguments=str((call.get("function") or {}).get("arguments", "")),
        )
        for call in message.get("tool_calls") or ()
        if isinstance(call, Mapping)
    )
    content = message.get("content")
    name = message.get("name")
    call_id = message.get("tool_call_id")
    return Message(
        role=str(message.get("role", "user")),
        text=part_text(content),
        tool_calls=calls,
        tool_call_id=str(call_id) if call_id is not None else None,
        name=str(name) if name is not None else None,
        content=content,
    )


def messages_from_chat(messages: Iterable[object]) -> tuple[Message, ...]:
    """Chat messages given as JSON -> ``Message`` values (entries that are not objects skipped)."""
    return tuple(message_from_chat(m) for m in messages if isinstance(m, Mapping))


def tools_json(tools: Sequence[Tool]) -> str:
    """The tools as the chat API's ``tools`` JSON, as the prompt counts them; "" for none."""
    return dumps([t.to_chat() for t in tools]).decode() if tools else ""


@dataclass(frozen=True, slots=True)
class Prompt:
    """What a model is asked: the conversation, the tools offered and the output format.

    Attributes:
        messages: the whole conversation in chat terms (instructions first, as a
            ``developer`` message; the earlier turns of a stored response, conversation or
            thread; legacy prompts as ``user`` messages).
        tools: the functions offered.
        tool_choice: ``tool_choice`` as sent; None when not sent.
        parallel_tool_calls: ``parallel_tool_calls`` as sent; None when not sent.
        output: the structured output asked for.
        tools_text: the offered tools as chat ``tools`` JSON text, as the prompt counts them
            ("" for none).
    """

    messages: tuple[Message, ...] = ()
    tools: tuple[Tool, ...] = ()
    tool_choice: ToolChoice | None = None
    parallel_tool_calls: bool | None = None
    output: OutputFormat = TEXT
    tools_text: str = ""

    @property
    def tokens(self) -> int:
        """The prompt's size in tokens (``prompt_tokens``), the same for every family."""
        return prompt_tokens(self.messages, self.tools_text)


EMPTY = Prompt()
"""No conversation (embeddings)."""


def prompt_tokens(messages: Sequence[Message], tools: str = "") -> int:
    """A conversation's prompt size, in tokens, the same for every family.

    Each message's text plus ``MESSAGE_OVERHEAD_TOKENS``, its name and tool calls, the reply
    priming, and ``tools`` (the offered tools as chat ``tools`` JSON text, "" for none).
    """
    total = REPLY_PRIMING_TOKENS
    for message in messages:
        total += MESSAGE_OVERHEAD_TOKENS + count_tokens(message.text)
        if message.name:
            total += count_tokens(message.name)
        for call in message.tool_calls:
            total += count_tokens(call.name) + count_tokens(call.arguments)
    if tools:
        total += count_tokens(tools)
    return total
