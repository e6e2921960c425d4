"""The wire of the Responses API: a ``Response`` body, or its typed SSE events.

Spec: ``createResponse``; a stream is ``event: <type>`` + ``data: <json>`` events, each with
an increasing ``sequence_number``, ending with ``response.completed`` (or ``incomplete`` /
``failed``); an error after the 200 is an ``error`` event (``ResponseErrorEvent``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

from starlette.types import ASGIApp

from mockgpt.engine import Reply
from mockgpt.errors import RequestRejected
from mockgpt.http.send import Wire
from mockgpt.quirks import stream_as_json
from mockgpt.quirks.responses import (
    ResponseEventQuirks,
    error_event,
    event_names,
    quirk_response,
)
from mockgpt.render.responses import ResponseRenderer
from mockgpt.sse import dumps, encode_sse
from mockgpt.types import JSONObject


def responses_error_frames(
    error: RequestRejected, sequence_number: int, quirks: frozenset[str] = frozenset()
) -> list[bytes]:
    """A Responses stream's error: an ``error`` event (``ResponseErrorEvent``)."""
    event: JSONObject = {
        "type": "error",
        "code": error.code or error.type,
        "message": error.message,
        "param": error.param,
        "sequence_number": sequence_number,
    }
    if quirks:
        event, named = error_event(event, error.type, quirks)
        return [encode_sse(event, event="error" if named else None)]
    return [encode_sse(event, event="error")]


class ResponsesWire(Wire):
    """One ``Response``, streamed or not.

    The response is remembered (stored, added to its conversation) as its terminal event or
    its body goes out, so a client that has read ``response.completed`` can retrieve it at
    once, and an answer a fault cut short is not remembered. A fault's ``error`` event takes
    the sequence number of the event it replaces, so sequence numbers keep increasing.

    Args:
        renderer: the model the answer reports -> the renderer of its events (made once the
            engine has chosen that model).
        stream: whether the request asked for SSE.
        remember: called once with the renderer, as the terminal event or the body is sent.
    """

    def __init__(
        self,
        renderer: Callable[[str], ResponseRenderer],
        *,
        stream: bool,
        remember: Callable[[ResponseRenderer], None],
    ) -> None:
        self.make_renderer = renderer
        self.renderer: ResponseRenderer | None = None
        self.stream = stream
        self.remember = remember
        self.quirks: frozenset[str] = frozenset()
        self._quirked: ResponseEventQuirks | None = None
        self._numbered = 0
        self._pulled = 0
        self._terminal: bytes | None = None

    def begin(self, reply: Reply) -> ASGIApp | None:
        """Make the renderer for the reply's model, take its quirks; raise its error."""
        self.renderer = self.make_renderer(reply.model)
        self.quirks = reply.quirks
        if reply.quirks:
            self.stream = self.stream and not stream_as_json(reply.quirks, "responses")
            self._quirked = ResponseEventQuirks(reply.quirks)
        return super().begin(reply)

    async def body(self, reply: Reply) -> bytes:
        """The ``Response`` object."""
        renderer = self._renderer()
        async for event in reply.each():
            renderer.feed(event)
        renderer.close()
        assert renderer.final is not None
        return dumps(quirk_response(renderer.final, self.quirks))

    def _encode(self, items: list[JSONObject]) -> list[tuple[int, bytes]]:
        named = True
        if self._quirked is not None:
            items = self._quirked.apply(items)
            named = event_names(self.quirks)
        out = []
        for item in items:
            out.append(
                (self._numbered, encode_sse(item, event=str(item["type"]) if named else None))
            )
            self._numbered += 1
        return out

    async def frames(self, reply: Reply, *, one_event_each: bool) -> AsyncIterator[bytes]:
        """Every event's frame, in order (always one event each)."""
        try:
            async for event in reply.each():
                for number, frame in self._encode(self._renderer().feed(event)):
                    self._pulled = number
                    yield frame
        except RequestRejected as error:  # a live backend (a proxy) failed after the 200
            for frame in responses_error_frames(error, self._numbered, self.quirks):
                yield frame
            return
        closing = self._encode(self._renderer().close())
        self._terminal = closing[-1][1]
        for number, frame in closing:
            self._pulled = number
            yield frame

    def error_frames(self, error: RequestRejected) -> list[bytes]:
        """The ``error`` event replacing the frame the fault took last."""
        return responses_error_frames(error, self._pulled, self.quirks)

    async def outgoing(self, frames: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
        """``frames`` as they go out; the terminal one first remembers the response."""
        async for frame in frames:
            if frame is self._terminal:
                self.remember(self._renderer())
            yield frame

    def commit(self) -> None:
        """The body is about to be sent: remember the response."""
        self.remember(self._renderer())

    def _renderer(self) -> ResponseRenderer:
        renderer = self.renderer
        assert renderer is not None, "begin() makes the renderer"
        return renderer
