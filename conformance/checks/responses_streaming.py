"""Responses API streams: the events, their order, and errors mid-stream.

SSE framing, event names, ``sequence_number``, the lifecycle, the order of item events, a
stable response id and the final output (errors mid-stream: ``responses_errors.py``). The
rules the lifecycle check applies too are functions of ``_responses_events.py``.

Spec: ``ResponseStreamEvent`` and its members (``ResponseCreatedEvent``,
``ResponseOutputItemAddedEvent``, ``ResponseContentPartAddedEvent``,
``ResponseTextDeltaEvent``, ``ResponseFunctionCallArgumentsDoneEvent``,
``ResponseCompletedEvent``, ``ResponseErrorEvent``, ...). The official client's
``responses.stream()`` helper is the state machine these rules come from.
"""

from __future__ import annotations

from conformance.checks import _responses as rs
from conformance.checks._responses_events import (
    require_final_output,
    require_item_order,
    require_sequence,
    require_stable_id,
)
from conformance.checks._shared import dumps
from conformance.context import CheckContext
from conformance.failures import Unsupported, Violation
from conformance.registry import check


@check(
    id="responses.stream.sse",
    feature="responses-streaming",
    spec="CreateResponse.stream: the response data is streamed to the client as server-sent "
    "events (text/event-stream), each a ResponseStreamEvent with its `type`",
)
def stream_is_sse(ctx: CheckContext) -> None:
    """``stream: true`` is answered with 200 and ``text/event-stream`` events.

    Each event's data is a JSON object with a ``type``; the official client yields them.
    """
    stream = rs.stream(ctx, rs.body(ctx))
    if stream.result.content_type != "text/event-stream":
        raise Violation(
            "<header content-type>",
            "text/event-stream",
            stream.result.headers.get("content-type", "<none>"),
            exchange=stream.exchange,
        )
    request = rs.body(ctx)
    exchange = ctx.exchange("POST", "/responses", {**request, "stream": True}, stream=True)
    with ctx.client_step("client", exchange, "iterating responses.create(stream=True)"):
        events = ctx.client().responses.create(**request, stream=True)
        try:
            seen = ctx.drain(events, exchange, "client")
        finally:
            events.close()
    if not seen:
        raise Violation(
            "<client>",
            "at least one event from responses.create(stream=True)",
            "no event",
            level="client",
            exchange=exchange,
        )


@check(
    id="responses.stream.event-names",
    feature="responses-streaming",
    spec="ResponseStreamEvent as server-sent events: `event: <type>` names each event, equal to "
    "the `type` of its data",
    severity="should",
)
def stream_event_names(ctx: CheckContext) -> None:
    """Every event has an ``event:`` line naming its ``type``.

    The official Python client reads only ``data:``; clients that dispatch on the SSE event
    name (browsers' ``EventSource``, the Node client's listeners) see nothing without it.
    """
    stream = rs.stream(ctx, rs.body(ctx))
    for event in stream.events:
        if event.sse.event != event.type:
            raise Violation(
                f"events[{event.position}].event",
                dumps(event.type),
                "no event: line" if event.sse.event is None else dumps(event.sse.event),
                exchange=stream.exchange,
            )


@check(
    id="responses.stream.sequence-number",
    feature="responses-streaming",
    spec="ResponseStreamEvent: every event has `sequence_number` (integer, required); the "
    "client resumes with `starting_after`, so the numbers increase",
)
def stream_sequence_number(ctx: CheckContext) -> None:
    """Every event carries an integer ``sequence_number``, strictly increasing."""
    require_sequence(rs.stream(ctx, rs.body(ctx)), None)


@check(
    id="responses.stream.id-stable",
    feature="responses-streaming",
    spec="ResponseCreatedEvent / ResponseInProgressEvent / ResponseCompletedEvent: the same "
    "Response, so the same `response.id`",
)
def stream_id_stable(ctx: CheckContext) -> None:
    """``response.created``, ``.in_progress`` and the terminal event name the same response id.

    The official ``responses.stream()`` helper raises "Lifecycle response identity changed"
    otherwise.
    """
    require_stable_id(rs.stream(ctx, rs.body(ctx)), None)


@check(
    id="responses.stream.event-order",
    feature="responses-streaming",
    spec="ResponseOutputItemAddedEvent -> ResponseContentPartAddedEvent -> "
    "ResponseTextDeltaEvent* -> ResponseTextDoneEvent -> ResponseContentPartDoneEvent -> "
    "ResponseOutputItemDoneEvent; function calls: ...FunctionCallArgumentsDeltaEvent* -> "
    "...FunctionCallArgumentsDoneEvent; item_id, output_index and content_index agree",
)
def stream_event_order(ctx: CheckContext) -> None:
    """Items open, fill and close in order, with consistent indexes and ids.

    For a text answer and for a function call. Deltas come after their item's
    ``output_item.added`` and their part's
    ``content_part.added``; ``.done`` events repeat the joined deltas. The official
    ``responses.stream()`` helper raises on events before their item or part.
    """
    require_item_order(rs.stream(ctx, rs.body(ctx)), None)
    try:
        calls = rs.stream(ctx, rs.tool_body(ctx), optional="function tools")
    except Unsupported:
        return
    require_item_order(calls, None)


@check(
    id="responses.stream.final-output",
    feature="responses-streaming",
    spec="ResponseCompletedEvent.response: the completed Response, whose output holds every "
    "item the stream produced",
)
def stream_final_output(ctx: CheckContext) -> None:
    """``response.completed`` carries the whole output, never ``output: []``.

    Its items are those of the ``output_item.done`` events, equal and in order. A client that
    keeps only the final event (most do) otherwise sees an empty answer.
    """
    require_final_output(rs.stream(ctx, rs.body(ctx)), None)


@check(
    id="responses.stream.lifecycle",
    feature="responses-streaming",
    spec="ResponseCreatedEvent first (a Response, status in_progress), then "
    "ResponseInProgressEvent; one terminal event (ResponseCompletedEvent, "
    "ResponseIncompleteEvent or ResponseFailedEvent) last",
)
def stream_lifecycle(ctx: CheckContext) -> None:
    """The stream opens with ``response.created`` and ends with exactly one terminal event.

    The official ``responses.stream()`` helper returns the final response. ``response.created``
    carries the Response with status ``in_progress`` (or ``queued``);
    nothing but a ``[DONE]`` follows the terminal event. The helper raises without
    ``response.created`` and without ``response.completed``.
    """
    stream = rs.stream(ctx, rs.body(ctx))
    first = stream.events[0]
    if first.type != "response.created":
        raise Violation(
            "events[0].type", "response.created", dumps(first.type), exchange=stream.exchange
        )
    response = first.data.get("response")
    status = response.get("status") if isinstance(response, dict) else None
    if status not in ("in_progress", "queued"):
        raise Violation(
            "events[0].response.status",
            "in_progress or queued",
            dumps(status),
            exchange=stream.exchange,
        )
    terminals = stream.of_type(*rs.TERMINAL_TYPES)
    stream.terminal()
    if len(terminals) > 1 or terminals[-1].position != len(stream.events) - 1:
        after = stream.events[terminals[0].position + 1]
        raise Violation(
            f"events[{after.position}]",
            f"nothing after {terminals[0].type}",
            after.type,
            exchange=stream.exchange,
        )
    require_stable_id(stream, rs.ID_STABLE)
    require_item_order(stream, rs.EVENT_ORDER)
    require_final_output(stream, rs.FINAL_OUTPUT)
    request = rs.body(ctx)
    exchange = ctx.exchange("POST", "/responses", {**request, "stream": True}, stream=True)
    with (
        ctx.client_step("helper", exchange, "responses.stream(...).get_final_response()"),
        ctx.client().responses.stream(**request) as helper,
    ):
        ctx.drain(helper, exchange, "helper")
        final = helper.get_final_response()
    if not final.output:
        raise Violation(
            "<helper>.output", "the streamed items", "[]", level="helper", exchange=exchange
        )
