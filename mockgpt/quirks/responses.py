"""The Responses API's quirks (``mockgpt.quirks.REGISTRY``), by stage.

Real servers that bridge the Responses API onto chat completions have shipped each of these
(vLLM, SGLang, LiteLLM; see ``openai-wire-notes``). They are the broken twins of the
conformance suite's Responses checks. ``ResponseQuirks`` rewrites the request before it is
answered, the ``Response`` objects and the stream's events; nothing here runs unless a
scenario names the quirk.

Spec: ``Response``, ``ResponseUsage``, ``FunctionToolCall``, ``ResponseStreamEvent``,
``ResponseErrorEvent``.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from mockgpt.errors import RequestRejected
from mockgpt.types import JSONObject, JSONValue

_LIFECYCLE = frozenset(
    {
        "response.created",
        "response.in_progress",
        "response.completed",
        "response.incomplete",
        "response.failed",
    }
)
_DROPPED_FIELDS = ("parallel_tool_calls", "tool_choice", "temperature", "top_p")


def reject_request(body: Any, quirks: frozenset[str]) -> None:
    """``responses-input-array-rejected`` / ``-function-call-output-rejected`` on a request body.

    Raises:
        RequestRejected: 400, as those servers answer.
    """
    if not quirks or not isinstance(body, dict):
        return
    items = body.get("input")
    if "responses-input-array-rejected" in quirks and isinstance(items, list):
        raise RequestRejected(
            400, "Invalid type for 'input': expected a string, but got an array.", param="input"
        )
    if "responses-function-call-output-rejected" in quirks and isinstance(items, list):
        for position, item in enumerate(items):
            if isinstance(item, dict) and item.get("type") == "function_call_output":
                raise RequestRejected(
                    400,
                    "Unsupported input item type: 'function_call_output'.",
                    param=f"input[{position}].type",
                )


def quirk_request(body: JSONObject, quirks: frozenset[str]) -> JSONObject:
    """``responses-text-format-ignored``: the body the answer is made for, without ``text``."""
    if "responses-text-format-ignored" in quirks and "text" in body:
        return {k: v for k, v in body.items() if k != "text"}
    return body


def _cut_by_max_output_tokens(response: JSONValue) -> bool:
    """Whether ``response`` is ``incomplete`` because ``max_output_tokens`` cut it."""
    if not isinstance(response, dict) or response.get("status") != "incomplete":
        return False
    details = response.get("incomplete_details")
    return isinstance(details, dict) and details.get("reason") == "max_output_tokens"


def _output_item(item: JSONValue, quirks: frozenset[str], *, cut: bool) -> None:
    """The quirks of one output item; ``cut``: its response was cut by ``max_output_tokens``."""
    if not isinstance(item, dict):
        return
    if "responses-truncation-completed" in quirks and cut and item.get("status") == "incomplete":
        item["status"] = "completed"
    arguments = item.get("arguments")
    if (
        "responses-arguments-object" in quirks
        and item.get("type") == "function_call"
        and isinstance(arguments, str)
        and arguments
    ):
        item["arguments"] = _as_object(arguments)


def _as_object(arguments: str) -> JSONValue:
    try:
        value: JSONValue = json.loads(arguments)
    except ValueError:
        return arguments
    return value


def quirk_response(response: JSONObject, quirks: frozenset[str]) -> JSONObject:
    """A ``Response`` with the quirks that concern it (a copy; ``response`` is not changed).

    For a non-streamed answer, a retrieved one, or the one inside a lifecycle event.
    """
    if not quirks:
        return response
    out = copy.deepcopy(response)
    if "responses-fields-missing" in quirks:
        for key in _DROPPED_FIELDS:
            out.pop(key, None)
    usage = out.get("usage")
    if "responses-usage-chat-names" in quirks and isinstance(usage, dict):
        out["usage"] = {
            "prompt_tokens": usage.get("input_tokens"),
            "completion_tokens": usage.get("output_tokens"),
            "total_tokens": usage.get("total_tokens"),
        }
    cut = _cut_by_max_output_tokens(out)
    if "responses-truncation-completed" in quirks and cut:
        out["status"] = "completed"
        out["incomplete_details"] = None
    if "responses-previous-id-dropped" in quirks:
        out["previous_response_id"] = None
    for item in out.get("output") or []:  # type: ignore[union-attr]
        _output_item(item, quirks, cut=cut)
    return out


def stale_response(response: JSONObject, quirks: frozenset[str]) -> JSONObject:
    """``responses-retrieve-stale``: a stored response as it was when it was created."""
    out = quirk_response(response, quirks)
    if "responses-retrieve-stale" in quirks:
        stale: JSONObject = {
            "status": "in_progress",
            "incomplete_details": None,
            "output": [],
            "usage": None,
        }
        out = {**out, **stale}
    return out


class ResponseEventQuirks:
    """Applies the stream quirks to the events of one Responses stream, in order.

    Dropped events do not leave holes: the events that go out are numbered again from 0.
    An item is marked ``incomplete`` only in the closing events, which end with the terminal
    one: ``apply`` looks ahead to it to tell a ``max_output_tokens`` cut from another.
    """

    def __init__(self, quirks: frozenset[str]) -> None:
        self.quirks = quirks
        self._sent = 0
        self._lifecycle = 0
        self._cut = False

    def apply(self, events: list[JSONObject]) -> list[JSONObject]:
        """The events to send in place of ``events``."""
        self._cut = self._cut or any(
            _cut_by_max_output_tokens(e.get("response"))
            for e in events
            if e.get("type") in _LIFECYCLE
        )
        out: list[JSONObject] = []
        for event in events:
            changed = self._one(event)
            if changed is not None:
                out.append(changed)
        return out

    def _one(self, event: JSONObject) -> JSONObject | None:
        quirks = self.quirks
        kind = event.get("type")
        if kind == "response.created" and "responses-no-created" in quirks:
            return None
        if "responses-no-content-part-events" in quirks and kind in (
            "response.content_part.added",
            "response.content_part.done",
        ):
            return None
        if "responses-reasoning-summary-events-missing" in quirks and str(kind).startswith(
            "response.reasoning_summary_"
        ):
            return None
        out = dict(event)
        response = out.get("response")
        if kind in _LIFECYCLE and isinstance(response, dict):
            response = quirk_response(response, quirks)
            if "responses-id-changes" in quirks and self._lifecycle:
                response["id"] = f"{response['id']}_{self._lifecycle}"
            if "responses-completed-output-empty" in quirks and kind == "response.completed":
                response["output"] = []
            if (
                "responses-truncation-completed" in quirks
                and kind == "response.incomplete"
                and self._cut
            ):
                out["type"] = "response.completed"
            self._lifecycle += 1
            out["response"] = response
        if "item" in out:
            out["item"] = copy.deepcopy(out["item"])
            _output_item(out["item"], quirks, cut=self._cut)
        if (
            kind == "response.function_call_arguments.done"
            and "responses-arguments-object" in quirks
            and isinstance(out.get("arguments"), str)
        ):
            out["arguments"] = _as_object(str(out["arguments"]))
        if "responses-sequence-number-missing" in quirks:
            out.pop("sequence_number", None)
        elif "sequence_number" in out:
            out["sequence_number"] = self._sent
        self._sent += 1
        return out


def event_names(quirks: frozenset[str]) -> bool:
    """Whether stream events carry their ``event:`` line (``responses-no-event-field``)."""
    return "responses-no-event-field" not in quirks


def error_event(
    event: JSONObject, error_type: str, quirks: frozenset[str]
) -> tuple[JSONObject, bool]:
    """The frame stage of a stream's ``error`` event: its data, and whether it is named.

    ``responses-chat-error-frame`` sends a chat-style ``{"error": {...}}`` body without an
    event name; ``responses-sequence-number-missing`` drops ``sequence_number``;
    ``responses-no-event-field`` drops the name; ``responses-error-nested`` moves ``code``,
    ``message`` and ``param`` into an ``error`` object.

    Args:
        event: the ``ResponseErrorEvent``.
        error_type: the error's ``type`` (``server_error``, ``rate_limit_error``, ...).
        quirks: the active quirks.
    """
    if "responses-chat-error-frame" in quirks:
        chat_style: JSONObject = {
            "error": {
                "message": event.get("message"),
                "type": error_type,
                "param": event.get("param"),
                "code": event.get("code"),
            }
        }
        return chat_style, False
    if "responses-error-nested" in quirks:
        inner: JSONObject = {"type": error_type}
        inner.update({k: v for k, v in event.items() if k in ("code", "message", "param")})
        event = {
            **{k: v for k, v in event.items() if k not in ("code", "message", "param")},
            "error": inner,
        }
    if "responses-sequence-number-missing" in quirks:
        event = {k: v for k, v in event.items() if k != "sequence_number"}
    return event, event_names(quirks)
