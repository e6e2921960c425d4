"""Reading a request's JSON body (with the size limit) and writing a JSON response."""

from __future__ import annotations

import asyncio
from typing import Any

import anyio
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive

from mockgpt.errors import RequestRejected
from mockgpt.faults import ConnectionDropped
from mockgpt.models.common import parse_json
from mockgpt.quirks.chat import quirk_error, quirk_headers, quirk_status
from mockgpt.sse import dumps
from mockgpt.types import JSONValue

BODY_TIMEOUT_S = 30.0
"""How long a request body may take to arrive when the server sets no timeout, seconds."""


async def read_json(request: Request, max_body_bytes: int) -> JSONValue:
    """The request body decoded as JSON.

    Raises:
        RequestRejected: 413 when the body is larger than ``max_body_bytes``; 400 when it is
            not valid UTF-8 JSON.
        ConnectionDropped: the client disconnected before the whole body arrived.
    """
    return parse_json(await read_raw(request, max_body_bytes))


async def read_raw(request: Request, max_body_bytes: int) -> bytes:
    """The request body as sent, bytes.

    Raises:
        RequestRejected: 413 when the body (or its ``Content-Length``) is larger than
            ``max_body_bytes``; 408 when it did not arrive within the server's body timeout
            (``ServerConfig.body_timeout_s``).
        ConnectionDropped: the client disconnected before the whole body arrived.
    """
    scope = request.scope
    for key, value in scope["headers"]:
        if key == b"content-length" and value.isdigit() and int(value) > max_body_bytes:
            raise _too_large(max_body_bytes)
    timeout_s = scope.get("mockgpt.body_timeout_s", BODY_TIMEOUT_S)
    try:
        task = asyncio.current_task()
    except RuntimeError:  # not on asyncio (trio through anyio): anyio's own timeout
        task = None
    if task is None:
        with anyio.move_on_after(timeout_s):
            return await read_body(request.receive, max_body_bytes)
    else:  # a bare timer: a cancel scope per request costs more than the rest of reading
        expired: list[bool] = []

        def expire() -> None:
            expired.append(True)
            task.cancel()

        timer = asyncio.get_running_loop().call_later(timeout_s, expire)
        try:
            return await read_body(request.receive, max_body_bytes)
        except asyncio.CancelledError:
            if not expired:
                raise
            uncancel = getattr(task, "uncancel", None)  # Python 3.11+
            if uncancel is not None:
                uncancel()
        finally:
            timer.cancel()
    raise RequestRejected(
        408,
        f"The request body did not arrive within {timeout_s:g} s.",
        type="invalid_request_error",
        code="request_timeout",
    )


async def read_body(receive: Receive, max_body_bytes: int) -> bytes:
    """The request body, read from ASGI ``http.request`` messages.

    Raises:
        RequestRejected: 413 when the body is larger than ``max_body_bytes``.
        ConnectionDropped: the client disconnected before the whole body arrived.
    """
    message = await receive()
    body: bytes = message.get("body", b"")
    if not message.get("more_body", False):
        if len(body) > max_body_bytes:
            raise _too_large(max_body_bytes)
        return body
    chunks = [body]
    size = len(body)
    while message.get("more_body", False):
        message = await receive()
        if message["type"] != "http.request":  # the client went away mid-upload
            raise ConnectionDropped("the client disconnected while sending the body")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > max_body_bytes:
            raise _too_large(max_body_bytes)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(limit: int) -> RequestRejected:
    return RequestRejected(
        413,
        f"Request body too large: the limit is {limit} bytes.",
        code="request_too_large",
    )


def json_response(
    body: JSONValue, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """``application/json`` response with a compact body."""
    return Response(dumps(body), status_code=status, headers=headers, media_type="application/json")


def error_response(
    error: RequestRejected, quirks: frozenset[str], path: str
) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """Status, headers and body of ``error`` in its family's shape, with ``quirks`` applied.

    Ollama's native API (``/api/``) answers ``{"error": "message"}``; every other path the
    OpenAI envelope (spec: ``ErrorResponse``).
    """
    status, headers = error.status, error.headers or None
    body: Any
    if path.startswith("/api/"):
        body = {"error": error.message}
    else:
        body = error.envelope()
        if quirks:
            status = quirk_status(status, quirks)
            headers = quirk_headers(status, headers, quirks)
            body = quirk_error(body, status, quirks)
    encoded = dumps(body)
    raw = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in (headers or {}).items()]
    raw += [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(encoded))]
    return status, raw, encoded
