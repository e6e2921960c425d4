"""What every handler shares: reading the JSON body, and JSON and SSE responses."""

from __future__ import annotations

import hashlib
import json
import math
import secrets
import time
from collections.abc import AsyncIterator, Callable, Iterable
from functools import lru_cache
from typing import Protocol

import anyio
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from mockgpt.backends import RequestContext
from mockgpt.engine import Answer, Engine, prime
from mockgpt.errors import RequestRejected
from mockgpt.events import Event
from mockgpt.faults import (
    ConnectionDropped,
    DropResponse,
    break_stream,
    chat_error_frames,
    error_from_spec,
    stream_breaks,
)
from mockgpt.limits import Limiter
from mockgpt.quirks import QuirkedChunks, quirk_completion
from mockgpt.render.chat import ChatChunkRenderer
from mockgpt.render.completions import CompletionChunkRenderer
from mockgpt.scenarios.registry import Selection
from mockgpt.scenarios.schema import ErrorSpec
from mockgpt.sse import DONE, AsyncioClock, dumps, encode_sse, pace
from mockgpt.types import JSONObject, JSONValue

SSE_HEADERS = {"cache-control": "no-cache", "x-accel-buffering": "no"}
SSE_MEDIA_TYPE = "text/event-stream; charset=utf-8"


def engine_of(request: Request) -> Engine:
    """The engine the app was built with."""
    engine: Engine = request.app.state.engine
    return engine


def new_id(prefix: str) -> str:
    """A fresh object id such as ``chatcmpl-<30 hex>``."""
    return f"{prefix}-{secrets.token_hex(15)}"


@lru_cache(maxsize=256)
def fingerprint(model: str) -> str:
    """A stable ``system_fingerprint`` for ``model``: ``fp_`` and 10 hex digits."""
    return "fp_" + hashlib.sha256(model.encode("utf-8", "surrogatepass")).hexdigest()[:10]


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
    except (ValueError, RecursionError):
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

    def __init__(self, body: bytes, media_type: str = SSE_MEDIA_TYPE) -> None:
        self.body = body
        self.media_type = media_type

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Send the response start and the whole body."""
        headers = _sse_headers(self.media_type)
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": self.body, "more_body": False})


class SSEStream:
    """An SSE response written frame by frame as ``frames`` yields them.

    When the client disconnects, the frame source is cancelled and closed, so nothing keeps
    running (a paced or stalled stream stops at once).
    """

    def __init__(self, frames: AsyncIterator[bytes], media_type: str = SSE_MEDIA_TYPE) -> None:
        self.frames = frames
        self.media_type = media_type

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Stream the frames until they end or the client goes away."""
        headers = _sse_headers(self.media_type)
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        dropped: ConnectionDropped | None = None
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
            except ConnectionDropped as exc:
                dropped = exc  # re-raised outside the task group, unwrapped
            finally:
                with anyio.CancelScope(shield=True):
                    aclose = getattr(self.frames, "aclose", None)
                    if aclose is not None:
                        await aclose()
                group.cancel_scope.cancel()
        if dropped is not None:
            raise dropped


def _sse_headers(media_type: str) -> list[tuple[bytes, bytes]]:
    headers = [(b"content-type", media_type.encode())]
    headers.extend((k.encode(), v.encode()) for k, v in SSE_HEADERS.items())
    return headers


class ChunkRenderer(Protocol):
    """What ``serve_generation`` needs of a renderer (``ChatChunkRenderer`` and the like)."""

    def feed(self, event: Event) -> list[JSONObject]:
        """The chunks for one event."""
        ...

    def close(self) -> list[JSONObject]:
        """The chunks after the last event."""
        ...


def _frames_of(chunks: Iterable[JSONObject]) -> bytes:
    return b"".join(encode_sse(chunk) for chunk in chunks)


class CompletionBuilderLike(Protocol):
    """What ``serve_generation`` needs of a non-streamed builder."""

    def feed(self, event: Event) -> None:
        """Take one event."""
        ...

    def build(self) -> JSONObject:
        """The response body."""
        ...


def _encode(renderer: ChunkRenderer, event: Event) -> bytes:
    if isinstance(renderer, ChatChunkRenderer | CompletionChunkRenderer):
        return renderer.encode(event)
    return _frames_of(renderer.feed(event))


async def _frames(answer: Answer, renderer: ChunkRenderer) -> AsyncIterator[bytes]:
    try:
        async for event in answer.events:
            frame = _encode(renderer, event)
            if frame:
                yield frame
    except RequestRejected as error:  # a live backend (a proxy) failed after the 200 went out
        for frame in chat_error_frames(error):
            yield frame
        return
    closing = _frames_of(renderer.close())
    if closing:
        yield closing
    yield DONE


async def _one_event_each(frames: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    """``frames`` split into single SSE events, so a fault counts events, not frames.

    A frame can hold several events: the role chunk rides with the first delta.
    """
    async for frame in frames:
        for event in frame.split(b"\n\n")[:-1]:
            yield event + b"\n\n"


async def _frame_quirks(
    frames: AsyncIterator[bytes], quirks: frozenset[str], *, chat: bool
) -> AsyncIterator[bytes]:
    if chat and "ping-event" in quirks:
        yield b"event: ping\n\n"
    last: bytes | None = None
    async for frame in frames:
        if chat and "stream-error-dropped" in quirks and frame.startswith(b'data: {"error"'):
            break
        if frame == DONE and "no-done" in quirks:
            continue
        if last is not None:
            yield last
        last = frame
    if last is not None:
        if "no-trailing-blank-line" in quirks and last.endswith(b"\n\n"):
            last = last[:-1]
        yield last


async def _wait_unless_gone(request: Request, seconds: float) -> None:
    """Wait ``seconds`` before answering (a ``delay_ms`` or a stall).

    Raises:
        ConnectionDropped: the client went away first; there is no one left to answer.
    """
    with anyio.move_on_after(seconds):
        while (await request.receive())["type"] != "http.disconnect":
            pass
        raise ConnectionDropped("the client disconnected while the answer was held back")


def annotate(request: Request, selection: Selection) -> None:
    """Note in the journal entry which stub answered and why the others did not."""
    entry = request.scope.get("mockgpt.entry")
    if entry is not None:
        entry.stub = selection.stub_id
        entry.misses = dict(selection.misses)


async def serve_generation(
    request: Request,
    ctx: RequestContext,
    *,
    limiter: Limiter,
    stream: bool,
    usage_requested: bool,
    stream_renderer: Callable[[str, bool], ChunkRenderer],
    builder: Callable[[str], CompletionBuilderLike],
    wrap_events: Callable[[AsyncIterator[Event]], AsyncIterator[Event]] | None = None,
) -> Response | SSEBody | SSEStream | DropResponse:
    """Answer a generation request (chat or legacy completion) end to end.

    Picks the stub, applies its fault and quirks, renders the events as one JSON body or as
    SSE chunks ending with ``data: [DONE]``, and paces the stream.

    Args:
        request: the HTTP request.
        ctx: the request as backends see it.
        limiter: ``max_tokens`` / ``stop`` / usage for this request.
        stream: whether the request asked for SSE.
        usage_requested: ``stream_options.include_usage``.
        stream_renderer: (model, include_usage) -> chunk renderer.
        builder: model -> non-streamed body builder.
        wrap_events: an extra step on the answer's events (legacy ``echo``).

    Raises:
        RequestRejected: a scripted HTTP error, or the fallback's refusal.
    """
    engine = engine_of(request)
    selection = engine.select(ctx)
    annotate(request, selection)
    fault = selection.fault
    if fault is not None and fault.delay_ms:
        await _wait_unless_gone(request, fault.delay_ms / 1000)
    error = selection.error or (fault.http_error if fault is not None else None)
    if error is not None:
        rejected = error_from_spec(error)
        rejected.quirks = selection.quirks
        raise rejected
    quirks = selection.quirks
    model = selection.model or str(ctx.body.get("model", ""))
    stream = stream and "json-when-stream" not in quirks
    if fault is not None and fault.reset:
        return DropResponse(SSE_MEDIA_TYPE.encode() if stream else b"application/json")
    answer = engine.answer(selection, ctx, limiter=limiter)
    if answer.live:
        answer = await prime(answer)
    if wrap_events is not None:
        answer = Answer(wrap_events(answer.events), answer.live)
    if stream:
        renderer = stream_renderer(model, usage_requested or "usage-always" in quirks)
        if quirks:
            renderer = QuirkedChunks(renderer, quirks, usage_requested=usage_requested)
        ttft_ms = selection.ttft_ms if selection.ttft_ms is not None else engine.config.ttft_ms
        tps = (
            selection.tokens_per_second
            if selection.tokens_per_second is not None
            else engine.config.tokens_per_second
        )
        paced = ttft_ms > 0 or not math.isinf(tps)
        media_type = "application/x-ndjson" if "ndjson-content-type" in quirks else SSE_MEDIA_TYPE
        if not answer.live and not paced and not stream_breaks(fault) and not quirks:
            # every event is ready: frame them with no await between, send in one write
            parts = [_encode(renderer, event) async for event in answer.events]
            parts.append(_frames_of(renderer.close()))
            parts.append(DONE)
            return SSEBody(b"".join(parts), media_type)
        frames = _frames(answer, renderer)
        clock = AsyncioClock()
        if fault is not None and stream_breaks(fault):
            frames = break_stream(_one_event_each(frames), fault, clock)
        if quirks:
            frames = _frame_quirks(frames, quirks, chat=ctx.endpoint == "chat.completions")
        if paced:
            frames = pace(frames, ttft_ms=ttft_ms, tokens_per_second=tps, clock=clock)
        return SSEStream(frames, media_type)
    body_builder = builder(model)
    async for event in answer.events:
        body_builder.feed(event)
    body = body_builder.build()
    if quirks:
        body = quirk_completion(body, quirks)
    encoded = dumps(body)
    if fault is not None and stream_breaks(fault):
        if fault.error_after_chunks is not None:
            raise error_from_spec(fault.error_event or ErrorSpec(status=500))
        if fault.drop_after_chunks is not None:
            return DropResponse(b"application/json", encoded[: len(encoded) // 2], len(encoded))
        if fault.malformed_after_chunks is not None:
            encoded = encoded[: len(encoded) // 2]
        if fault.stall_after_chunks is not None:
            await _wait_unless_gone(request, fault.stall_ms / 1000)
    return Response(encoded, media_type="application/json")
