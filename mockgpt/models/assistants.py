"""Assistants API request bodies, and the prompt a run's model call answers.

Spec: ``CreateAssistantRequest``, ``ModifyAssistantRequest``, ``CreateThreadRequest``,
``ModifyThreadRequest``, ``CreateMessageRequest``, ``ModifyMessageRequest``,
``CreateRunRequest``, ``CreateThreadAndRunRequest``, ``ModifyRunRequest``,
``SubmitToolOutputsRunRequest``.

A run is answered by the same stubs and backends as chat completions: its instructions, the
thread's messages and the run's tool rounds become the canonical prompt (``run_prompt``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Literal, Union

from pydantic import Discriminator, Field, Tag

from mockgpt.conversation import (
    TEXT,
    OutputFormat,
    Prompt,
    Tool,
    messages_from_chat,
    tool_choice_of,
    tools_json,
)
from mockgpt.models.chat import FunctionTool, NamedFunction, ResponseFormat
from mockgpt.models.common import BAD_TYPE_TAG, MISSING_TAG, RequestModel


def _tag(prefix: str) -> Any:
    """A discriminator reading ``type``; tags are ``prefix:value`` (see ``param_path``)."""

    def tag(value: Any) -> str | None:
        if isinstance(value, dict):
            found = value.get("type")
            if found is None:
                return f"{prefix}:{MISSING_TAG}"
            return f"{prefix}:{found}" if isinstance(found, str) else f"{prefix}:{BAD_TYPE_TAG}"
        if isinstance(value, RequestModel):
            return f"{prefix}:{getattr(value, 'type', None)}"
        return None

    return tag


Metadata = Annotated[dict[str, Annotated[str, Field(max_length=512)]], Field(max_length=16)]
"""``Metadata``: up to 16 string pairs, values up to 512 characters."""


class CodeInterpreterTool(RequestModel):
    """``AssistantToolsCode``: offered and echoed, never called by mockgpt."""

    type: Literal["code_interpreter"]


class FileSearchTool(RequestModel):
    """``AssistantToolsFileSearch``: offered and echoed, never called by mockgpt."""

    type: Literal["file_search"]
    file_search: dict[str, Any] | None = None


AssistantTool = Annotated[
    Annotated[FunctionTool, Tag("tool:function")]
    | Annotated[CodeInterpreterTool, Tag("tool:code_interpreter")]
    | Annotated[FileSearchTool, Tag("tool:file_search")],
    Discriminator(_tag("tool")),
]
"""A tool of an assistant or run; function tools have the chat completion shape."""

Tools = Annotated[list[AssistantTool], Field(max_length=128)]

AssistantResponseFormat = Union[Literal["auto"], ResponseFormat]
"""``AssistantsApiResponseFormatOption``: ``"auto"`` or a chat ``response_format``."""


class _AssistantFields(RequestModel):
    name: Annotated[str, Field(max_length=256)] | None = None
    description: Annotated[str, Field(max_length=512)] | None = None
    instructions: Annotated[str, Field(max_length=256_000)] | None = None
    reasoning_effort: str | None = None
    tools: Tools | None = None
    tool_resources: dict[str, Any] | None = None
    metadata: Metadata | None = None
    temperature: Annotated[float, Field(ge=0, le=2)] | None = None
    top_p: Annotated[float, Field(ge=0, le=1)] | None = None
    response_format: AssistantResponseFormat | None = None


class CreateAssistant(_AssistantFields):
    """The body of ``POST /v1/assistants`` (``CreateAssistantRequest``)."""

    model: str


class ModifyAssistant(_AssistantFields):
    """The body of ``POST /v1/assistants/{id}`` (``ModifyAssistantRequest``)."""

    model: str | None = None


class MessageText(RequestModel):
    """``MessageRequestContentTextObject``: ``{"type": "text", "text": str}``."""

    type: Literal["text"]
    text: str


class ImageURLRef(RequestModel):
    """The ``image_url`` of an image part: a URL and its detail level."""

    url: str
    detail: Literal["auto", "low", "high"] | None = None


class MessageImageURL(RequestModel):
    """``MessageContentImageUrlObject``."""

    type: Literal["image_url"]
    image_url: ImageURLRef


class ImageFileRef(RequestModel):
    """The ``image_file`` of an image part: an uploaded file's id."""

    file_id: str
    detail: Literal["auto", "low", "high"] | None = None


class MessageImageFile(RequestModel):
    """``MessageContentImageFileObject``."""

    type: Literal["image_file"]
    image_file: ImageFileRef


MessagePart = Annotated[
    Annotated[MessageText, Tag("part:text")]
    | Annotated[MessageImageURL, Tag("part:image_url")]
    | Annotated[MessageImageFile, Tag("part:image_file")],
    Discriminator(_tag("part")),
]


class CreateMessage(RequestModel):
    """``CreateMessageRequest``: a message added to a thread (also inside thread and run bodies)."""

    role: Literal["user", "assistant"]
    content: Union[str, Annotated[list[MessagePart], Field(min_length=1)]]
    attachments: list[dict[str, Any]] | None = None
    metadata: Metadata | None = None


class CreateThread(RequestModel):
    """The body of ``POST /v1/threads`` (``CreateThreadRequest``)."""

    messages: list[CreateMessage] | None = None
    tool_resources: dict[str, Any] | None = None
    metadata: Metadata | None = None


class ModifyThread(RequestModel):
    """The body of ``POST /v1/threads/{id}`` (``ModifyThreadRequest``)."""

    tool_resources: dict[str, Any] | None = None
    metadata: Metadata | None = None


class ModifyMetadata(RequestModel):
    """The body of ``ModifyMessageRequest`` and ``ModifyRunRequest``: only ``metadata``."""

    metadata: Metadata | None = None


class TruncationStrategy(RequestModel):
    """``TruncationObject``: keep the thread whole (``auto``) or its last N messages."""

    type: Literal["auto", "last_messages"]
    last_messages: Annotated[int, Field(ge=1)] | None = None


class NamedAssistantTool(RequestModel):
    """``AssistantsNamedToolChoice``: force one tool (a function by name)."""

    type: Literal["function", "code_interpreter", "file_search"]
    function: NamedFunction | None = None


class _RunFields(RequestModel):
    assistant_id: str
    model: str | None = None
    instructions: str | None = None
    tools: Tools | None = None
    metadata: Metadata | None = None
    temperature: Annotated[float, Field(ge=0, le=2)] | None = None
    top_p: Annotated[float, Field(ge=0, le=1)] | None = None
    stream: bool | None = None
    max_prompt_tokens: Annotated[int, Field(ge=256)] | None = None
    max_completion_tokens: Annotated[int, Field(ge=256)] | None = None
    truncation_strategy: TruncationStrategy | None = None
    tool_choice: Union[Literal["none", "auto", "required"], NamedAssistantTool] | None = None
    parallel_tool_calls: bool | None = None
    response_format: AssistantResponseFormat | None = None
    reasoning_effort: str | None = None


class CreateRun(_RunFields):
    """The body of ``POST /v1/threads/{id}/runs`` (``CreateRunRequest``)."""

    additional_instructions: str | None = None
    additional_messages: list[CreateMessage] | None = None


class CreateThreadAndRun(_RunFields):
    """The body of ``POST /v1/threads/runs`` (``CreateThreadAndRunRequest``)."""

    thread: CreateThread | None = None
    tool_resources: dict[str, Any] | None = None


class ToolOutput(RequestModel):
    """One output: the ``tool_call_id`` it answers and the ``output`` text."""

    tool_call_id: str
    output: str = ""


class SubmitToolOutputs(RequestModel):
    """The body of ``POST .../runs/{id}/submit_tool_outputs`` (``SubmitToolOutputsRunRequest``)."""

    tool_outputs: list[ToolOutput]
    stream: bool | None = None


def message_to_chat(message: Mapping[str, Any]) -> dict[str, Any]:
    """A ``thread.message`` as a chat message.

    Text parts are joined into a string; a user message with images keeps them as chat
    ``image_url`` parts (``image_file`` parts have no URL and are left out).
    """
    texts: list[str] = []
    parts: list[dict[str, Any]] = []
    has_image = False
    for part in message.get("content") or ():
        kind = part.get("type")
        if kind == "text":
            texts.append(str(part["text"]["value"]))
            parts.append({"type": "text", "text": str(part["text"]["value"])})
        elif kind == "refusal":
            texts.append(str(part.get("refusal", "")))
        elif kind == "image_url":
            has_image = True
            parts.append({"type": "image_url", "image_url": dict(part["image_url"])})
    role = str(message.get("role", "user"))
    if role == "user" and has_image:
        return {"role": role, "content": parts}
    return {"role": role, "content": "".join(texts)}


def tool_round(step: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A completed ``tool_calls`` step as chat messages.

    Returns:
        An assistant message with the ``tool_calls``, then one ``tool`` message per output.
    """
    calls = [c for c in step["step_details"]["tool_calls"] if c.get("type") == "function"]
    assistant = {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": c["id"],
                "type": "function",
                "function": {
                    "name": c["function"]["name"],
                    "arguments": c["function"]["arguments"],
                },
            }
            for c in calls
        ],
    }
    results = [
        {"role": "tool", "tool_call_id": c["id"], "content": c["function"]["output"] or ""}
        for c in calls
    ]
    return [assistant, *results]


def _run_output(fmt: object) -> OutputFormat:
    if isinstance(fmt, Mapping) and fmt.get("type") == "json_schema":
        spec = fmt.get("json_schema")
        spec = spec if isinstance(spec, Mapping) else {}
        schema = spec.get("schema")
        name = spec.get("name")
        return OutputFormat(
            "json_schema",
            schema if isinstance(schema, Mapping) else {},
            str(name) if name is not None else None,
        )
    if isinstance(fmt, Mapping) and fmt.get("type") == "json_object":
        return OutputFormat("json_object")
    return TEXT


def run_prompt(run: Mapping[str, Any], history: Sequence[dict[str, Any]]) -> Prompt:
    """The canonical ``Prompt`` of a run's next model call.

    Args:
        run: the ``thread.run`` (its instructions, tools, tool_choice, response_format apply).
        history: the thread as chat messages, oldest first (its messages and tool rounds).

    Returns:
        The instructions as a ``system`` message, then the history (only its last N messages
        under ``truncation_strategy: last_messages``); the run's function tools.
    """
    messages: list[dict[str, Any]] = []
    if run.get("instructions"):
        messages.append({"role": "system", "content": str(run["instructions"])})
    truncation = run.get("truncation_strategy") or {}
    keep = truncation.get("last_messages") if truncation.get("type") == "last_messages" else None
    messages += list(history[-keep:] if keep else history)
    functions = [
        (i, t.get("function") or {})
        for i, t in enumerate(run.get("tools") or ())
        if t.get("type") == "function"
    ]
    tools = tuple(
        Tool(
            str(f.get("name", "")),
            f.get("description"),
            f.get("parameters"),
            f.get("strict"),
            param=f"tools[{i}].function.parameters",
        )
        for i, f in functions
    )
    return Prompt(
        messages=messages_from_chat(messages),
        tools=tools,
        tool_choice=tool_choice_of(run.get("tool_choice")) if tools else None,
        parallel_tool_calls=run.get("parallel_tool_calls") if tools else None,
        output=_run_output(run.get("response_format")),
        tools_text=tools_json(tools),
    )
