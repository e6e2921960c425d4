"""What every handler shares: reading the JSON body, and JSON and SSE responses."""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from collections.abc import AsyncIterator, Iterable
from typing import TYPE_CHECKING, Protocol

import anyio
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from mockgpt.engine import Answer, Engine
from mockgpt.errors import RequestRejected
from mockgpt.events import Event
from mockgpt.sse import DONE, AsyncioClock, dumps, encode_sse, pace
from mockgpt.types import JSONObject, JSONValue

if TYPE_CHECKING:
    from mockgpt.config import ServerConfig

SSE_HEADERS = {"cache-control": "no-cache", "x-accel-buffering": "no"}
SSE_MEDIA_TYPE = "text/event-stream; charset=utf-8"


def engine_of(request: Request) -> Engine:
    """The engine the app was built with."""
    engine: Engine = request.app.state.engine
    return engine


def new_id(prefix: str) -> str:
    """A fresh object id such as ``chatcmpl-<30 hex>``."""
    return f"{prefix}-{secrets.token_hex(15)}"


def fingerprint(model: str) -> str:
    """A stable ``system_fingerprint`` for ``model``: ``fp_`` and 10 hex digits."""
    return "fp_" + hashlib.sha256(model.encode()).hexdigest()[:10]


def now() -> int:
    """Unix time in whole seconds (``created``)."""
    return int(time.time())


async def read_json(request: Request, max_body_bytes: int) -> JSONValue:
    """The request body decoded as JSON.

    Raises:
        RequestRejected: 413 when the body is larger than ``max_body_bytes``; 400 when it is
            not valid UTF-8 JSON.
    """
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_body_bytes:
        raise _too_large(max_body_bytes)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_body_bytes:
            raise _too_large(max_body_bytes)
        chunks.append(chunk)
    body = b"".join(chunks)
    try:
        value: JSONValue = json.loads(body)
    except ValueError:
        raise RequestRejected(
            400,
            "We could not parse the JSON body of your request. (HINT: This likely means you "
            "aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, "
            "but what was sent was not valid JSON.)",
        ) from None
    return value


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


class SSEBody:
    """An SSE response whose events are all ready: sent in one write, chunked, no length.

    Spec: WHATWG "Server-sent events"; ``Content-Type: text/event-stream``.
    """

    def __init__(self, body: bytes) -> None:
        self.body = body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Send the response start and the whole body."""
        await send({"type": "http.response.start", "status": 200, "headers": _sse_headers()})
        await send({"type": "http.response.body", "body": self.body, "more_body": False})


class SSEStream:
    """An SSE response written frame by frame as ``frames`` yields them.

    When the client disconnects, the frame source is cancelled and closed, so nothing keeps
    running (a paced or stalled stream stops at once).
    """

    def __init__(self, frames: AsyncIterator[bytes]) -> None:
        self.frames = frames

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Stream the frames until they end or the client goes away."""
        await send({"type": "http.response.start", "status": 200, "headers": _sse_headers()})
        async with anyio.create_task_group() as group:

            async def watch_disconnect() -> None:
                while True:
                    message = await receive()
                    if message["type"] == "http.disconnect":
                        group.cancel_scope.cancel()
                        return

            group.start_soon(watch_disconnect)
            try:
                async for frame in self.frames:
                    await send({"type": "http.response.body", "body": frame, "more_body": True})
                await send({"type": "http.response.body", "body": b"", "more_body": False})
            except OSError:
                pass  # the client went away between frames
            finally:
                with anyio.CancelScope(shield=True):
                    aclose = getattr(self.frames, "aclose", None)
                    if aclose is not None:
                        await aclose()
                group.cancel_scope.cancel()


def _sse_headers() -> list[tuple[bytes, bytes]]:
    headers = [(b"content-type", SSE_MEDIA_TYPE.encode())]
    headers.extend((k.encode(), v.encode()) for k, v in SSE_HEADERS.items())
    return headers


class ChunkRenderer(Protocol):
    """What ``stream_response`` needs of a renderer (``ChatChunkRenderer`` and the like)."""

    def feed(self, event: Event) -> list[JSONObject]:
        """The chunks for one event."""
        ...

    def close(self) -> list[JSONObject]:
        """The chunks after the last event."""
        ...


def _frames_of(chunks: Iterable[JSONObject]) -> bytes:
    return b"".join(encode_sse(chunk) for chunk in chunks)


async def stream_response(
    answer: Answer, renderer: ChunkRenderer, config: ServerConfig
) -> SSEBody | SSEStream:
    """The SSE response for ``answer``: chunks from ``renderer``, then ``data: [DONE]``.

    Unpaced answers whose events are all ready are framed without an await between events
    and sent in one write; paced or live ones go out frame by frame.
    """
    if not answer.live and not config.paced:
        parts: list[bytes] = []
        async for event in answer.events:
            chunks = renderer.feed(event)
            if chunks:
                parts.append(_frames_of(chunks))
        parts.append(_frames_of(renderer.close()))
        parts.append(DONE)
        return SSEBody(b"".join(parts))

    async def frames() -> AsyncIterator[bytes]:
        async for event in answer.events:
            for chunk in renderer.feed(event):
                yield encode_sse(chunk)
        for chunk in renderer.close():
            yield encode_sse(chunk)
        yield DONE

    source = frames()
    if config.paced:
        source = pace(
            source,
            ttft_ms=config.ttft_ms,
            tokens_per_second=config.tokens_per_second,
            clock=AsyncioClock(),
        )
    return SSEStream(source)
