"""Responses API streams: an error mid-stream, and the shape of its ``error`` event.

Spec: ``ResponseErrorEvent`` (``type: "error"``, ``code``, ``message``, ``param``,
``sequence_number``, all at the top level) and ``ResponseFailedEvent``.
"""

from __future__ import annotations

import json
from typing import Any

from conformance.checks import _responses as rs
from conformance.checks._shared import dumps
from conformance.context import CheckContext
from conformance.failures import NOT_A_STREAM, Unsupported, Violation
from conformance.http import StreamResult
from conformance.registry import check
from conformance.responses_wire import ErrorEvent, ResponseError
from conformance.validation import validate

ERROR_EVENT = "responses.stream.error-event"
ERROR_EVENT_FLAT = "responses.stream.error-event-flat"
_FLAT = 'an event {"type": "error", "code", "message", "param", "sequence_number"}'


def _error_stream(ctx: CheckContext) -> StreamResult:
    """A Responses stream of the model whose streams fail mid-way.

    Raises:
        Unsupported: no ``--stream-error-model``, or no Responses API.
        Violation: not a 200 stream (owned by the Responses SSE check).
    """
    model = ctx.settings.stream_error_model
    if model is None:
        raise Unsupported("no --stream-error-model given (a model whose streams fail mid-way)")
    request = rs.body(ctx, model=model, stream=True)
    result = ctx.post_stream("/responses", request, owner=None, cache=False)
    rs.refuse_missing_api(result)
    if result.status != 200:
        raise Violation(
            "<status>",
            "200, then an error event",
            f"{result.status} {result.text(160)}",
            owner=rs.STREAM_SSE,
            exchange=result.exchange,
            rule=NOT_A_STREAM,  # blocked only when the server streams nothing at all
        )
    return result


def _events(result: StreamResult) -> list[tuple[str, dict[str, Any], str]]:
    """``(where, event, data)`` for each data event that is a JSON object."""
    out = []
    for sse in result.sse.data_events:
        try:
            value = json.loads(sse.data or "")
        except ValueError:
            continue
        if isinstance(value, dict):
            out.append((f"events[{sse.offset}]", value, sse.data or ""))
    return out


def _nested(where: str, event: dict[str, Any], result: StreamResult, owner: str | None) -> None:
    """Raise when an ``error`` event nests its fields in an ``error`` object."""
    if isinstance(event.get("error"), dict) and "message" not in event:
        raise Violation(
            f"{where}.error",
            f"{_FLAT}: code, message and param at the top level",
            f"a nested error object: {dumps(event)[:160]}",
            owner=owner,
            exchange=result.exchange,
        )


def _chat_frame(where: str, data: str, result: StreamResult, owner: str | None) -> Violation:
    return Violation(
        where,
        _FLAT,
        f"a chat-style error frame without type: {data[:160]}",
        owner=owner,
        exchange=result.exchange,
    )


def _no_error(result: StreamResult, owner: str | None) -> Violation:
    last = result.sse.events[-1].raw()[:120] if result.sse.events else "<no event>"
    return Violation(
        "<stream>",
        "an error event (or response.failed)",
        f"{len(result.sse.events)} events without an error; last: {last}",
        owner=owner,
        exchange=result.exchange,
    )


@check(
    id="responses.stream.error-event",
    feature="responses-streaming",
    spec="ResponseErrorEvent {type `error`, code, message, param, sequence_number} or "
    "ResponseFailedEvent with response.error {code, message}; not a chat-style "
    '`{"error": {...}}` frame',
)
def stream_error_event(ctx: CheckContext) -> None:
    """An error mid-stream is an ``error`` event (or ``response.failed``), not a chat frame.

    Not chat's ``data: {"error": {...}}`` frame, which has no ``type`` and which clients that
    dispatch on ``type`` drop. Needs a model whose streams fail (``--stream-error-model``).
    """
    result = _error_stream(ctx)
    for where, value, data in _events(result):
        if value.get("type") == "error":
            _nested(where, value, result, ERROR_EVENT_FLAT)
            validate(
                ErrorEvent,
                value,
                exchange=result.exchange,
                prefix=where,
                owners=(("sequence_number", rs.SEQUENCE),),
            )
            return
        if value.get("type") == "response.failed":
            response = value.get("response")
            error = response.get("error") if isinstance(response, dict) else None
            validate(
                ResponseError, error, exchange=result.exchange, prefix=f"{where}.response.error"
            )
            return
        if "type" not in value and value.get("error"):
            raise _chat_frame(where, data, result, None)
    raise _no_error(result, None)


@check(
    id=ERROR_EVENT_FLAT,
    feature="responses-streaming",
    spec="ResponseErrorEvent: `code`, `message` and `param` are fields of the event itself, "
    "beside `type: error` and `sequence_number`; there is no nested `error` object",
)
def stream_error_event_flat(ctx: CheckContext) -> None:
    """A Responses stream's ``error`` event is flat: ``code``, ``message``, ``param`` on it.

    Not ``{"type": "error", "error": {...}}``: the official client's ``ResponseErrorEvent``
    then has no ``message``, and the error reaches the user without its text. A server that
    reports errors with ``response.failed`` only has nothing to check here (unsupported).
    Needs a model whose streams fail (``--stream-error-model``).
    """
    result = _error_stream(ctx)
    for where, value, data in _events(result):
        if value.get("type") == "error":
            _nested(where, value, result, None)
            return
        if value.get("type") == "response.failed":
            raise Unsupported("the server reports the error with response.failed, not `error`")
        if "type" not in value and value.get("error"):
            raise _chat_frame(where, data, result, ERROR_EVENT)
    raise _no_error(result, ERROR_EVENT)
