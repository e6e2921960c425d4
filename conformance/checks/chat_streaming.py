"""Chat completion streams: SSE framing, ``[DONE]``, and the invariants between chunks."""

from __future__ import annotations

from conformance.answers import CHAT_SCHEMA, ChatStream
from conformance.checks._shared import LONG_PROMPT, drain_client_stream, dumps, helper_final
from conformance.context import CheckContext
from conformance.failures import Unsupported, Violation
from conformance.registry import check
from conformance.validation import validate
from conformance.wire import ChatCompletionChunk

CHUNK_OWNERS = (
    ("created", CHAT_SCHEMA),
    ("choices[*].delta.tool_calls[*].index", "tools.stream.index"),
    ("choices[*].delta.tool_calls[*].function.arguments", "tools.arguments-json"),
)
"""Fields of a chunk whose rules other checks own."""


@check(
    id="chat.stream.sse",
    feature="chat-streaming",
    spec="CreateChatCompletionRequest.stream: partial message deltas are sent as data-only "
    "server-sent events; the request body, not the Accept header, asks for a stream",
)
def stream_is_sse(ctx: CheckContext) -> None:
    """``stream: true`` is answered with 200 and a stream of SSE chunks, not one JSON body.

    The request carries ``Accept: application/json``, as the official client sends it. The
    official client, which trusts the request and not the answer, yields at least one chunk
    (it yields none, silently, when a server answers with JSON).
    """
    stream = ctx.chat_stream()
    chunks = drain_client_stream(ctx, ctx.chat_body(stream=True), strict=False)
    if not chunks:
        raise Violation(
            "<client>",
            "at least one chunk from create(stream=True)",
            "no chunk (the client found no SSE event)",
            level="client",
            exchange=stream.exchange,
        )


@check(
    id="chat.stream.content-type",
    feature="chat-streaming",
    spec="Server-sent events (WHATWG): Content-Type text/event-stream",
)
def stream_content_type(ctx: CheckContext) -> None:
    """A stream is sent as ``Content-Type: text/event-stream``."""
    stream = ctx.chat_stream()
    if stream.result.content_type != "text/event-stream":
        raise Violation(
            "<header content-type>",
            "text/event-stream",
            stream.result.headers.get("content-type", "<none>"),
            exchange=stream.exchange,
        )


@check(
    id="chat.stream.data-lines",
    feature="chat-streaming",
    spec="CreateChatCompletionStreamResponse as data-only server-sent events: each event is one "
    "`data: <json>` line; keep-alives are `:` comments",
)
def stream_data_lines(ctx: CheckContext) -> None:
    """Every event is one ``data:`` line holding one JSON chunk (or ``[DONE]``).

    No event without data (``event: ping``), no empty ``data:``, no JSON split over several
    ``data:`` lines; keep-alives, if any, are SSE comments. The official client, which
    ``json.loads`` every event but ``[DONE]``, iterates the stream without an error.
    """
    stream = ctx.chat_stream()
    for event in stream.events:
        if event.data_lines > 1:
            raise Violation(
                f"events[{event.offset}]",
                "one data: line per event",
                f"{event.data_lines} data: lines: {event.raw()[:120]}",
                exchange=stream.exchange,
            )
    drain_client_stream(ctx, ctx.chat_body(stream=True), strict=False)


@check(
    id="chat.stream.event-termination",
    feature="chat-streaming",
    spec="Server-sent events (WHATWG): an event is dispatched at a blank line; "
    "every event, the last included, ends with a blank line",
)
def stream_event_termination(ctx: CheckContext) -> None:
    """Every event, including the last, ends with a blank line.

    A final event without its blank line is dropped by the official client: a usage chunk or
    ``[DONE]`` sent that way is silently lost.
    """
    stream = ctx.chat_stream()
    for event in stream.events:
        if not event.terminated:
            raise Violation(
                f"events[{event.offset}]",
                "the event followed by a blank line",
                f"the body ends after {event.raw()[:80]!r} without a blank line",
                exchange=stream.exchange,
            )


@check(
    id="chat.stream.done-sentinel",
    feature="chat-streaming",
    spec="CreateChatCompletionRequest.stream: the stream is terminated by a `data: [DONE]` message",
)
def stream_done_sentinel(ctx: CheckContext) -> None:
    """The last SSE event of a chat completion stream is the ``[DONE]`` sentinel.

    Nothing follows it. The official Python client does not need it, but many other
    clients wait for it.
    """
    stream = ctx.chat_stream()
    data_events = [e for e in stream.events if e.data is not None]
    last = data_events[-1].data or ""
    if not last.startswith("[DONE]"):
        raise Violation(
            "<stream>",
            "data: [DONE] as the last event",
            f"the stream ends with: {last[:120]}",
            exchange=stream.exchange,
        )
    if last.strip() != "[DONE]":
        raise Violation("<stream>", "data: [DONE]", last[:120], exchange=stream.exchange)


def _usage_stream(ctx: CheckContext) -> ChatStream:
    try:
        return ctx.chat_stream(optional="stream_options", stream_options={"include_usage": True})
    except Unsupported:
        return ctx.chat_stream()


@check(
    id="chat.stream.chunk-schema",
    feature="chat-streaming",
    spec="CreateChatCompletionStreamResponse (required: id, object `chat.completion.chunk`, "
    "created, model, choices - always present, [] on the usage chunk); choices[] required: "
    "index, delta, finish_reason (enum or null)",
)
def chunk_schema(ctx: CheckContext) -> None:
    """Every chunk is a ``chat.completion.chunk``, field by field, the usage chunk included.

    ``choices`` is always an array (``[]`` on the usage chunk: the official ``.stream()``
    helper raises ``TypeError`` without it); each choice has ``index``, ``delta`` and a
    ``finish_reason`` key. The strict official client accepts every chunk.
    """
    stream = _usage_stream(ctx)
    for position, chunk in enumerate(stream.chunks):
        validate(
            ChatCompletionChunk,
            chunk,
            exchange=stream.exchange,
            prefix=f"chunks[{position}]",
            owners=CHUNK_OWNERS,
        )
    drain_client_stream(ctx, stream.exchange.body, strict=True)


@check(
    id="chat.stream.id-stable",
    feature="chat-streaming",
    spec="CreateChatCompletionStreamResponse.id: each chunk has the same ID",
)
def stream_id_stable(ctx: CheckContext) -> None:
    """Every chunk of one stream has the same ``id``."""
    stream = ctx.chat_stream()
    ids = [chunk.get("id") for chunk in stream.chunks]
    for position, value in enumerate(ids):
        if value != ids[0]:
            raise Violation(
                f"chunks[{position}].id",
                f"{dumps(ids[0])} (the id of chunks[0])",
                dumps(value),
                exchange=stream.exchange,
            )


@check(
    id="chat.stream.created-stable",
    feature="chat-streaming",
    spec="CreateChatCompletionStreamResponse.created: each chunk has the same timestamp",
    severity="should",
)
def stream_created_stable(ctx: CheckContext) -> None:
    """Every chunk of one stream has the same ``created``."""
    stream = ctx.chat_stream()
    values = [chunk.get("created") for chunk in stream.chunks]
    for position, value in enumerate(values):
        if value != values[0]:
            raise Violation(
                f"chunks[{position}].created",
                f"{dumps(values[0])} (the created of chunks[0])",
                dumps(value),
                exchange=stream.exchange,
            )


@check(
    id="chat.stream.role-first",
    feature="chat-streaming",
    spec="ChatCompletionStreamResponseDelta.role: the first delta of a choice has role "
    "`assistant`; later deltas omit it",
    severity="should",
)
def role_first(ctx: CheckContext) -> None:
    """``delta.role`` is ``assistant`` in the first delta of each choice, and only there.

    A role repeated in every delta is concatenated by the official ``.stream()`` helper.
    """
    stream = ctx.chat_stream()
    for index, items in stream.choice_chunks().items():
        first = items[0][1]["delta"]
        if first.get("role") != "assistant":
            raise Violation(
                f"chunks[{items[0][0]}].choices[index={index}].delta.role",
                "assistant (in the first delta of the choice)",
                dumps(first.get("role")) if "role" in first else "no role",
                exchange=stream.exchange,
            )
        for position, item in items[1:]:
            if "role" in item["delta"]:
                raise Violation(
                    f"chunks[{position}].choices[index={index}].delta.role",
                    "no role after the first delta",
                    dumps(item["delta"]["role"]),
                    exchange=stream.exchange,
                )


@check(
    id="chat.stream.finish-reason-present",
    feature="chat-streaming",
    spec="CreateChatCompletionStreamResponse.choices[].finish_reason: null until the choice "
    "ends, then the reason the model stopped (stop, length, tool_calls, content_filter)",
)
def finish_reason_present(ctx: CheckContext) -> None:
    """Each streamed choice ends with a non-null ``finish_reason``, in its last chunk.

    The official ``.stream()`` helper's final completion then has it too.
    """
    stream = ctx.chat_stream()
    for index, items in stream.choice_chunks().items():
        reasons = [p for p, item in items if item.get("finish_reason") is not None]
        if not reasons:
            raise Violation(
                f"<choice {index}>.finish_reason",
                "a non-null finish_reason in the choice's last chunk",
                "null in every chunk of the choice",
                exchange=stream.exchange,
            )
        if reasons[-1] != items[-1][0]:
            raise Violation(
                f"chunks[{items[-1][0]}].choices[index={index}]",
                "nothing for the choice after its finish_reason",
                dumps(items[-1][1])[:160],
                exchange=stream.exchange,
            )
    final = helper_final(ctx, ctx.chat_body())
    if final.choices[0].finish_reason is None:
        raise Violation(
            "<helper>.choices[0].finish_reason",
            "the finish_reason of the stream",
            "None",
            level="helper",
            exchange=stream.exchange,
        )


@check(
    id="chat.stream.finish-reason-once",
    feature="chat-streaming",
    spec="CreateChatCompletionStreamResponse.choices[].finish_reason: set once, when the "
    "choice ends",
)
def finish_reason_once(ctx: CheckContext) -> None:
    """No streamed choice has more than one chunk with a non-null ``finish_reason``."""
    stream = ctx.chat_stream()
    for index, items in stream.choice_chunks().items():
        reasons = [(p, item["finish_reason"]) for p, item in items if item.get("finish_reason")]
        if len(reasons) > 1:
            raise Violation(
                f"chunks[{reasons[1][0]}].choices[index={index}].finish_reason",
                "null (the choice already finished)",
                f"{dumps(reasons[1][1])}, after {dumps(reasons[0][1])} in chunks[{reasons[0][0]}]",
                exchange=stream.exchange,
            )


@check(
    id="chat.stream.incremental",
    feature="chat-streaming",
    spec="CreateChatCompletionRequest.stream: partial message deltas are sent as they become "
    "available; a stream has no Content-Length (chunked, or until the connection closes)",
)
def stream_incremental(ctx: CheckContext) -> None:
    """A stream is sent as it is made: no ``Content-Length``, which only a whole stream has.

    A server that knows the length of its stream before the first byte made all of it before
    sending any: the first event came no sooner than the last, and the client's time to first
    token is the time of the whole answer. (Timing alone cannot tell a buffering server from a
    fast one, so the header is the evidence; the note gives the times.)
    """
    stream = ctx.chat_stream(messages=[{"role": "user", "content": LONG_PROMPT}])
    result = stream.result
    length = result.headers.get("content-length")
    if length is not None:
        first = result.first_byte_s
        raise Violation(
            "<header content-length>",
            "no Content-Length on a stream (each event sent as it is made)",
            f"Content-Length: {length}",
            exchange=stream.exchange,
            note=f"the first byte came after {first or 0:.3f} s, the whole stream after "
            f"{result.elapsed_s:.3f} s",
        )


@check(
    id="chat.stream.chunk-id-present",
    feature="chat-streaming",
    spec="CreateChatCompletionStreamResponse.id: a unique identifier for the chat completion "
    "(a non-empty string); each chunk has the same ID",
)
def chunk_id_present(ctx: CheckContext) -> None:
    """Every chunk's ``id`` is a non-empty string (the completion's id)."""
    stream = ctx.chat_stream()
    empty = [p for p, chunk in enumerate(stream.chunks) if chunk.get("id") == ""]
    if empty:
        raise Violation(
            f"chunks[{empty[0]}].id",
            "the completion's id, a non-empty string",
            f'"" (in {len(empty)} of {len(stream.chunks)} chunks)',
            exchange=stream.exchange,
        )
