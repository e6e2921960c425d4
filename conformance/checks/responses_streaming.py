"""Responses API streams: the events, their order, and errors mid-stream.

SSE framing, event names, ``sequence_number``, the lifecycle, the order of item events, a
stable response id and the final output (errors mid-stream: ``responses_errors.py``).

Spec: ``ResponseStreamEvent`` and its members (``ResponseCreatedEvent``,
``ResponseOutputItemAddedEvent``, ``ResponseContentPartAddedEvent``,
``ResponseTextDeltaEvent``, ``ResponseFunctionCallArgumentsDoneEvent``,
``ResponseCompletedEvent``, ``ResponseErrorEvent``, ...). The official client's
``responses.stream()`` helper is the state machine these rules come from.
"""

from __future__ import annotations

from typing import Any

from conformance.checks import _responses as rs
from conformance.checks._shared import dumps
from conformance.context import CheckContext
from conformance.failures import Unsupported, Violation
from conformance.registry import check

CONTENT_EVENTS = frozenset(
    {
        "response.output_text.delta",
        "response.output_text.done",
        "response.refusal.delta",
        "response.refusal.done",
        "response.content_part.done",
    }
)
ARGUMENT_EVENTS = frozenset(
    {"response.function_call_arguments.delta", "response.function_call_arguments.done"}
)


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


def require_sequence(stream: rs.ResponseStream, owner: str | None) -> None:
    """Every event has an integer ``sequence_number``, strictly increasing.

    Raises:
        Violation: one is missing, not an integer, or not above the one before.
    """
    last: int | None = None
    for event in stream.events:
        number = event.data.get("sequence_number")
        where = f"events[{event.position}].sequence_number"
        if not isinstance(number, int) or isinstance(number, bool):
            raise Violation(
                where,
                "an integer (required in every stream event)",
                "no such key" if "sequence_number" not in event.data else dumps(number),
                owner=owner,
                exchange=stream.exchange,
            )
        if number < 0 or (last is not None and number <= last):
            raise Violation(
                where,
                f"more than {last}" if last is not None else "0 or more",
                str(number),
                owner=owner,
                exchange=stream.exchange,
            )
        last = number


@check(
    id="responses.stream.sequence-number",
    feature="responses-streaming",
    spec="ResponseStreamEvent: every event has `sequence_number` (integer, required); the "
    "client resumes with `starting_after`, so the numbers increase",
)
def stream_sequence_number(ctx: CheckContext) -> None:
    """Every event carries an integer ``sequence_number``, strictly increasing."""
    require_sequence(rs.stream(ctx, rs.body(ctx)), None)


def require_stable_id(stream: rs.ResponseStream, owner: str | None) -> None:
    """Every lifecycle event carries a ``response`` with the same ``id``.

    Raises:
        Violation: two differ.
    """
    lifecycle = stream.lifecycle()
    if not lifecycle:
        return
    first = lifecycle[0].data["response"].get("id")
    for event in lifecycle[1:]:
        found = event.data["response"].get("id")
        if found != first:
            raise Violation(
                f"events[{event.position}].response.id",
                f"{dumps(first)}, as in {lifecycle[0].type}",
                dumps(found),
                owner=owner,
                exchange=stream.exchange,
            )


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


def _item_key(item: Any) -> tuple[Any, ...]:
    if not isinstance(item, dict):
        return (item,)
    return (item.get("type"), item.get("id"), item.get("call_id"))


def require_item_order(stream: rs.ResponseStream, owner: str | None) -> None:
    """Item events come in the order the spec's state machine needs.

    ``response.output_item.added`` opens output index 0, 1, 2, ... in turn; every content
    event needs its item (of the right type, ``item_id`` equal to the item's ``id``) and its
    ``content_part.added``; ``output_text.done`` / ``function_call_arguments.done`` carry the
    joined deltas; every item is closed by ``output_item.done`` with the same identity before
    the terminal event.

    Raises:
        Violation: the first event out of order (owned by ``owner``; a function call's
            arguments that are not a string by ``responses.function-call``).
    """
    items: dict[int, dict[str, Any]] = {}
    parts: set[tuple[int, Any]] = set()
    texts: dict[tuple[int, Any], str] = {}
    arguments: dict[int, str] = {}
    closed: set[int] = set()

    def fail(event: rs.ResponseEvent, field: str, expected: str, got: str) -> Violation:
        return Violation(
            f"events[{event.position}]{field}",
            expected,
            got,
            owner=owner,
            exchange=stream.exchange,
        )

    for event in stream.events:
        data = event.data
        kind = event.type
        index = data.get("output_index")
        if kind == "response.output_item.added":
            if index != len(items):
                raise fail(event, ".output_index", f"{len(items)} (the next item)", dumps(index))
            added = data.get("item")
            items[index] = added if isinstance(added, dict) else {}
            continue
        if kind not in CONTENT_EVENTS | ARGUMENT_EVENTS | {
            "response.content_part.added",
            "response.output_item.done",
        }:
            continue
        if not isinstance(index, int) or index not in items:
            raise fail(
                event,
                ".output_index",
                "the index of an item opened by response.output_item.added",
                f"{dumps(index)} before its output_item.added ({kind})",
            )
        item = items[index]
        if kind == "response.output_item.done":
            done_item = data.get("item")
            if _item_key(done_item) != _item_key(item):
                raise fail(
                    event,
                    ".item",
                    f"the item added at output_index {index}: {dumps(_item_key(item))}",
                    dumps(_item_key(done_item)),
                )
            closed.add(index)
            continue
        if "item_id" in item and data.get("item_id") != item["id"]:
            raise fail(event, ".item_id", dumps(item["id"]), dumps(data.get("item_id")))
        wanted = "function_call" if kind in ARGUMENT_EVENTS else "message"
        if item.get("type") != wanted:
            raise fail(
                event, "", f"{kind} for a {wanted} item", f"an item of type {item.get('type')}"
            )
        if kind in ARGUMENT_EVENTS:
            so_far = arguments.get(index, "")
            if kind.endswith(".delta"):
                arguments[index] = so_far + str(data.get("delta", ""))
            elif not isinstance(data.get("arguments"), str):
                raise Violation(
                    f"events[{event.position}].arguments",
                    "a JSON string",
                    dumps(data.get("arguments"))[:120],
                    owner=rs.FUNCTION_CALL,
                    exchange=stream.exchange,
                )
            elif data["arguments"] != so_far:
                expected = f"the joined deltas {dumps(so_far)[:80]}"
                raise fail(event, ".arguments", expected, dumps(data["arguments"])[:80])
            continue
        part = (index, data.get("content_index"))
        if kind == "response.content_part.added":
            parts.add(part)
            continue
        if part not in parts:
            raise fail(
                event,
                ".content_index",
                "a content part opened by response.content_part.added",
                f"{dumps(part[1])} before its content_part.added ({kind})",
            )
        if kind == "response.output_text.delta":
            texts[part] = texts.get(part, "") + str(data.get("delta", ""))
        elif kind == "response.output_text.done" and data.get("text") != texts.get(part, ""):
            expected = f"the joined deltas {dumps(texts.get(part, ''))[:80]}"
            raise fail(event, ".text", expected, dumps(data.get("text"))[:80])
    still_open = sorted(set(items) - closed)
    if still_open:
        raise Violation(
            "<stream>",
            "a response.output_item.done for every added item",
            f"output_index {still_open} never done",
            owner=owner,
            exchange=stream.exchange,
        )


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


def require_final_output(stream: rs.ResponseStream, owner: str | None) -> None:
    """The terminal event's ``response.output`` holds the items the stream closed, in order.

    Raises:
        Violation: it is empty or differs from the ``output_item.done`` items.
    """
    final = stream.terminal_response()
    done = [e.data.get("item") for e in stream.of_type("response.output_item.done")]
    where = f"events[{stream.terminal().position}].response.output"
    if not final["output"]:
        raise Violation(
            where,
            f"the {len(done)} item(s) of the output_item.done events",
            "[]",
            owner=owner,
            exchange=stream.exchange,
        )
    if [_item_key(i) for i in final["output"]] != [_item_key(i) for i in done]:
        raise Violation(
            where,
            f"the output_item.done items {dumps([_item_key(i) for i in done])[:120]}",
            dumps([_item_key(i) for i in final["output"]])[:120],
            owner=owner,
            exchange=stream.exchange,
        )
    for position, (got, want) in enumerate(zip(final["output"], done, strict=True)):
        if got != want:
            raise Violation(
                f"{where}[{position}]",
                f"the item of its output_item.done: {dumps(want)[:100]}",
                dumps(got)[:100],
                owner=owner,
                exchange=stream.exchange,
            )


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
