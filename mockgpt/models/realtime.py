"""The Realtime API's client-side values: the session, conversation items, and their checks.

A Realtime session is a JSON object the client changes with ``session.update``; its
conversation is a list of items (``message``, ``function_call``, ``function_call_output``)
the client adds with ``conversation.item.create`` and each response extends. ``prompt_of``
reads a session and its items into the canonical ``Prompt`` the engine answers: the
instructions as a ``system`` message, user and assistant messages, function calls as an
assistant's ``tool_calls`` and their outputs as ``tool`` messages, the session's function
tools as ``tools``.

Every check raises ``RequestRejected`` (400) naming the field at fault, which the session
sends as an ``error`` event.

Spec: ``RealtimeSessionCreateRequest``, ``RealtimeConversationItem*``,
``RealtimeClientEventConversationItemCreate`` in the OpenAPI description.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from mockgpt.conversation import Message, Prompt, Tool, ToolCall, tool_choice_of, tools_json
from mockgpt.errors import RequestRejected
from mockgpt.types import JSONObject

Session = dict[str, Any]
"""A Realtime session as JSON (``RealtimeSessionCreateRequest`` with ``id``, ``object``)."""
DEFAULT_MODEL = "gpt-realtime"
"""The model a session reports when the connection named none."""
MODALITIES = ("text", "audio")
_PCM: JSONObject = {"type": "audio/pcm", "rate": 24000}
_ROLES = {
    "user": ("input_text", "input_audio", "input_image"),
    "assistant": ("output_text", "output_audio", "text", "audio"),
    "system": ("input_text",),
}
"""The content part types each message role may hold."""


def default_session(session_id: str, model: str, expires_at: int) -> Session:
    """A new session: audio output, no instructions, no tools, no turn detection.

    mockgpt detects no speech: a client commits its audio buffer and sends
    ``response.create`` itself, so ``turn_detection`` is null.
    """
    return {
        "type": "realtime",
        "object": "realtime.session",
        "id": session_id,
        "model": model,
        "expires_at": expires_at,
        "output_modalities": ["audio"],
        "instructions": "",
        "tools": [],
        "tool_choice": "auto",
        "max_output_tokens": "inf",
        "tracing": None,
        "truncation": "auto",
        "prompt": None,
        "include": None,
        "audio": {
            "input": {
                "format": dict(_PCM),
                "transcription": None,
                "noise_reduction": None,
                "turn_detection": None,
            },
            "output": {"format": dict(_PCM), "voice": "alloy", "speed": 1.0},
        },
    }


def updated_session(session: Session, update: object) -> Session:
    """``session`` with the fields of a ``session.update`` event's ``session`` applied.

    Top-level fields replace the session's; ``audio.input`` and ``audio.output`` are merged
    field by field. ``id``, ``object`` and ``expires_at`` stay.

    Raises:
        RequestRejected: 400 for a ``session`` that is not an object, a ``type`` other than
            ``realtime``, or invalid ``output_modalities``, ``tools`` or ``instructions``.
    """
    if not isinstance(update, Mapping):
        raise _invalid("session", "an object")
    if update.get("type", "realtime") != "realtime":
        raise RequestRejected(
            400,
            f"Invalid value: {update.get('type')!r}. Supported values are: 'realtime'.",
            param="session.type",
            code="invalid_value",
        )
    new = dict(session)
    for key, value in update.items():
        if key in ("id", "object", "expires_at"):
            continue
        if key == "audio" and isinstance(value, Mapping):
            audio = dict(new.get("audio") or {})
            for part in ("input", "output"):
                if isinstance(value.get(part), Mapping):
                    audio[part] = {**(audio.get(part) or {}), **value[part]}
            new["audio"] = audio
        else:
            new[key] = value
    check_response_fields(new, "session")
    return new


def check_response_fields(fields: Mapping[str, Any], where: str) -> None:
    """Check the fields a session and a ``response.create`` share.

    Raises:
        RequestRejected: 400 for invalid ``output_modalities``, ``instructions``, ``tools``
            or ``max_output_tokens``.
    """
    modalities = fields.get("output_modalities")
    if modalities is not None and (
        not isinstance(modalities, list) or len(modalities) != 1 or modalities[0] not in MODALITIES
    ):
        raise _invalid(f"{where}.output_modalities", "['text'] or ['audio']")
    instructions = fields.get("instructions")
    if instructions is not None and not isinstance(instructions, str):
        raise _invalid(f"{where}.instructions", "a string")
    tools = fields.get("tools")
    if tools is not None:
        if not isinstance(tools, list):
            raise _invalid(f"{where}.tools", "an array")
        for index, tool in enumerate(tools):
            if not isinstance(tool, Mapping) or not isinstance(tool.get("name"), str):
                raise _invalid(f"{where}.tools[{index}]", "a function tool with a 'name'")
    limit = fields.get("max_output_tokens")
    if limit is not None and limit != "inf" and (not isinstance(limit, int) or limit < 1):
        raise _invalid(f"{where}.max_output_tokens", "an integer >= 1 or 'inf'")


def checked_item(item: object, item_id: str) -> JSONObject:
    """A ``conversation.item.create`` event's ``item``, checked, with its id and status.

    Args:
        item: the item as sent.
        item_id: the id to give it when it has none.

    Returns:
        The item as the conversation keeps it (``object``, ``status: completed``, ``id``).

    Raises:
        RequestRejected: 400 naming the field at fault.
    """
    if not isinstance(item, Mapping):
        raise _invalid("item", "an object")
    kind = item.get("type")
    out: JSONObject = {
        "id": item.get("id") or item_id,
        "type": kind,
        "object": "realtime.item",
        "status": "completed",
    }
    if not isinstance(out["id"], str):
        raise _invalid("item.id", "a string")
    if kind == "message":
        role = item.get("role")
        if role not in _ROLES:
            raise RequestRejected(
                400,
                f"Invalid value: {role!r}. Supported values are: 'user', 'assistant' and 'system'.",
                param="item.role",
                code="invalid_value",
            )
        content = item.get("content")
        if not isinstance(content, list):
            raise _invalid("item.content", "an array")
        for index, part in enumerate(content):
            if not isinstance(part, Mapping) or part.get("type") not in _ROLES[str(role)]:
                allowed = ", ".join(repr(t) for t in _ROLES[str(role)])
                raise _invalid(f"item.content[{index}].type", f"one of {allowed} for a {role}")
        out["role"] = role
        out["content"] = [dict(part) for part in content]
    elif kind == "function_call":
        for field in ("name", "arguments", "call_id"):
            if not isinstance(item.get(field), str):
                raise _invalid(f"item.{field}", "a string")
            out[field] = item[field]
    elif kind == "function_call_output":
        for field in ("call_id", "output"):
            if not isinstance(item.get(field), str):
                raise _invalid(f"item.{field}", "a string")
            out[field] = item[field]
    else:
        raise RequestRejected(
            400,
            f"Invalid value: {kind!r}. Supported values are: 'message', 'function_call' and "
            "'function_call_output'.",
            param="item.type",
            code="invalid_value",
        )
    return out


def item_text(item: Mapping[str, Any]) -> str:
    """A message item's text: its text parts and audio transcripts joined ("" for none)."""
    parts = item.get("content") or ()
    return "".join(
        str(p.get("text") or p.get("transcript") or "") for p in parts if isinstance(p, Mapping)
    )


def messages_of(items: Sequence[Mapping[str, Any]]) -> tuple[Message, ...]:
    """Conversation items -> chat ``Message`` values (function calls merged into one turn)."""
    messages: list[Message] = []
    for item in items:
        kind = item.get("type")
        if kind == "message":
            text = item_text(item)
            messages.append(Message(str(item.get("role")), text, content=text))
        elif kind == "function_call":
            call = ToolCall(str(item["call_id"]), str(item["name"]), str(item["arguments"]))
            last = messages[-1] if messages else None
            if last is not None and last.role == "assistant" and last.tool_calls:
                calls = (*last.tool_calls, call)
                messages[-1] = Message("assistant", last.text, calls, content=last.content)
            else:
                messages.append(Message("assistant", "", (call,), content=None))
        elif kind == "function_call_output":
            output = str(item["output"])
            messages.append(
                Message("tool", output, tool_call_id=str(item["call_id"]), content=output)
            )
    return tuple(messages)


def tools_of(tools: object) -> tuple[Tool, ...]:
    """The session's function tools (``{"type": "function", "name", ...}``) as ``Tool`` values."""
    found = []
    for tool in tools if isinstance(tools, list) else ():
        if isinstance(tool, Mapping) and tool.get("type", "function") == "function":
            parameters = tool.get("parameters")
            description = tool.get("description")
            found.append(
                Tool(
                    name=str(tool.get("name")),
                    description=description if isinstance(description, str) else None,
                    parameters=parameters if isinstance(parameters, Mapping) else None,
                )
            )
    return tuple(found)


def prompt_of(fields: Mapping[str, Any], items: Sequence[Mapping[str, Any]]) -> Prompt:
    """The canonical prompt of a response: instructions, items, tools and tool choice.

    Args:
        fields: the session's fields, with the ``response.create`` overrides applied.
        items: the conversation the response answers.
    """
    messages = messages_of(items)
    instructions = fields.get("instructions")
    if isinstance(instructions, str) and instructions:
        messages = (Message("system", instructions, content=instructions), *messages)
    tools = tools_of(fields.get("tools"))
    return Prompt(
        messages=messages,
        tools=tools,
        tool_choice=tool_choice_of(fields.get("tool_choice")),
        tools_text=tools_json(tools),
    )


def _invalid(param: str, expected: str) -> RequestRejected:
    return RequestRejected(
        400, f"Invalid '{param}': expected {expected}.", param=param, code="invalid_value"
    )
