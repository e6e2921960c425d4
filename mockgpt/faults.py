"""Faults: what goes wrong with an answer, applied to its SSE frames or its response.

A fault (``mockgpt.scenarios.schema.Fault``) replaces or wraps a normal answer, as WireMock's
``fault`` does: an HTTP error instead of the answer, a delay before the headers, a connection
closed after the headers or after N events, a stall, an error event mid-stream (``data:
{"error": {...}}``, which the official client raises as ``APIError``), or a truncated event.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable

from starlette.types import Receive, Scope, Send

from mockgpt.errors import RequestRejected
from mockgpt.scenarios.schema import ErrorSpec, Fault
from mockgpt.sse import DONE, Clock, encode_sse

MALFORMED_EVENT = b'data: {"id":"chatcmpl-malformed","choices":[{\n\n'
"""A data event whose JSON is cut off."""

_DEFAULTS = {
    400: ("invalid_request_error", None, "The request was invalid."),
    401: ("invalid_request_error", "invalid_api_key", "Incorrect API key provided."),
    403: ("invalid_request_error", "unsupported_country_region_territory", "Forbidden."),
    404: ("invalid_request_error", "model_not_found", "The model does not exist."),
    408: ("server_error", "timeout", "Request timed out."),
    409: ("invalid_request_error", "conflict", "Conflict."),
    429: ("requests", "rate_limit_exceeded", "Rate limit reached. Please try again later."),
    500: ("server_error", None, "The server had an error while processing your request."),
    502: ("server_error", None, "Bad gateway."),
    503: ("server_error", "overloaded", "The engine is currently overloaded."),
}


class ConnectionDropped(Exception):
    """Raised inside a response to close the client's connection (a ``drop``/``reset`` fault)."""


class _DroppedLogFilter(logging.Filter):
    """Keeps uvicorn from logging an intended drop as an application error."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, ConnectionDropped)


logging.getLogger("uvicorn.error").addFilter(_DroppedLogFilter())


def error_from_spec(spec: ErrorSpec) -> RequestRejected:
    """The ``RequestRejected`` for a scripted error, with its envelope fields and headers.

    ``retry_after`` -> ``retry-after`` (seconds), ``retry_after_ms`` -> ``retry-after-ms``,
    ``should_retry`` -> ``x-should-retry``, ``ratelimit`` -> ``x-ratelimit-<key>``.
    """
    default_type, default_code, default_message = _DEFAULTS.get(
        spec.status,
        (
            "server_error" if spec.status >= 500 else "invalid_request_error",
            None,
            f"Error {spec.status}.",
        ),
    )
    headers = dict(spec.headers)
    if spec.retry_after is not None:
        seconds = spec.retry_after
        headers["retry-after"] = str(int(seconds)) if seconds == int(seconds) else str(seconds)
    if spec.retry_after_ms is not None:
        headers["retry-after-ms"] = str(int(spec.retry_after_ms))
    if spec.should_retry is not None:
        headers["x-should-retry"] = "true" if spec.should_retry else "false"
    for key, value in spec.ratelimit.items():
        headers[f"x-ratelimit-{key}"] = value
    return RequestRejected(
        spec.status,
        spec.message or default_message,
        type=spec.type or default_type,
        param=spec.param,
        code=spec.code if spec.code is not None else default_code,
        headers=headers,
    )


def stream_breaks(fault: Fault | None) -> bool:
    """Whether ``fault`` acts on the events of a stream (so it must go out event by event)."""
    return fault is not None and any(
        v is not None
        for v in (
            fault.drop_after_chunks,
            fault.stall_after_chunks,
            fault.error_after_chunks,
            fault.malformed_after_chunks,
        )
    )


def chat_error_frames(error: RequestRejected) -> list[bytes]:
    """A chat or legacy stream's error: ``data: {"error": {...}}`` then ``data: [DONE]``."""
    return [encode_sse(error.envelope()), DONE]


async def break_stream(
    frames: AsyncIterator[bytes],
    fault: Fault,
    clock: Clock,
    error_frames: Callable[[RequestRejected], list[bytes]] = chat_error_frames,
) -> AsyncIterator[bytes]:
    """``frames`` with the fault applied after N data events (``[DONE]`` is not counted).

    Raises:
        ConnectionDropped: for ``drop_after_chunks``, once N events were sent.
    """
    sent = 0
    stalled = False
    async for frame in frames:
        if fault.drop_after_chunks == sent:
            raise ConnectionDropped(f"drop_after_chunks={sent}")
        if fault.stall_after_chunks == sent and not stalled:
            stalled = True
            await clock.sleep(fault.stall_ms / 1000)
        if fault.error_after_chunks == sent:
            error = error_from_spec(fault.error_event or ErrorSpec(status=500))
            for error_frame in error_frames(error):
                yield error_frame
            return
        if fault.malformed_after_chunks == sent:
            yield MALFORMED_EVENT
            return
        yield frame
        if frame != DONE:
            sent += 1


class DropResponse:
    """Sends the response start (and optionally part of a body), then drops the connection.

    Over a socket the client sees a broken response (the official client raises
    ``APIConnectionError``); in process, ``ConnectionDropped`` reaches the transport.
    """

    def __init__(self, content_type: bytes, partial: bytes = b"", length: int | None = None):
        self.content_type = content_type
        self.partial = partial
        self.length = length

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Start the response, send the partial body, then raise ``ConnectionDropped``."""
        headers = [(b"content-type", self.content_type)]
        if self.length is not None:
            headers.append((b"content-length", str(self.length).encode()))
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        if self.partial:
            await send({"type": "http.response.body", "body": self.partial, "more_body": True})
        raise ConnectionDropped("connection dropped by a fault")
