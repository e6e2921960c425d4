"""The Responses API part of the quirk matrix: requests, stubs, and what each quirk changes.

``POST /v1/responses`` streamed and not (text, ``max_output_tokens`` cuts, a forced function
call, items as input, a function call's output, ``text.format``, ``previous_response_id``, an
error mid-stream, errors), and ``GET /v1/responses/{id}`` of a stored response. Each quirk in
``mockgpt.responses_quirks`` gets a function in ``RESPONSES_EXPECT`` that changes the plain
answer in the quirk's one way; see ``tests/quirks/matrix.py`` for how they are compared.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from tests.quirks.wire import (
    GET,
    NO_KEY,
    RESPONSES,
    Ask,
    Rendered,
    error,
    objects,
    output_items,
    responses_of,
)

Expect = Callable[[str, Rendered, Ask], Rendered]

FUNCTION = {
    "type": "function",
    "name": "get_weather",
    "description": "The weather in a city.",
    "parameters": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
    },
}
"""``get_weather`` as a Responses function tool: flat, no ``function`` wrapper."""
LONG = " ".join(f"word{n}" for n in range(24))
"""An input the echo backend answers with more than 16 tokens."""
ANSWER_SCHEMA = {
    "type": "json_schema",
    "name": "answer",
    "schema": {
        "type": "object",
        "properties": {"answer": {"type": "string"}},
        "required": ["answer"],
        "additionalProperties": False,
    },
    "strict": True,
}
HELLO = {"model": "m", "input": "hello there"}
THINK = "think first"
THOUGHT = "Thinking it over."
REQUIRED = {"model": "m", "input": "call it", "tools": [FUNCTION], "tool_choice": "required"}
TOOL_ROUND_TRIP = [
    {"type": "message", "role": "user", "content": "what is the weather in Paris?"},
    {
        "type": "function_call",
        "call_id": "call_1",
        "name": "get_weather",
        "arguments": '{"city": "Paris"}',
    },
    {"type": "function_call_output", "call_id": "call_1", "output": "sunny"},
]
BROKEN, UNBROKEN = "break later", "one two three"
"""The input the ``break-later`` stub answers with ``UNBROKEN`` and an error after 5 events."""
FILTERED = "filter me"
"""The input the ``filtered`` stub answers with a ``content_filter`` cut."""
STORED, STORED_CUT = "<stored>", "<stored-cut>"
"""In a path or as a body value: the id of a response created (and stored) just before."""
RESPONSES_STORED = {
    STORED: {"model": "m", "input": "remember this"},
    STORED_CUT: {"model": "m", "input": LONG, "max_output_tokens": 16},
}
"""The requests that create the stored responses, by placeholder."""

RESPONSES_REQUESTS: dict[str, tuple[str, dict[str, Any]]] = {
    "resp-text": (RESPONSES, HELLO),
    "resp-text-stream": (RESPONSES, {**HELLO, "stream": True}),
    "resp-length": (RESPONSES, {"model": "m", "input": LONG, "max_output_tokens": 16}),
    "resp-length-stream": (
        RESPONSES,
        {"model": "m", "input": LONG, "max_output_tokens": 16, "stream": True},
    ),
    "resp-tools": (RESPONSES, {**HELLO, "tools": [FUNCTION]}),
    "resp-tools-stream": (RESPONSES, {**HELLO, "tools": [FUNCTION], "stream": True}),
    "resp-required": (RESPONSES, REQUIRED),
    "resp-required-stream": (RESPONSES, {**REQUIRED, "stream": True}),
    "resp-items": (
        RESPONSES,
        {
            "model": "m",
            "input": [
                {
                    "type": "message",
                    "role": "user",
                    "content": [{"type": "input_text", "text": "hello there"}],
                }
            ],
        },
    ),
    "resp-tool-output": (RESPONSES, {"model": "m", "input": TOOL_ROUND_TRIP, "tools": [FUNCTION]}),
    "resp-json-schema": (RESPONSES, {**HELLO, "text": {"format": ANSWER_SCHEMA}}),
    "resp-chained": (
        RESPONSES,
        {"model": "m", "input": "and again", "previous_response_id": STORED},
    ),
    "resp-retrieve": (f"{GET}{RESPONSES}/{STORED}", {}),
    "resp-retrieve-cut": (f"{GET}{RESPONSES}/{STORED_CUT}", {}),
    "resp-filtered": (RESPONSES, {"model": "m", "input": FILTERED}),
    "resp-filtered-stream": (RESPONSES, {"model": "m", "input": FILTERED, "stream": True}),
    "resp-stream-error": (RESPONSES, {"model": "m", "input": BROKEN, "stream": True}),
    "resp-invalid": (RESPONSES, {**HELLO, "max_output_tokens": 1}),
    "resp-no-key": (NO_KEY + RESPONSES, HELLO),
    "resp-limited": (RESPONSES, {"model": "m", "input": "limit"}),
    "resp-unknown-model": (RESPONSES, {**HELLO, "model": "nope"}),
    "resp-reasoning-stream": (
        RESPONSES,
        {"model": "m", "input": THINK, "stream": True},
    ),
}
RESPONSES_VARIANTS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "-text": lambda body: {k: v for k, v in body.items() if k != "text"},
    "unbroken": lambda body: {**body, "input": UNBROKEN} if body.get("input") == BROKEN else body,
}
"""Changed Responses requests whose plain answers some quirks are compared with."""
RESPONSES_STUBS = (
    {
        "id": "reasoning",
        "match": {"last_user": {"equals": THINK}},
        "respond": {"content": "done", "reasoning": {"text": THOUGHT}},
    },
    {
        "id": "break-later",
        "match": {"last_user": {"equals": BROKEN}},
        "respond": {"content": UNBROKEN},
        "fault": {"error_after_chunks": 5},
    },
    {
        "id": "filtered",
        "match": {"last_user": {"equals": FILTERED}},
        "respond": {"content": "you asked to", "finish_reason": "content_filter"},
    },
)
"""An error in the middle of a Responses stream, after the first text delta; an answer cut
by the content filter (``incomplete`` too, but not by ``max_output_tokens``)."""


def _body(name: str) -> dict[str, Any] | None:
    """The body of a Responses POST that reaches the route (with a key), else None."""
    path, body = RESPONSES_REQUESTS.get(name, ("", {}))
    return body if path == RESPONSES else None


def _renumber(events: list[Any]) -> None:
    for number, event in enumerate(events):
        if isinstance(event, dict) and "sequence_number" in event:
            event["sequence_number"] = number


def without_events(dropped: Callable[[dict[str, Any]], bool]) -> Expect:
    """A Responses stream without the events ``dropped`` names, numbered again from 0.

    A fault cuts a stream after N events, whichever they are: the expected stream is the
    first N events left of the whole stream (the same request without the fault, which is the
    same stream up to the cut), then the plain one's error event.
    """

    def change(name: str, plain: Rendered, ask: Ask) -> Rendered:
        if "event_names" not in plain:
            return plain
        pairs = list(zip(plain["event_names"], plain["events"], strict=True))
        cut = [i for i, (_, event) in enumerate(pairs) if event.get("type") == "error"]
        if cut:
            whole = ask("unbroken")
            assert whole["events"][: cut[0]] == plain["events"][: cut[0]]
            whole_pairs = zip(whole["event_names"], whole["events"], strict=True)
            kept = [p for p in whole_pairs if not dropped(p[1])]
            pairs = [*kept[: cut[0]], pairs[cut[0]]]
        else:
            pairs = [p for p in pairs if not dropped(p[1])]
        plain["event_names"] = [n for n, _ in pairs]
        plain["events"] = [e for _, e in pairs]
        _renumber(plain["events"])
        return plain

    return change


def fields_missing(name: str, plain: Rendered, ask: Ask) -> Rendered:
    for response in responses_of(plain):
        for key in ("parallel_tool_calls", "tool_choice", "temperature", "top_p"):
            del response[key]
    return plain


def usage_chat_names(name: str, plain: Rendered, ask: Ask) -> Rendered:
    for response in responses_of(plain):
        usage = response["usage"]
        if usage is not None:
            response["usage"] = {
                "prompt_tokens": usage["input_tokens"],
                "completion_tokens": usage["output_tokens"],
                "total_tokens": usage["total_tokens"],
            }
    return plain


def input_array_rejected(name: str, plain: Rendered, ask: Ask) -> Rendered:
    body = _body(name)
    if body is not None and isinstance(body.get("input"), list):
        message = "Invalid type for 'input': expected a string, but got an array."
        return error(400, message, "invalid_request_error", "input", None)
    return plain


def function_call_output_rejected(name: str, plain: Rendered, ask: Ask) -> Rendered:
    body = _body(name)
    for position, item in enumerate((body or {}).get("input") or ()):
        if isinstance(item, dict) and item.get("type") == "function_call_output":
            message = "Unsupported input item type: 'function_call_output'."
            param = f"input[{position}].type"
            return error(400, message, "invalid_request_error", param, None)
    return plain


def truncation_completed(name: str, plain: Rendered, ask: Ask) -> Rendered:
    cut = {"reason": "max_output_tokens"}
    if not any(r["incomplete_details"] == cut for r in responses_of(plain)):
        return plain  # complete, or cut by the content filter
    for response in responses_of(plain):
        if response["incomplete_details"] == cut:
            response["status"] = "completed"
            response["incomplete_details"] = None
    for item in output_items(plain):
        if item.get("status") == "incomplete":
            item["status"] = "completed"
    for position, event in enumerate(plain["events"] if "event_names" in plain else ()):
        if event.get("type") == "response.incomplete":
            event["type"] = plain["event_names"][position] = "response.completed"
    return plain


def arguments_object(name: str, plain: Rendered, ask: Ask) -> Rendered:
    for item in output_items(plain):
        if item.get("type") == "function_call" and item["arguments"]:
            item["arguments"] = json.loads(item["arguments"])
    for event in objects(plain):
        if event.get("type") == "response.function_call_arguments.done":
            event["arguments"] = json.loads(event["arguments"])
    return plain


def previous_id_dropped(name: str, plain: Rendered, ask: Ask) -> Rendered:
    for response in responses_of(plain):
        response["previous_response_id"] = None
    return plain


def retrieve_stale(name: str, plain: Rendered, ask: Ask) -> Rendered:
    path, _ = RESPONSES_REQUESTS.get(name, ("", {}))
    if path.startswith(f"{GET}{RESPONSES}/") and plain["status"] == 200:
        plain["body"].update(status="in_progress", incomplete_details=None, output=[], usage=None)
    return plain


def json_when_stream(name: str, plain: Rendered, ask: Ask) -> Rendered:
    return ask("-stream") if "event_names" in plain else plain


def no_event_field(name: str, plain: Rendered, ask: Ask) -> Rendered:
    if "event_names" in plain:
        plain["event_names"] = [None] * len(plain["events"])
    return plain


def sequence_number_missing(name: str, plain: Rendered, ask: Ask) -> Rendered:
    if "event_names" in plain:
        for event in plain["events"]:
            del event["sequence_number"]
    return plain


def completed_output_empty(name: str, plain: Rendered, ask: Ask) -> Rendered:
    for event in plain.get("events", ()):
        if isinstance(event, dict) and event.get("type") == "response.completed":
            event["response"]["output"] = []
    return plain


def chat_error_frame(name: str, plain: Rendered, ask: Ask) -> Rendered:
    if "event_names" not in plain:
        return plain
    for position, event in enumerate(plain["events"]):
        if event.get("type") == "error":
            plain["event_names"][position] = None
            plain["events"][position] = {
                "error": {
                    "message": event["message"],
                    "type": "server_error",
                    "param": event["param"],
                    "code": event["code"],
                }
            }
    return plain


def error_nested(name: str, plain: Rendered, ask: Ask) -> Rendered:
    if "event_names" not in plain:
        return plain
    for event in plain["events"]:
        if event.get("type") == "error":
            inner = {"type": "server_error"}
            inner.update({k: event.pop(k) for k in ("code", "message", "param")})
            event["error"] = inner
    return plain


def responses_variant_of(variant: str) -> Expect:
    """The plain answer to the Responses request changed by ``variant``, where it changes it."""

    def change(name: str, plain: Rendered, ask: Ask) -> Rendered:
        body = _body(name)
        if body is not None and RESPONSES_VARIANTS[variant](body) != body:
            return ask(variant)
        return plain

    return change


def _same(name: str, plain: Rendered, ask: Ask) -> Rendered:
    return plain


RESPONSES_EXPECT: dict[str, Expect] = {
    "responses-fields-missing": fields_missing,
    "responses-usage-chat-names": usage_chat_names,
    "responses-input-array-rejected": input_array_rejected,
    "responses-function-call-output-rejected": function_call_output_rejected,
    "responses-truncation-completed": truncation_completed,
    "responses-arguments-object": arguments_object,
    "responses-previous-id-dropped": previous_id_dropped,
    "responses-retrieve-stale": retrieve_stale,
    "responses-text-format-ignored": responses_variant_of("-text"),
    "responses-json-when-stream": json_when_stream,
    "responses-no-event-field": no_event_field,
    "responses-sequence-number-missing": sequence_number_missing,
    "responses-no-created": without_events(lambda e: e.get("type") == "response.created"),
    "responses-no-content-part-events": without_events(
        lambda e: e.get("type") in ("response.content_part.added", "response.content_part.done")
    ),
    "responses-id-changes": _same,  # normalised away; response_ids_and_created checks it
    "responses-completed-output-empty": completed_output_empty,
    "responses-chat-error-frame": chat_error_frame,
    "responses-error-nested": error_nested,
    "responses-reasoning-summary-events-missing": without_events(
        lambda e: str(e.get("type")).startswith("response.reasoning_summary_")
    ),
}
"""For each Responses quirk: the plain answer (normalised) changed in the quirk's one way."""


def response_ids_and_created(quirks: set[str], quirked: Rendered) -> set[str]:
    """Check the ``Response`` ids and ``created_at`` of a Responses answer (normalising hides
    them); ``{"responses-id-changes"}`` when this answer shows that quirk.
    """
    ids = [r["id"] for r in responses_of(quirked)]
    created = [r["created_at"] for r in responses_of(quirked)]
    assert all(type(c) is int for c in created), created
    assert len(set(created)) <= 1, created
    if "responses-id-changes" in quirks and "events" in quirked and len(ids) > 1:
        assert len(set(ids)) == len(ids), ids
        return {"responses-id-changes"}
    assert len(set(ids)) <= 1, ids
    return set()
