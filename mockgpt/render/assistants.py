"""Assistants API objects: ``Assistant``, ``Thread``, ``Message``, ``Run``, ``RunStep``.

Spec: ``AssistantObject``, ``ThreadObject``, ``MessageObject``, ``RunObject``,
``RunStepObject``, ``RunCompletionUsage``, ``DeleteAssistantResponse``. The functions here
build them and move a run between states; ``mockgpt.render.assistants_runs.RunRenderer``
turns the events of a model call into a run's messages, steps and stream events. Objects are
plain dicts (``WireObject``) that the store keeps and a run changes in place; each stream
event (``Frame``) carries a snapshot.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any, TypeAlias

from mockgpt import ids
from mockgpt.events import Usage
from mockgpt.types import JSONObject, JSONValue

WireObject: TypeAlias = dict[str, Any]
"""A wire object under construction; its nested fields change in place as a run goes on."""

Frame: TypeAlias = tuple[str, JSONObject]
"""One stream event: its ``event:`` name and its ``data`` (a snapshot of the object)."""

RUN_EXPIRY_S = 600
"""A run that is not finished expires this many seconds after it was created."""

ASSISTANT_DEFAULTS: dict[str, JSONValue] = {
    "name": None,
    "description": None,
    "instructions": None,
    "tools": [],
    "tool_resources": {},
    "metadata": {},
    "temperature": 1.0,
    "top_p": 1.0,
    "response_format": "auto",
    "reasoning_effort": None,
}
"""The fields of an ``assistant`` a request can set, with their defaults."""

THREAD_DEFAULTS: dict[str, JSONValue] = {"tool_resources": {}, "metadata": {}}
"""The fields of a ``thread`` a request can set, with their defaults."""

RUN_DEFAULTS: dict[str, JSONValue] = {
    "instructions": "",
    "tools": [],
    "metadata": {},
    "temperature": 1.0,
    "top_p": 1.0,
    "max_prompt_tokens": None,
    "max_completion_tokens": None,
    "truncation_strategy": {"type": "auto", "last_messages": None},
    "tool_choice": "auto",
    "parallel_tool_calls": True,
    "response_format": "auto",
    "reasoning_effort": None,
}
"""The fields of a ``thread.run`` that come from its assistant or request, with defaults."""


def new_object_id(prefix: str) -> str:
    """A fresh id such as ``asst_<24 hex>`` (``mockgpt.ids``: seeded or random)."""
    return f"{prefix}_{ids.new_hex(24)}"


def unix_now() -> int:
    """Unix time in whole seconds (``mockgpt.ids``: seeded or the wall clock)."""
    return ids.now()


def frame(name: str, obj: WireObject) -> Frame:
    """A stream event carrying a snapshot of ``obj`` (later changes do not show in it)."""
    return name, copy.deepcopy(obj)


def apply_fields(
    obj: WireObject, fields: Mapping[str, Any], defaults: Mapping[str, JSONValue]
) -> None:
    """Set the ``fields`` that ``defaults`` names on ``obj``; null resets one to its default."""
    for key, value in fields.items():
        if key in defaults:
            obj[key] = copy.deepcopy(defaults[key] if value is None else value)


def deleted(object_id: str, kind: str) -> JSONObject:
    """``{"id", "object": "<kind>.deleted", "deleted": true}`` (``DeleteAssistantResponse``)."""
    return {"id": object_id, "object": f"{kind}.deleted", "deleted": True}


def usage_object(usage: Usage) -> JSONObject:
    """``RunCompletionUsage``: ``{"prompt_tokens", "completion_tokens", "total_tokens"}``."""
    return {
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "total_tokens": usage.total_tokens,
    }


def assistant_object(
    assistant_id: str, created_at: int, model: str, fields: Mapping[str, Any]
) -> WireObject:
    """An ``assistant`` (``AssistantObject``) with ``fields`` over the defaults."""
    obj: WireObject = {
        "id": assistant_id,
        "object": "assistant",
        "created_at": created_at,
        "model": model,
        **copy.deepcopy(ASSISTANT_DEFAULTS),
    }
    apply_fields(obj, fields, ASSISTANT_DEFAULTS)
    return obj


def thread_object(thread_id: str, created_at: int, fields: Mapping[str, Any]) -> WireObject:
    """A ``thread`` (``ThreadObject``) with ``fields`` over the defaults.

    Shape: ``{"id", "object": "thread", "created_at", "tool_resources", "metadata"}``.
    """
    obj: WireObject = {
        "id": thread_id,
        "object": "thread",
        "created_at": created_at,
        **copy.deepcopy(THREAD_DEFAULTS),
    }
    apply_fields(obj, fields, THREAD_DEFAULTS)
    return obj


def message_content(content: str | list[Any]) -> list[Any]:
    """A request's message content as ``MessageObject.content`` parts.

    A string, and each ``{"type": "text", "text": str}`` part, becomes
    ``{"type": "text", "text": {"value", "annotations": []}}``; image parts stay as given.
    """
    parts = [{"type": "text", "text": content}] if isinstance(content, str) else content
    out: list[Any] = []
    for part in parts:
        if part.get("type") == "text":
            out.append({"type": "text", "text": {"value": part["text"], "annotations": []}})
        else:
            out.append(copy.deepcopy(part))
    return out


def message_object(
    *,
    thread_id: str,
    created_at: int,
    role: str,
    content: list[Any],
    status: str = "completed",
    assistant_id: str | None = None,
    run_id: str | None = None,
    attachments: list[Any] | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> WireObject:
    """A ``thread.message`` (``MessageObject``) with a fresh ``msg_`` id."""
    return {
        "id": new_object_id("msg"),
        "object": "thread.message",
        "created_at": created_at,
        "thread_id": thread_id,
        "status": status,
        "incomplete_details": None,
        "completed_at": created_at if status == "completed" else None,
        "incomplete_at": None,
        "role": role,
        "content": content,
        "assistant_id": assistant_id,
        "run_id": run_id,
        "attachments": copy.deepcopy(attachments or []),
        "metadata": dict(metadata or {}),
    }


def run_object(
    *,
    thread_id: str,
    assistant_id: str,
    created_at: int,
    model: str,
    fields: Mapping[str, Any],
) -> WireObject:
    """A ``queued`` ``thread.run`` (``RunObject``) with a fresh ``run_`` id.

    Args:
        thread_id: the thread it runs on.
        assistant_id: the assistant it runs.
        created_at: Unix time in seconds; it expires ``RUN_EXPIRY_S`` later.
        model: the model it uses.
        fields: the assistant's settings overlaid with the request's (``RUN_DEFAULTS`` keys).
    """
    obj: WireObject = {
        "id": new_object_id("run"),
        "object": "thread.run",
        "created_at": created_at,
        "thread_id": thread_id,
        "assistant_id": assistant_id,
        "status": "queued",
        "required_action": None,
        "last_error": None,
        "expires_at": created_at + RUN_EXPIRY_S,
        "started_at": None,
        "cancelled_at": None,
        "failed_at": None,
        "completed_at": None,
        "incomplete_details": None,
        "model": model,
        **copy.deepcopy(RUN_DEFAULTS),
        "usage": None,
    }
    apply_fields(obj, fields, RUN_DEFAULTS)
    return obj


def step_object(run: WireObject, kind: str, details: WireObject, created_at: int) -> WireObject:
    """An ``in_progress`` ``thread.run.step`` (``RunStepObject``) of ``run``."""
    return {
        "id": new_object_id("step"),
        "object": "thread.run.step",
        "created_at": created_at,
        "assistant_id": run["assistant_id"],
        "thread_id": run["thread_id"],
        "run_id": run["id"],
        "type": kind,
        "status": "in_progress",
        "step_details": details,
        "last_error": None,
        "expired_at": None,
        "cancelled_at": None,
        "failed_at": None,
        "completed_at": None,
        "metadata": {},
        "usage": None,
    }


def settle(run: WireObject, status: str, at: int, usage: Usage | None) -> None:
    """Put ``run`` in a terminal ``status`` (completed, incomplete, failed, cancelled)."""
    run["status"] = status
    run["required_action"] = None
    run["expires_at"] = None
    stamp = {"completed": "completed_at", "incomplete": "completed_at"}.get(status, f"{status}_at")
    run[stamp] = at
    run["usage"] = usage_object(usage) if usage is not None else None


def requeue(run: WireObject) -> Frame:
    """Tool outputs arrived: the run is ``queued`` again (``thread.run.queued``)."""
    run["status"] = "queued"
    run["required_action"] = None
    return frame("thread.run.queued", run)


def complete_tool_step(
    step: WireObject, outputs: Mapping[str, str], at: int, usage: Usage | None
) -> Frame:
    """Fill in each call's ``function.output`` and complete the step."""
    for call in step["step_details"]["tool_calls"]:
        call["function"]["output"] = outputs.get(call["id"])
    step["status"] = "completed"
    step["completed_at"] = at
    step["usage"] = usage_object(usage or Usage(0, 0))
    return frame("thread.run.step.completed", step)


def cancel_run(run: WireObject, pending_step: WireObject | None, at: int, usage: Usage) -> None:
    """Cancel a run that waits (``queued`` or ``requires_action``); its open step too."""
    if pending_step is not None:
        pending_step["status"] = "cancelled"
        pending_step["cancelled_at"] = at
    settle(run, "cancelled", at, usage)
