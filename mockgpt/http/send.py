"""``Reply`` -> ASGI messages: the only code where faults and pacing touch bytes.

Every API family answers through ``ReplySender``; a family only says how its answer is
written (a ``Wire``: the JSON body, the stream's frames, its error frames and terminator).
The order is the same for all of them:

1. a ``delay_ms`` fault waits on the engine's clock, ended at once when the client leaves;
2. an error (scripted, a fault's ``http_error``, the ``error`` fallback) is answered in the
   family's error shape, with the stub's quirks;
3. a ``reset`` fault closes the connection after the headers;
4. a live answer (a proxy, a model) is primed: an upstream error before its first event is
   still an HTTP status;
5. a non-streamed answer is one JSON body, broken as the fault says (the same table for every
   family: ``error_after_chunks`` is the error, ``drop_after_chunks`` half the body then a
   closed connection, ``malformed_after_chunks`` half the body, ``stall_after_chunks`` a wait
   before the body);
6. a stream whose events are all ready, unpaced and unbroken goes out in one write; any other
   is sent frame by frame (fault, frame quirks, pacing), while a watcher ends everything the
   moment the client disconnects.

Spec: WHATWG "Server-sent events" (``text/event-stream``); Ollama streams NDJSON.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable
from typing import TypeVar

import anyio
from starlette.types import ASGIApp, Receive, Scope, Send

from mockgpt.engine import Reply
from mockgpt.errors import RequestRejected
from mockgpt.faults import (
    MALFORMED_EVENT,
    ConnectionDropped,
    DropResponse,
    break_stream,
    error_from_spec,
)
from mockgpt.scenarios.schema import ErrorSpec
from mockgpt.sse import Clock, pace

SSE_MEDIA_TYPE = "text/event-stream; charset=utf-8"
SSE_HEADERS = ((b"cache-control", b"no-cache"), (b"x-accel-buffering", b"no"))
JSON_MEDIA_TYPE = "application/json"

_T = TypeVar("_T")


async def wait_unless_gone(receive: Receive, clock: Clock, seconds: float) -> None:
    """Wait ``seconds`` on ``clock`` (a ``delay_ms`` or a stall) unless the client leaves.

    Raises:
        ConnectionDropped: the client disconnected first; there is no one left to answer.
    """
    await unless_gone(receive, clock.sleep(seconds), "while the answer was held back")


async def unless_gone(receive: Receive, work: Awaitable[_T], while_: str) -> _T:
    """``await work``, cancelled the moment the client disconnects.

    Args:
        receive: the request's ASGI receive (its body already read).
        work: what the answer waits for (a delay, a live backend's first event).
        while_: how the ``ConnectionDropped`` message ends ("while ...").

    Raises:
        ConnectionDropped: the client disconnected first; there is no one left to answer.
    """
    gone = False
    result: list[_T] = []
    failure: Exception | None = None
    async with anyio.create_task_group() as group:

        async def watch() -> None:
            nonlocal gone
            while (await receive())["type"] != "http.disconnect":
                pass
            gone = True
            group.cancel_scope.cancel()

        group.start_soon(watch)
        try:
            result.append(await work)
        except Exception as exc:  # raised outside the task group, unwrapped
            failure = exc
        group.cancel_scope.cancel()
    if failure is not None:
        raise failure
    if gone or not result:
        raise ConnectionDropped(f"the client disconnected {while_}")
    return result[0]


class Wire:
    """How one family writes one answer: its body, its frames, its errors.

    One instance per request. Subclasses implement ``body`` and ``frames``; the hooks have
    defaults that suit chat completions.

    Attributes:
        stream: whether the answer is streamed.
        media_type: the streamed answer's content type.
        body_media_type: the non-streamed answer's content type (audio, subtitles: not JSON).
        body_faults: whether the non-streamed fault table applies to the body (an
            Assistants run answers with the queued run, not with the model's answer).
        buffered: the stream is made whole, then sent in one write with ``Content-Length``
            (a quirk: a server that buffers its streams).
    """

    stream: bool = False
    media_type: str = SSE_MEDIA_TYPE
    body_media_type: str = JSON_MEDIA_TYPE
    body_faults: bool = True
    buffered: bool = False

    def begin(self, reply: Reply) -> ASGIApp | None:
        """An answer that replaces the model's, decided after the delay; None for none.

        Raises:
            RequestRejected: ``reply.error``, answered in the family's error shape.
        """
        if reply.error is not None:
            return self.refuse(reply.error)
        return None

    def refuse(self, error: RequestRejected) -> ASGIApp:
        """The answer to a model error before the first event.

        Raises:
            RequestRejected: ``error``, answered in the family's error shape (the default).
        """
        raise error

    def reset(self) -> None:
        """A ``reset`` fault is about to close the connection."""

    async def body(self, reply: Reply) -> bytes:
        """The non-streamed answer, encoded, from ``reply.events``.

        Raises:
            RequestRejected: a live backend failed; the status can still change.
        """
        raise NotImplementedError

    def frames(self, reply: Reply, *, one_event_each: bool) -> AsyncIterator[bytes]:
        """The stream's frames, the terminator included.

        A live backend's error mid-stream becomes the family's error frames.

        Args:
            reply: the answer.
            one_event_each: each frame must hold exactly one event (a fault counts events).
        """
        raise NotImplementedError

    def ready_stream(self, reply: Reply) -> bytes | None:
        """The whole stream at once, or None to take ``frames``.

        A family that can frame ready events without awaiting gives them here (the fast path).
        """
        return None

    def error_frames(self, error: RequestRejected) -> list[bytes]:
        """The frames of an error event replacing the rest of the stream."""
        raise NotImplementedError

    def malformed(self) -> bytes:
        """A frame whose JSON is cut off."""
        return MALFORMED_EVENT

    def frame_quirks(self, frames: AsyncIterator[bytes], reply: Reply) -> AsyncIterator[bytes]:
        """``frames`` with the quirks that act on stream bytes."""
        return frames

    def outgoing(self, frames: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
        """``frames`` as they are sent (a family that must commit at its terminal frame)."""
        return frames

    def commit(self) -> None:
        """The answer's last byte is about to be sent: keep what it created."""


class ReplySender:
    """An ASGI response that sends ``reply`` as ``wire`` writes it (see the module doc).

    Args:
        reply: what ``Engine.serve`` decided.
        wire: the family's writer for this request.
        clock: what delays, stalls and pacing sleep on.

    Raises:
        RequestRejected: ``reply.error``, a live backend's error before the first event, or a
            non-streamed ``error_after_chunks`` fault: the caller answers with the envelope.
        ConnectionDropped: a ``reset`` or ``drop_after_chunks`` fault, or the client left
            during a delay: the connection is closed.
    """

    def __init__(self, reply: Reply, wire: Wire, clock: Clock) -> None:
        self.reply = reply
        self.wire = wire
        self.clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Send the answer."""
        reply, wire, clock = self.reply, self.wire, self.clock
        fault = reply.fault
        if fault is not None and fault.delay_ms:
            await wait_unless_gone(receive, clock, fault.delay_ms / 1000)
        early = wire.begin(reply)
        if early is not None:
            await early(scope, receive, send)
            return
        if fault is not None and fault.reset:
            wire.reset()
            media_type = wire.media_type if wire.stream else wire.body_media_type
            await DropResponse(media_type.encode())(scope, receive, send)
            return
        try:
            if reply.live:
                # a hanging upstream must not outlive its client: watch while waiting for it
                await _closing(reply, unless_gone(receive, reply.prime(), _UPSTREAM_WAIT))
            else:
                await reply.prime()
        except RequestRejected as error:
            await wire.refuse(error)(scope, receive, send)
            return
        if not wire.stream:
            await self._send_body(receive, send)
        elif reply.plain:
            body = wire.ready_stream(reply)
            if body is None:
                frames = wire.outgoing(wire.frames(reply, one_event_each=False))
                body = b"".join([frame async for frame in frames])
            await send_whole(send, wire.media_type, body, length=False)
        else:
            await self._send_frames(receive, send)

    async def _send_body(self, receive: Receive, send: Send) -> None:
        reply, wire = self.reply, self.wire
        if reply.live:
            work = unless_gone(receive, wire.body(reply), _UPSTREAM_WAIT)
            encoded = await _closing(reply, work)
        else:
            encoded = await wire.body(reply)
        fault = reply.fault
        if fault is not None and reply.breaks and wire.body_faults:
            if fault.error_after_chunks is not None:
                error = error_from_spec(fault.error_event or ErrorSpec(status=500))
                error.quirks = reply.quirks
                raise error
            half = encoded[: len(encoded) // 2]
            if fault.drop_after_chunks is not None:
                await DropResponse(wire.body_media_type.encode(), half, len(encoded))(
                    {}, receive, send
                )
                return
            if fault.malformed_after_chunks is not None:
                await send_whole(send, wire.body_media_type, half, length=True)
                return
            if fault.stall_after_chunks is not None:
                await wait_unless_gone(receive, self.clock, fault.stall_ms / 1000)
        wire.commit()
        await send_whole(send, wire.body_media_type, encoded, length=True)

    def _pipeline(self) -> AsyncIterator[bytes]:
        reply, wire = self.reply, self.wire
        frames = wire.frames(reply, one_event_each=reply.breaks)
        if reply.fault is not None and reply.breaks:
            frames = break_stream(frames, reply.fault, self.clock, wire.error_frames)
            frames = _malformed_as(frames, wire.malformed())
        if reply.quirks:
            frames = wire.frame_quirks(frames, reply)
        if reply.paced:
            frames = pace(
                frames,
                ttft_ms=reply.ttft_ms,
                tokens_per_second=reply.tokens_per_second,
                clock=self.clock,
            )
        return wire.outgoing(frames)

    async def _send_frames(self, receive: Receive, send: Send) -> None:
        """Send each frame as it comes; a disconnect cancels the source and closes it."""
        frames = self._pipeline()
        if self.wire.buffered:
            try:
                body = b"".join([frame async for frame in frames])
            finally:
                await frames.aclose()  # type: ignore[attr-defined]
            await send_whole(send, self.wire.media_type, body, length=True)
            return
        await _send_start(send, self.wire.media_type, None)
        dropped: ConnectionDropped | None = None
        async with anyio.create_task_group() as group:

            async def watch_disconnect() -> None:
                while (await receive())["type"] != "http.disconnect":
                    pass
                group.cancel_scope.cancel()

            group.start_soon(watch_disconnect)
            try:
                async for frame in frames:
                    await send({"type": "http.response.body", "body": frame, "more_body": True})
                await send({"type": "http.response.body", "body": b"", "more_body": False})
            except OSError:
                pass  # the client went away between frames
            except ConnectionDropped as exc:
                dropped = exc  # re-raised outside the task group, unwrapped
            finally:
                with anyio.CancelScope(shield=True):
                    await frames.aclose()  # type: ignore[attr-defined]
                    await self.reply.aclose()  # a live source the pipeline left open
                group.cancel_scope.cancel()
        if dropped is not None:
            raise dropped


_UPSTREAM_WAIT = "while its answer was still coming (the upstream call is cancelled)"


async def _closing(reply: Reply, work: Awaitable[_T]) -> _T:
    """``await work``; when it fails or is cancelled, close the live events (the upstream)."""
    try:
        return await work
    except BaseException:
        with anyio.CancelScope(shield=True):
            await reply.aclose()
        raise


async def _send_start(send: Send, media_type: str, length: int | None) -> None:
    """The 200 response start: with ``content-length``, or chunked with the SSE headers."""
    headers = [(b"content-type", media_type.encode())]
    if length is None:
        headers.extend(SSE_HEADERS)
    else:
        headers.append((b"content-length", str(length).encode()))
    await send({"type": "http.response.start", "status": 200, "headers": headers})


async def send_whole(send: Send, media_type: str, body: bytes, *, length: bool) -> None:
    """A 200 response in one body write; ``length``: with ``content-length``, else chunked."""
    await _send_start(send, media_type, len(body) if length else None)
    await send({"type": "http.response.body", "body": body, "more_body": False})


async def _malformed_as(frames: AsyncIterator[bytes], malformed: bytes) -> AsyncIterator[bytes]:
    async for frame in frames:
        yield malformed if frame == MALFORMED_EVENT else frame


class SSEBody:
    """An SSE (or NDJSON) response whose frames are all ready: one write, chunked, no length.

    Spec: WHATWG "Server-sent events"; ``Content-Type: text/event-stream``.
    """

    def __init__(self, body: bytes, media_type: str = SSE_MEDIA_TYPE) -> None:
        self.body = body
        self.media_type = media_type

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Send the response start and the whole body."""
        await send_whole(send, self.media_type, self.body, length=False)
