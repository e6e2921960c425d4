"""Reading an upstream's answer with bounds: SSE events of limited size, each in time.

A whole JSON body, from an upstream that ignores ``stream: true``, becomes the stream objects
it stands for.

Spec: WHATWG "Server-sent events", "Interpreting an event stream" (lines end with CRLF, LF or
CR; ``data`` lines join with LF; a blank line dispatches; ``:`` starts a comment; an event not
ended by a blank line when the stream closes is discarded).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable
from typing import Any, TypeVar

import anyio

MAX_UPSTREAM_EVENT_BYTES = 8 * 1024 * 1024
"""The largest SSE line, SSE event (its ``data`` lines together) or JSON body read from an
upstream, bytes; a larger one ends the answer with a 502 ``upstream_too_large``."""

_T = TypeVar("_T")


class UpstreamTooLarge(ValueError):
    """An upstream's SSE line or event, or its JSON body, is over the byte limit."""


async def within(seconds: float, step: Awaitable[_T]) -> _T:
    """``await step``, cancelled after ``seconds``.

    Raises:
        TimeoutError: ``seconds`` passed first.
    """
    with anyio.fail_after(seconds):
        return await step


async def sse_data(chunks: AsyncIterator[bytes], max_bytes: int) -> AsyncIterator[str]:
    """The ``data`` of each SSE event in ``chunks`` (the bytes of an ``text/event-stream``).

    At most ``max_bytes`` of one line or one event are held, however the upstream frames them.

    Raises:
        UpstreamTooLarge: a line or an event is longer than ``max_bytes``.
    """
    buffer = bytearray()
    scanned = 0  # no line ending before this offset of buffer
    data: list[bytes] = []
    size = 0
    async for chunk in chunks:
        buffer += chunk
        start = 0
        while True:
            newline = buffer.find(b"\n", scanned)
            ret = buffer.find(b"\r", scanned, newline if newline >= 0 else len(buffer))
            end = ret if ret >= 0 else newline
            if end < 0 or (end == ret and end + 1 == len(buffer)):
                # no whole line yet (a CR last may be the first half of a CRLF)
                scanned = len(buffer) if end < 0 else end
                break
            line = bytes(buffer[start:end])
            start = scanned = end + (2 if buffer[end : end + 2] == b"\r\n" else 1)
            if len(line) > max_bytes:
                raise UpstreamTooLarge(f"an SSE line of {len(line)} bytes")
            if not line:
                if data:
                    yield b"\n".join(data).decode("utf-8", "replace")
                data, size = [], 0
                continue
            field, _, value = line.partition(b":")
            if field == b"data":
                value = value[1:] if value.startswith(b" ") else value
                size += len(value) + 1
                if size > max_bytes:
                    raise UpstreamTooLarge(f"an SSE event of more than {max_bytes} bytes")
                data.append(value)
        if start:
            del buffer[:start]
            scanned -= start
        if len(buffer) > max_bytes:
            raise UpstreamTooLarge(f"an SSE line of more than {max_bytes} bytes")
    if buffer == b"\r" and data:  # the blank line that ends the last event, CR-terminated
        yield b"\n".join(data).decode("utf-8", "replace")


async def read_bounded(
    chunks: AsyncIterator[bytes], max_bytes: int, *, first_s: float, idle_s: float
) -> bytes:
    """All of ``chunks``: the first within ``first_s`` seconds, the rest ``idle_s`` apart.

    Raises:
        UpstreamTooLarge: more than ``max_bytes`` arrived.
        TimeoutError: a read took too long.
    """
    parts: list[bytes] = []
    size = 0
    wait = first_s
    while True:
        try:
            chunk = await within(wait, chunks.__anext__())
        except StopAsyncIteration:
            return b"".join(parts)
        wait = idle_s
        size += len(chunk)
        if size > max_bytes:
            raise UpstreamTooLarge(f"a body of more than {max_bytes} bytes")
        parts.append(chunk)


def body_as_stream(data: dict[str, Any], endpoint: str) -> list[dict[str, Any]]:
    """A non-streamed answer as the stream objects the same upstream would have sent.

    ``ChatCompletion``, ``Completion`` or ``Response``: then it is read as any stream is.

    Args:
        data: the upstream's JSON body.
        endpoint: ``chat.completions``, ``completions`` or ``responses``.
    """
    if data.get("error") and endpoint != "responses":
        return [data]
    if endpoint == "completions":
        return [data]  # a text_completion's choices already read as its chunks do
    if endpoint == "responses":
        return _response_events(data)
    choices: list[dict[str, Any]] = []
    for choice in data.get("choices") or ():
        if not isinstance(choice, dict):
            continue
        message = choice.get("message")
        message = message if isinstance(message, dict) else {}
        delta: dict[str, Any] = {k: message.get(k) for k in ("content", "refusal")}
        calls = [c for c in message.get("tool_calls") or () if isinstance(c, dict)]
        delta["tool_calls"] = [{**call, "index": i} for i, call in enumerate(calls)]
        choices.append(
            {
                "index": choice.get("index", 0),
                "delta": delta,
                "finish_reason": choice.get("finish_reason"),
                "logprobs": choice.get("logprobs"),
            }
        )
    return [{"choices": choices, "usage": data.get("usage")}]


def _response_events(response: dict[str, Any]) -> list[dict[str, Any]]:
    """A ``Response`` as its ``ResponseStreamEvent``s: deltas, function calls, the end."""
    status = response.get("status")
    if status == "failed" or response.get("error"):
        return [{"type": "response.failed", "response": response}]
    events: list[dict[str, Any]] = []
    for index, item in enumerate(response.get("output") or ()):
        if not isinstance(item, dict):
            continue
        if item.get("type") == "function_call":
            events.append(
                {"type": "response.output_item.added", "output_index": index, "item": item}
            )
            events.append(
                {"type": "response.output_item.done", "output_index": index, "item": item}
            )
            continue
        for part in item.get("content") or () if item.get("type") == "message" else ():
            if not isinstance(part, dict):
                continue
            if part.get("type") == "output_text":
                events.append({"type": "response.output_text.delta", "delta": part.get("text")})
            elif part.get("type") == "refusal":
                events.append({"type": "response.refusal.delta", "delta": part.get("refusal")})
    end = "response.incomplete" if status == "incomplete" else "response.completed"
    events.append({"type": end, "response": response})
    return events
