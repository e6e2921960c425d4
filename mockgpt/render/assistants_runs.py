"""Events -> a run's messages, steps and stream events (``RunRenderer``).

Spec: ``AssistantStreamEvent`` (``RunStreamEvent``, ``RunStepStreamEvent``,
``MessageStreamEvent``), ``MessageDeltaObject``, ``RunStepDeltaObject``, ``MessageObject``,
``RunStepObject``, ``RunObject``.

``RunRenderer`` takes the canonical events of one model call of a run. It creates what the
call produces (an assistant message and its ``message_creation`` step, a ``tool_calls`` step),
changes the run's status, and returns the stream events announcing each change as ``Frame``
pairs ``(event name, data)``. Streamed and non-streamed runs go through it alike, so what is
stored is what a stream announced. The events of one call, after ``thread.run.created`` and
``thread.run.queued``::

    thread.run.in_progress
    thread.run.step.created, thread.run.step.in_progress         (message_creation)
    thread.message.created, thread.message.in_progress
    thread.message.delta*                                        {"index", "type": "text", ...}
    thread.message.completed, thread.run.step.completed
    thread.run.step.created, thread.run.step.in_progress         (tool_calls)
    thread.run.step.delta*                                       one per tool call fragment
    thread.run.requires_action | thread.run.completed | thread.run.incomplete
                                                          | thread.run.failed

The stream then ends with ``event: done`` / ``data: [DONE]`` (``DoneEvent``).
"""

from __future__ import annotations

import copy
from collections.abc import Callable

from mockgpt.events import Event, Finish, Refusal, TextDelta, ToolCallDelta, Usage
from mockgpt.render.assistants import (
    Frame,
    WireObject,
    frame,
    message_object,
    new_object_id,
    settle,
    step_object,
    unix_now,
    usage_object,
)
from mockgpt.types import FinishReason, JSONObject


class RunRenderer:
    """One model call of a run: events -> the run's new message and steps, and stream events.

    Args:
        run: the ``thread.run``, changed in place.
        usage: the run's usage before this call; ``usage`` includes the call once it ends.
        add_message: stores a new ``thread.message`` (it is then filled in place).
        add_step: stores a new ``thread.run.step`` (it is then filled in place).
        clock: Unix time in seconds.
    """

    def __init__(
        self,
        run: WireObject,
        *,
        usage: Usage,
        add_message: Callable[[WireObject], None],
        add_step: Callable[[WireObject], None],
        clock: Callable[[], int] = unix_now,
    ) -> None:
        self.run = run
        self.usage = usage
        self.add_message = add_message
        self.add_step = add_step
        self.clock = clock
        self.call_usage: Usage | None = None
        """This call's usage, once it ended."""
        self.tool_step: WireObject | None = None
        """The ``tool_calls`` step this call made, if any."""
        self.done = False
        self._finish: FinishReason = "stop"
        self._message: WireObject | None = None
        self._message_step: WireObject | None = None

    def start(self) -> list[Frame]:
        """The run goes ``in_progress`` (``thread.run.in_progress``)."""
        self.run["status"] = "in_progress"
        self.run["started_at"] = self.clock()
        return [frame("thread.run.in_progress", self.run)]

    def _open_message(self, out: list[Frame]) -> WireObject:
        if self._message is not None and self._message["status"] == "in_progress":
            return self._message
        at = self.clock()
        run = self.run
        message = message_object(
            thread_id=run["thread_id"],
            created_at=at,
            role="assistant",
            content=[],
            status="in_progress",
            assistant_id=run["assistant_id"],
            run_id=run["id"],
        )
        details = {"type": "message_creation", "message_creation": {"message_id": message["id"]}}
        step = step_object(run, "message_creation", details, at)
        self.add_step(step)
        self.add_message(message)
        self._message, self._message_step = message, step
        out += [
            frame("thread.run.step.created", step),
            frame("thread.run.step.in_progress", step),
            frame("thread.message.created", message),
            frame("thread.message.in_progress", message),
        ]
        return message

    def _close_message(self, out: list[Frame], usage: Usage) -> None:
        message, step = self._message, self._message_step
        if message is None or step is None or message["status"] != "in_progress":
            return
        at = self.clock()
        reason = {"length": "max_tokens", "content_filter": "content_filter"}.get(self._finish)
        if reason is None:
            message.update(status="completed", completed_at=at)
            out.append(frame("thread.message.completed", message))
        else:
            message.update(status="incomplete", incomplete_at=at)
            message["incomplete_details"] = {"reason": reason}
            out.append(frame("thread.message.incomplete", message))
        step.update(status="completed", completed_at=at, usage=usage_object(usage))
        out.append(frame("thread.run.step.completed", step))

    def _text(self, event: TextDelta | Refusal, out: list[Frame]) -> None:
        message = self._open_message(out)
        content = message["content"]
        kind = "text" if isinstance(event, TextDelta) else "refusal"
        first = not content or content[-1]["type"] != kind
        if first:
            empty = {"value": "", "annotations": []}
            content.append({"type": "text", "text": empty} if kind == "text" else {"type": kind})
        part, index = content[-1], len(content) - 1
        delta: WireObject = {"index": index, "type": kind}
        if kind == "text":
            part["text"]["value"] += event.text
            delta["text"] = {"value": event.text, **({"annotations": []} if first else {})}
        else:
            part["refusal"] = part.get("refusal", "") + event.text
            delta["refusal"] = event.text
        data: JSONObject = {
            "id": message["id"],
            "object": "thread.message.delta",
            "delta": {"content": [delta]},
        }
        out.append(("thread.message.delta", data))

    def _tool_call(self, event: ToolCallDelta, out: list[Frame]) -> None:
        self._close_message(out, Usage(0, 0))  # the call's usage goes to its last step
        step = self.tool_step
        if step is None:
            details = {"type": "tool_calls", "tool_calls": []}
            step = self.tool_step = step_object(self.run, "tool_calls", details, self.clock())
            self.add_step(step)
            out += [
                frame("thread.run.step.created", step),
                frame("thread.run.step.in_progress", step),
            ]
        calls: list[WireObject] = step["step_details"]["tool_calls"]
        if event.id is not None or event.name is not None or not calls:
            call = {
                "id": event.id or new_object_id("call"),
                "type": "function",
                "function": {
                    "name": event.name or "",
                    "arguments": event.arguments,
                    "output": None,
                },
            }
            calls.append(call)
            delta: WireObject = {"index": len(calls) - 1, **copy.deepcopy(call)}
        else:
            index = min(event.index, len(calls) - 1)
            calls[index]["function"]["arguments"] += event.arguments
            if not event.arguments:
                return
            delta = {"index": index, "type": "function", "function": {"arguments": event.arguments}}
        data: JSONObject = {
            "id": step["id"],
            "object": "thread.run.step.delta",
            "delta": {"step_details": {"type": "tool_calls", "tool_calls": [delta]}},
        }
        out.append(("thread.run.step.delta", data))

    def feed(self, event: Event) -> list[Frame]:
        """The stream events for one event."""
        out: list[Frame] = []
        if isinstance(event, Usage):
            self.call_usage = Usage(max(event.prompt_tokens, 0), max(event.completion_tokens, 0))
        elif isinstance(event, Finish):
            self._finish = event.reason
        elif isinstance(event, TextDelta | Refusal):
            if event.text:
                self._text(event, out)
        elif isinstance(event, ToolCallDelta):
            self._tool_call(event, out)
        # a ReasoningDelta: runs report no reasoning

        return out

    def close(self) -> list[Frame]:
        """The call ended: ``requires_action`` with its tool calls, else ``completed``.

        A call cut by ``max_completion_tokens`` (finish reason ``length``) leaves the run
        ``incomplete`` and its message ``incomplete``. A call with no output still answers
        with an (empty) message.
        """
        out: list[Frame] = []
        call_usage = self.call_usage or Usage(0, 0)
        self.usage = Usage(
            self.usage.prompt_tokens + call_usage.prompt_tokens,
            self.usage.completion_tokens + call_usage.completion_tokens,
        )
        if self.tool_step is None and self._message is None:
            self._open_message(out)
        self.done = True
        if self.tool_step is not None:
            self._close_message(out, Usage(0, 0))
            calls = self.tool_step["step_details"]["tool_calls"]
            self.run["status"] = "requires_action"
            self.run["required_action"] = {
                "type": "submit_tool_outputs",
                "submit_tool_outputs": {
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
                    ]
                },
            }
            out.append(frame("thread.run.requires_action", self.run))
            return out
        self._close_message(out, call_usage)
        status = "incomplete" if self._finish == "length" else "completed"
        if status == "incomplete":
            self.run["incomplete_details"] = {"reason": "max_completion_tokens"}
        settle(self.run, status, self.clock(), self.usage)
        out.append(frame(f"thread.run.{status}", self.run))
        return out

    def _stop(self, status: str, at: int, error: WireObject | None) -> list[Frame]:
        out: list[Frame] = []
        if self._message is not None and self._message["status"] == "in_progress":
            self._message.update(status="incomplete", incomplete_at=at)
            reason = "run_failed" if status == "failed" else "run_cancelled"
            self._message["incomplete_details"] = {"reason": reason}
            out.append(frame("thread.message.incomplete", self._message))
        for step in (self._message_step, self.tool_step):
            if step is not None and step["status"] == "in_progress":
                step.update(status=status, last_error=copy.deepcopy(error))
                step[f"{status}_at"] = at
                out.append(frame(f"thread.run.step.{status}", step))
        self.run["last_error"] = error
        settle(self.run, status, at, self.usage)
        out.append(frame(f"thread.run.{status}", self.run))
        self.done = True
        return out

    def fail(self, code: str, message: str) -> list[Frame]:
        """The call failed: open message ``incomplete``, open steps ``failed``, run ``failed``.

        Args:
            code: ``last_error.code``: ``server_error``, ``rate_limit_exceeded`` or
                ``invalid_prompt``.
            message: ``last_error.message``.
        """
        return self._stop("failed", self.clock(), {"code": code, "message": message})

    def cancel(self) -> list[Frame]:
        """The run was cancelled mid-call: message ``incomplete``, steps and run ``cancelled``."""
        return self._stop("cancelled", self.clock(), None)
