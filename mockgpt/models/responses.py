"""``CreateResponse``: the body of ``POST /v1/responses``, and its conversion to a chat request.

The Responses API is answered by the same stubs and backends as chat completions: its input
(instructions, messages, function calls and their outputs, earlier turns) becomes a chat
conversation, and its events are rendered as Responses API objects.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from typing import Annotated, Any, Literal, Union

from pydantic import Field

from mockgpt.conversation import (
    TEXT,
    Message,
    OutputFormat,
    Prompt,
    Tool,
    messages_from_chat,
    part_text,
    tool_choice_of,
    tools_json,
)
from mockgpt.errors import RequestRejected
from mockgpt.models.common import RequestModel


class ResponseFunctionTool(RequestModel):
    """``FunctionTool``: ``{"type": "function", "name", "parameters", "strict"}``."""

    type: Literal["function"]
    name: Annotated[str, Field(pattern=r"^[a-zA-Z0-9_-]{1,64}$")]
    description: str | None = None
    parameters: dict[str, Any] | None = None
    strict: bool | None = None


class TextFormat(RequestModel):
    """``text.format``: ``text``, ``json_object`` or ``json_schema`` (name, schema, strict)."""

    type: Literal["text", "json_object", "json_schema"]
    name: str | None = None
    schema_: dict[str, Any] | None = Field(default=None, alias="schema")
    strict: bool | None = None
    description: str | None = None


class TextConfig(RequestModel):
    """``text``: the output format."""

    format: TextFormat | None = None
    verbosity: str | None = None


class ReasoningConfig(RequestModel):
    """``reasoning``: how much a reasoning model thinks, and the summary it reports."""

    effort: Literal["none", "minimal", "low", "medium", "high", "xhigh", "max"] | None = None
    summary: Literal["auto", "concise", "detailed"] | None = None
    generate_summary: Literal["auto", "concise", "detailed"] | None = None


Includable = Literal[
    "file_search_call.results",
    "web_search_call.results",
    "web_search_call.action.sources",
    "message.input_image.image_url",
    "computer_call_output.output.image_url",
    "code_interpreter_call.outputs",
    "reasoning.encrypted_content",
    "message.output_text.logprobs",
]
"""``IncludeEnum``: the extra output data a request may ask for."""


class ConversationRef(RequestModel):
    """``conversation`` given as an object."""

    id: str


class CreateResponse(RequestModel):
    """The body of ``POST /v1/responses`` (``CreateResponse``)."""

    model: str
    input: Union[str, list[dict[str, Any]]] | None = None
    instructions: str | None = None
    tools: list[Union[ResponseFunctionTool, dict[str, Any]]] | None = None
    tool_choice: Union[Literal["none", "auto", "required"], dict[str, Any]] | None = None
    parallel_tool_calls: bool | None = None
    text: TextConfig | None = None
    max_output_tokens: Annotated[int, Field(ge=16)] | None = None
    previous_response_id: str | None = None
    conversation: Union[str, ConversationRef] | None = None
    store: bool | None = None
    metadata: dict[str, str] | None = None
    stream: bool | None = None
    temperature: Annotated[float, Field(ge=0, le=2)] | None = None
    top_p: Annotated[float, Field(ge=0, le=1)] | None = None
    top_logprobs: Annotated[int, Field(ge=0, le=20)] | None = None
    background: bool | None = None
    user: str | None = None
    reasoning: ReasoningConfig | None = None
    include: list[Includable] | None = None

    @property
    def conversation_id(self) -> str | None:
        """The conversation id, whichever way it was given."""
        if isinstance(self.conversation, ConversationRef):
            return self.conversation.id
        return self.conversation


COMPACTION_PREFIX = "mockgpt-compaction-v1:"
"""Starts the ``encrypted_content`` of the compaction items mockgpt makes."""


def encode_compaction(messages: list[dict[str, Any]]) -> str:
    """A compaction item's ``encrypted_content``: the chat messages it stands for, opaque.

    The real API's content is encrypted; mockgpt's is base64url JSON behind
    ``COMPACTION_PREFIX``, so a later request that sends the item continues the same
    conversation (and stubs can match its turns).
    """
    # ASCII escapes: a lone surrogate in the conversation has no UTF-8 form
    payload = json.dumps(messages, separators=(",", ":")).encode()
    return COMPACTION_PREFIX + base64.urlsafe_b64encode(payload).decode()


def decode_compaction(content: object) -> list[dict[str, Any]] | None:
    """The messages of a compaction item mockgpt made; None for any other content."""
    if not isinstance(content, str) or not content.startswith(COMPACTION_PREFIX):
        return None
    try:
        messages = json.loads(base64.urlsafe_b64decode(content[len(COMPACTION_PREFIX) :]))
    except (ValueError, binascii.Error):
        return None
    if not isinstance(messages, list) or not all(isinstance(m, dict) for m in messages):
        return None
    return messages


def items_to_messages(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Responses input items -> chat messages.

    ``message`` items keep their role and text; ``function_call`` items become an assistant
    message with ``tool_calls`` (consecutive calls share one message); ``function_call_output``
    items become ``tool`` messages. A ``compaction`` item mockgpt made stands for the whole
    conversation up to it (the user messages sent before it included). Other item types
    (reasoning, references, compactions from elsewhere) are skipped.
    """
    messages: list[dict[str, Any]] = []
    for item in items:
        kind = item.get("type", "message")
        if kind == "compaction":
            compacted = decode_compaction(item.get("encrypted_content"))
            if compacted is not None:
                messages = [dict(m) for m in compacted]
            continue
        if kind == "message" or (kind is None and "role" in item):
            messages.append(
                {"role": item.get("role", "user"), "content": part_text(item.get("content"))}
            )
        elif kind == "function_call":
            call = {
                "id": str(item.get("call_id", "")),
                "type": "function",
                "function": {
                    "name": str(item.get("name", "")),
                    "arguments": str(item.get("arguments", "")),
                },
            }
            last = messages[-1] if messages else None
            if last is not None and last.get("role") == "assistant" and last.get("tool_calls"):
                last["tool_calls"].append(call)
            else:
                messages.append({"role": "assistant", "content": None, "tool_calls": [call]})
        elif kind == "function_call_output":
            messages.append(
                {
                    "role": "tool",
                    "tool_call_id": str(item.get("call_id", "")),
                    "content": part_text(item.get("output")),
                }
            )
    return messages


def input_items(request: CreateResponse) -> list[dict[str, Any]]:
    """The request's input as a list of items (a string becomes one user message)."""
    if request.input is None:
        return []
    if isinstance(request.input, str):
        return [{"type": "message", "role": "user", "content": request.input}]
    return [dict(item) for item in request.input]


_ROLES = ("user", "assistant", "system", "developer")


def _bad_item(index: int, field: str, expected: str, value: object) -> RequestRejected:
    got = "null" if value is None else type(value).__name__
    return RequestRejected(
        400,
        f"Invalid type for 'input[{index}].{field}': expected {expected}, but got {got}.",
        param=f"input[{index}].{field}",
        code="invalid_type",
    )


def check_reasoning_item(item: dict[str, Any], index: int) -> None:
    """Validate a ``reasoning`` input item (an earlier answer's, sent back).

    Spec: ``ReasoningItem``: ``id`` (string) and ``summary`` (``[{"type": "summary_text",
    "text"}]``) required; ``encrypted_content`` a string or null; ``content``, when given,
    ``[{"type": "reasoning_text", "text"}]``. Such items are kept (``input_items``, the
    stored chain) but are no message: they add nothing to the conversation or its tokens.

    Raises:
        RequestRejected: 400 naming the malformed field, e.g. ``input[0].summary[1].text``.
    """
    if not isinstance(item.get("id"), str):
        raise _bad_item(index, "id", "a string", item.get("id"))
    if item.get("encrypted_content") is not None and not isinstance(item["encrypted_content"], str):
        raise _bad_item(index, "encrypted_content", "a string", item["encrypted_content"])
    for field, kind in (("summary", "summary_text"), ("content", "reasoning_text")):
        parts = item.get(field)
        if parts is None and field == "content":
            continue
        if not isinstance(parts, list):
            raise _bad_item(index, field, "an array", parts)
        for position, part in enumerate(parts):
            where = f"{field}[{position}]"
            if not isinstance(part, dict):
                raise _bad_item(index, where, "an object", part)
            if part.get("type") != kind:
                raise RequestRejected(
                    400,
                    f"Invalid value: '{part.get('type')}'. Supported values are: '{kind}'.",
                    param=f"input[{index}].{where}.type",
                    code="invalid_value",
                )
            if not isinstance(part.get("text"), str):
                raise _bad_item(index, f"{where}.text", "a string", part.get("text"))


def _output(fmt: TextFormat | None) -> OutputFormat:
    if fmt is not None and fmt.type == "json_schema":
        return OutputFormat("json_schema", fmt.schema_ or {}, fmt.name, "text.format.schema")
    if fmt is not None and fmt.type == "json_object":
        return OutputFormat("json_object", param="text.format")
    return TEXT


def response_prompt(request: CreateResponse, history: Sequence[Message]) -> Prompt:
    """The canonical ``Prompt`` that answers ``request`` after the ``history`` messages.

    The messages are the instructions (a ``developer`` message first, when given), the
    earlier turns, then the input items (see ``items_to_messages``). Function tools are
    offered; other tool types (built-in tools) are not.

    Raises:
        RequestRejected: 400 naming ``input[i].role`` for a message item with another role,
            or the field of a malformed ``reasoning`` item (see ``check_reasoning_item``).
    """
    items = input_items(request)
    for index, item in enumerate(items):
        if item.get("type") == "reasoning":
            check_reasoning_item(item, index)
        role = item.get("role")
        if item.get("type", "message") == "message" and role is not None and role not in _ROLES:
            raise RequestRejected(
                400,
                f"Invalid value: '{role}'. Supported values are: "
                + ", ".join(f"'{r}'" for r in _ROLES)
                + ".",
                param=f"input[{index}].role",
                code="invalid_value",
            )
    messages: list[Message] = []
    if request.instructions:
        messages.append(Message("developer", request.instructions, content=request.instructions))
    messages += history
    messages += messages_from_chat(items_to_messages(items))
    functions = [
        (i, t) for i, t in enumerate(request.tools or ()) if isinstance(t, ResponseFunctionTool)
    ]
    tools = tuple(
        Tool(t.name, t.description, t.parameters, t.strict, param=f"tools[{i}].parameters")
        for i, t in functions
    )
    fmt = request.text.format if request.text else None
    return Prompt(
        messages=tuple(messages),
        tools=tools,
        tool_choice=tool_choice_of(request.tool_choice) if tools else None,
        parallel_tool_calls=request.parallel_tool_calls if tools else None,
        output=_output(fmt),
        tools_text=tools_json(tools),
    )
