"""One Realtime response over a WebSocket: a ``Reply`` -> server events, with faults and pacing.

The order follows ``mockgpt.http.send`` for every other family:

1. a ``reset`` fault closes the connection (close code 1011) before any event;
2. ``response.created`` (the client's ``response.create`` acknowledged at once);
3. a ``delay_ms`` fault waits on the engine's clock before the answer (a ``response.cancel``
   or a disconnect ends the wait);
4. an error (scripted, a fault's ``http_error``, the ``error`` fallback, a live backend's
   failure) is an ``error`` event, then ``response.done`` with status ``failed``;
5. the answer's events as ``RealtimeRenderer`` writes them, broken as the fault says
   (``error_after_chunks``: an ``error`` event and a failed ``response.done``;
   ``drop_after_chunks``: the connection closed, 1011; ``malformed_after_chunks``: a message
   whose JSON is cut off, then nothing more for this response; ``stall_after_chunks``: a
   wait) and paced (``ttft_ms``, ``tokens_per_second``), counting every event after
   ``response.created``.

Each message sent is kept in the journal entry of the exchange as an SSE ``data:`` event, and
the entry is settled just before ``response.done`` goes out, so a client that has read
``response.done`` finds the exchange journalled.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import anyio

from mockgpt.engine import Reply
from mockgpt.errors import RequestRejected
from mockgpt.faults import MALFORMED_EVENT, ConnectionDropped, break_stream
from mockgpt.http.websocket import INTERNAL_ERROR, Socket
from mockgpt.journal import JournalEntry
from mockgpt.render.realtime import RealtimeRenderer, error_event
from mockgpt.sse import Clock, dumps, pace
from mockgpt.types import JSONObject

_DONE_PREFIX = b'{"type":"response.done"'
_CUT_OFF = b'{"type":"response.output_text.delta","delta":"'
"""The message a ``malformed_after_chunks`` fault sends: JSON cut off."""


def failure(error: RequestRejected) -> JSONObject:
    """``status_details.error`` of a failed response: ``{"type", "code", "message"}``."""
    return {"type": error.type, "code": error.code, "message": error.message}


class ResponseSender:
    """Sends one response (see the module doc) and journals what it sent.

    Args:
        socket: the connection.
        reply: what ``Engine.serve`` decided.
        renderer: writes this response's events.
        entry: the exchange's journal entry (recorded already; settled here).
        clock: what delays, stalls and pacing sleep on.
    """

    def __init__(
        self,
        socket: Socket,
        reply: Reply,
        renderer: RealtimeRenderer,
        entry: JournalEntry,
        clock: Clock,
    ) -> None:
        self.socket = socket
        self.reply = reply
        self.renderer = renderer
        self.entry = entry
        self.clock = clock
        self.started = time.perf_counter()
        self._sent: list[bytes] = []
        self.done = False
        """Whether ``response.done`` went out (or the response ended without one)."""

    async def run(self) -> None:
        """Send the response.

        Raises:
            SocketGone: the client left.
        """
        reply, renderer = self.reply, self.renderer
        fault = reply.fault
        if fault is not None and fault.reset:
            self.finish(complete=False)
            await self.socket.close(INTERNAL_ERROR, "connection reset by a fault")
            return
        await self._send(dumps(renderer.created()))
        if fault is not None and fault.delay_ms:
            await self.clock.sleep(fault.delay_ms / 1000)
        if reply.error is not None:
            self.entry.status = reply.error.status
            for frame in self.error_frames(reply.error):
                await self._send(frame)
            return
        frames = self._frames()
        if reply.breaks and fault is not None:
            frames = break_stream(frames, fault, self.clock, self.error_frames)
        if reply.paced:
            frames = pace(
                frames,
                ttft_ms=reply.ttft_ms,
                tokens_per_second=reply.tokens_per_second,
                clock=self.clock,
            )
        try:
            async for frame in frames:
                if frame == MALFORMED_EVENT:
                    await self._send(_CUT_OFF)
                    self.finish(complete=False)
                    return
                await self._send(frame)
        except ConnectionDropped:
            self.finish(complete=False)
            await self.socket.close(INTERNAL_ERROR, "connection dropped by a fault")
        finally:
            with anyio.CancelScope(shield=True):
                await frames.aclose()  # type: ignore[attr-defined]

    async def cancel(self) -> None:
        """The client cancelled the response: the open item's done events, ``response.done``."""
        for event in self.renderer.close("cancelled"):
            await self._send(dumps(event))

    async def _frames(self) -> AsyncIterator[bytes]:
        renderer = self.renderer
        try:
            async for event in self.reply.each():
                for server_event in renderer.feed(event):
                    yield dumps(server_event)
        except RequestRejected as error:  # a live backend (a proxy) failed mid-answer
            for frame in self.error_frames(error):
                yield frame
            return
        for server_event in renderer.close():
            yield dumps(server_event)

    def error_frames(self, error: RequestRejected) -> list[bytes]:
        """An ``error`` event for ``error``, then the failed response's closing events."""
        event = error_event(
            self.renderer.new_id("event"),
            error.message,
            type=error.type,
            code=error.code,
            param=error.param,
        )
        closing = self.renderer.close("failed", failure(error))
        return [dumps(event), *(dumps(e) for e in closing)]

    async def _send(self, frame: bytes) -> None:
        self._sent.append(b"data: " + frame + b"\n\n")
        if frame.startswith(_DONE_PREFIX):
            self.finish(complete=True)
        await self.socket.send_text(frame.decode())

    def finish(self, *, complete: bool) -> None:
        """Settle the journal entry: what was sent, and how long it took (once)."""
        if self.done:
            return
        self.done = True
        entry = self.entry
        entry.response_body = b"".join(self._sent)
        entry.complete = complete
        entry.duration_ms = (time.perf_counter() - self.started) * 1000
        self.socket.engine.journal.settle(entry)
