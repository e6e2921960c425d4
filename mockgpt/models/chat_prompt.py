"""A validated chat request read into the canonical ``Prompt`` (``mockgpt.conversation``)."""

from __future__ import annotations

from typing import Any

from mockgpt import conversation
from mockgpt.models.chat import (
    CreateChatCompletionRequest,
    FunctionTool,
    NamedToolChoice,
    ResponseFormatJSONObject,
    ResponseFormatJSONSchema,
    content_text,
)
from mockgpt.sse import dumps


def _message(message: Any) -> conversation.Message:
    """A validated chat message -> ``Message`` (``name`` also from an unknown field)."""
    fields = message.__dict__  # declared fields; extras are in __pydantic_extra__
    name = fields.get("name")
    if name is None and message.__pydantic_extra__:
        name = message.__pydantic_extra__.get("name")
    content = message.content
    calls = fields.get("tool_calls") or ()
    return conversation.Message(
        role=message.role,
        text=content_text(content),
        tool_calls=tuple(
            conversation.ToolCall(c.id, c.function.name, c.function.arguments) for c in calls
        ),
        tool_call_id=fields.get("tool_call_id"),
        name=str(name) if name is not None else None,
        content=content
        if content is None or isinstance(content, str)
        else [part.model_dump(by_alias=True, exclude_none=True) for part in content],
    )


def _tool_choice(choice: Any) -> conversation.ToolChoice | None:
    if choice is None:
        return None
    if isinstance(choice, str):
        return conversation.ToolChoice(choice)
    if isinstance(choice, NamedToolChoice):
        return conversation.ToolChoice("function", choice.function.name)
    return conversation.ToolChoice(choice.type)


def _output(response_format: Any) -> conversation.OutputFormat:
    if isinstance(response_format, ResponseFormatJSONSchema):
        spec = response_format.json_schema
        return conversation.OutputFormat("json_schema", spec.schema_ or {}, spec.name)
    if isinstance(response_format, ResponseFormatJSONObject):
        return conversation.OutputFormat("json_object")
    return conversation.TEXT


def chat_prompt(request: CreateChatCompletionRequest) -> conversation.Prompt:
    """The canonical ``Prompt`` of a validated chat request (no second validation).

    Its ``tokens`` count each message's text plus its overhead, the reply priming, and every
    tool (custom tools included) as JSON.
    """
    tools = request.tools or ()
    return conversation.Prompt(
        messages=tuple(_message(m) for m in request.messages),
        tools=tuple(
            conversation.Tool(
                t.function.name,
                t.function.description,
                t.function.parameters,
                t.function.strict,
                param=f"tools[{i}].function.parameters",
            )
            for i, t in enumerate(tools)
            if isinstance(t, FunctionTool)
        ),
        tool_choice=_tool_choice(request.tool_choice),
        parallel_tool_calls=request.parallel_tool_calls,
        output=_output(request.response_format),
        tools_text=dumps([t.model_dump(by_alias=True) for t in tools]).decode() if tools else "",
    )
