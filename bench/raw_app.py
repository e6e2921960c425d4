"""The raw ASGI floor for ``bench_wrk.py``: the limit of uvicorn itself.

One ASGI callable, no framework. It reads the whole request body (every ``http.request``
message) but does not parse it: a body holding ``"stream":true`` gets the stream, any other
the ``ChatCompletion``. The bytes are those of ``floor_app.py`` (the same answer as mockgpt's),
encoded once at start-up, and each answer goes out in one ``send``: the whole SSE stream too,
as an unpaced stream written in one go can. Serve it with::

    uvicorn --app-dir bench --factory raw_app:create_app
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from floor_app import JSON_HEADERS, STREAM_HEADERS, completion_body, stream_events

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[MutableMapping[str, Any], Receive, Send], Awaitable[None]]

STREAM_MARK = b'"stream":true'


def _headers(headers: dict[str, str]) -> list[tuple[bytes, bytes]]:
    return [(name.encode("latin-1"), value.encode("latin-1")) for name, value in headers.items()]


def create_app() -> ASGIApp:
    """The raw ASGI floor app."""
    body = completion_body()
    stream = b"".join(stream_events())
    request_id = (b"x-request-id", b"req_raw0000000000000000000000000000")
    json_start: Message = {
        "type": "http.response.start",
        "status": 200,
        "headers": [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            request_id,
            *_headers(JSON_HEADERS),
        ],
    }
    stream_start: Message = {
        "type": "http.response.start",
        "status": 200,
        "headers": [
            (b"content-type", b"text/event-stream; charset=utf-8"),
            request_id,
            *_headers(STREAM_HEADERS),
        ],
    }
    json_body: Message = {"type": "http.response.body", "body": body}
    stream_body: Message = {"type": "http.response.body", "body": stream}

    async def app(scope: MutableMapping[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        chunks = []
        more_body = True
        while more_body:
            message = await receive()
            chunks.append(message.get("body", b""))
            more_body = message.get("more_body", False)
        if STREAM_MARK in b"".join(chunks):
            await send(stream_start)
            await send(stream_body)
        else:
            await send(json_start)
            await send(json_body)

    return app
