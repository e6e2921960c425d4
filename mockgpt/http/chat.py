"""The wire of chat completions and legacy completions: one JSON body, or chunks over SSE.

Spec: ``CreateChatCompletionResponse`` / ``CreateChatCompletionStreamResponse`` (and the
legacy ``CreateCompletionResponse``); a stream is ``data: <chunk>`` events ending with
``data: [DONE]``, and an error after the 200 is ``data: {"error": {...}}`` then ``[DONE]``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable
from typing import Protocol

from starlette.types import ASGIApp

from mockgpt.engine import Reply
from mockgpt.errors import RequestRejected
from mockgpt.events import Event
from mockgpt.faults import chat_error_frames
from mockgpt.http.send import SSE_MEDIA_TYPE, Wire
from mockgpt.quirks import (
    reasoning_content,
    stream_as_json,
    stream_buffered,
    stream_media_type,
    usage_always,
)
from mockgpt.quirks.chat import QuirkedChunks, quirk_completion, quirk_frames
from mockgpt.render.chat import ChatChunkRenderer, ChatCompletionBuilder
from mockgpt.render.completions import CompletionChunkRenderer
from mockgpt.sse import DONE, dumps, encode_sse
from mockgpt.turn import Turn
from mockgpt.types import JSONObject


class ChunkRenderer(Protocol):
    """A stream renderer (``ChatChunkRenderer`` and the like)."""

    def feed(self, event: Event) -> list[JSONObject]:
        """The chunks for one event."""
        ...

    def close(self) -> list[JSONObject]:
        """The chunks after the last event."""
        ...


class BodyBuilder(Protocol):
    """A non-streamed renderer (``ChatCompletionBuilder`` and the like)."""

    def feed(self, event: Event) -> None:
        """Take one event."""
        ...

    def build(self) -> JSONObject:
        """The response body."""
        ...

    def body(self) -> bytes:
        """``dumps(build())``, byte for byte (a byte template where the shape allows)."""
        ...


def _frames_of(chunks: Iterable[JSONObject]) -> bytes:
    return b"".join(encode_sse(chunk) for chunk in chunks)


def _encode(renderer: ChunkRenderer, event: Event) -> bytes:
    if isinstance(renderer, ChatChunkRenderer | CompletionChunkRenderer):
        return renderer.encode(event)
    return _frames_of(renderer.feed(event))


async def _one_event_each(frames: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    """``frames`` split into single SSE events (the role chunk rides with the first delta)."""
    async for frame in frames:
        for event in frame.split(b"\n\n")[:-1]:
            yield event + b"\n\n"


class GenerationWire(Wire):
    """Chat completions and legacy completions, streamed or not.

    Args:
        turn: the request.
        stream_renderer: (model, include_usage) -> the chunk renderer.
        builder: model -> the non-streamed body builder.
        wrap_events: an extra step on the answer's events (legacy ``echo``).
    """

    def __init__(
        self,
        turn: Turn,
        *,
        stream_renderer: Callable[[str, bool], ChunkRenderer],
        builder: Callable[[str], BodyBuilder],
        wrap_events: Callable[[AsyncIterator[Event]], AsyncIterator[Event]] | None = None,
    ) -> None:
        self.turn = turn
        self.stream = turn.stream
        self.stream_renderer = stream_renderer
        self.builder = builder
        self.wrap_events = wrap_events

    def begin(self, reply: Reply) -> ASGIApp | None:
        """Apply the quirks that change how the answer is sent; raise the reply's error."""
        quirks = reply.quirks
        if quirks:
            self.stream = self.stream and not stream_as_json(quirks, self.turn.endpoint)
            self.media_type = stream_media_type(quirks, SSE_MEDIA_TYPE)
            self.buffered = stream_buffered(quirks)
        return super().begin(reply)

    def _events(self, reply: Reply) -> AsyncIterator[Event]:
        events = reply.each()
        return events if self.wrap_events is None else self.wrap_events(events)

    async def body(self, reply: Reply) -> bytes:
        """The ``chat.completion`` (or ``text_completion``) body."""
        builder = self.builder(reply.model)
        if isinstance(builder, ChatCompletionBuilder):
            builder.meta.reasoning_content = reasoning_content(reply.quirks)
        if isinstance(reply.events, tuple) and self.wrap_events is None:
            for event in reply.events:
                builder.feed(event)
        else:
            async for event in self._events(reply):
                builder.feed(event)
        if not reply.quirks:
            return builder.body()
        return dumps(quirk_completion(builder.build(), reply.quirks))

    def ready_stream(self, reply: Reply) -> bytes | None:
        """Every chunk of a ready answer, then ``data: [DONE]``, framed in one pass."""
        events = reply.events
        if not isinstance(events, tuple) or self.wrap_events is not None or reply.quirks:
            return None
        renderer = self.stream_renderer(reply.model, self.turn.include_usage)
        if not isinstance(renderer, ChatChunkRenderer | CompletionChunkRenderer):
            return None
        return renderer.encode_all(events) + DONE

    def frames(self, reply: Reply, *, one_event_each: bool) -> AsyncIterator[bytes]:
        """The chunks as SSE events, then ``data: [DONE]``."""
        frames = self._frames(reply)
        return _one_event_each(frames) if one_event_each else frames

    async def _frames(self, reply: Reply) -> AsyncIterator[bytes]:
        quirks = reply.quirks
        usage_requested = self.turn.include_usage
        renderer = self.stream_renderer(reply.model, usage_requested or usage_always(quirks))
        if isinstance(renderer, ChatChunkRenderer):
            renderer.meta.reasoning_content = reasoning_content(quirks)
        if quirks:
            renderer = QuirkedChunks(renderer, quirks, usage_requested=usage_requested)
        try:
            async for event in self._events(reply):
                frame = _encode(renderer, event)
                if frame:
                    yield frame
        except RequestRejected as error:  # a live backend (a proxy) failed after the 200
            for frame in chat_error_frames(error):
                yield frame
            return
        closing = _frames_of(renderer.close())
        if closing:
            yield closing
        yield DONE

    def error_frames(self, error: RequestRejected) -> list[bytes]:
        """``data: {"error": {...}}`` then ``data: [DONE]``."""
        return chat_error_frames(error)

    def frame_quirks(self, frames: AsyncIterator[bytes], reply: Reply) -> AsyncIterator[bytes]:
        """The quirks acting on stream bytes (a ping event, no ``[DONE]``, ...)."""
        return quirk_frames(frames, reply.quirks, chat=self.turn.endpoint == "chat.completions")
