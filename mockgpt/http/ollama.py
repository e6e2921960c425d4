"""The wire of Ollama's ``/api/chat`` and ``/api/generate``: NDJSON lines or one object.

Spec: Ollama ``docs/api.md``: a stream is one JSON object per line
(``application/x-ndjson``), the last with ``done: true``; an error after the 200 is a line
``{"error": "message"}``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from mockgpt.engine import Reply
from mockgpt.errors import RequestRejected
from mockgpt.http.send import Wire
from mockgpt.render.ollama import NDJSON_MEDIA_TYPE, OllamaMeta, OllamaRenderer, ndjson_line
from mockgpt.sse import dumps

MALFORMED_LINE = b'{"model":"mockgpt","created_at":"2024-01-01T00:00:00Z","message":{"role":"assi\n'
"""An NDJSON line whose JSON is cut off (the ``malformed_after_chunks`` fault)."""


class OllamaWire(Wire):
    """One chat or generate answer, as NDJSON lines or one object.

    Args:
        meta: what every object of the answer carries (the requested model, the kind).
        stream: whether the answer is NDJSON lines.
    """

    media_type = NDJSON_MEDIA_TYPE

    def __init__(self, meta: OllamaMeta, *, stream: bool) -> None:
        self.meta = meta
        self.stream = stream

    def _renderer(self, reply: Reply) -> OllamaRenderer:
        meta = self.meta
        if reply.model != meta.model:
            meta = OllamaMeta(reply.model, meta.kind, meta.started_ns, meta.context_prompt)
        return OllamaRenderer(meta, stream=self.stream)

    async def body(self, reply: Reply) -> bytes:
        """The one object of a ``stream: false`` answer."""
        renderer = self._renderer(reply)
        async for event in reply.each():
            renderer.feed(event)
        return dumps(renderer.close()[0])

    async def frames(self, reply: Reply, *, one_event_each: bool) -> AsyncIterator[bytes]:
        """One line per object (always one event each); the last has ``done: true``."""
        renderer = self._renderer(reply)
        try:
            async for event in reply.each():
                for item in renderer.feed(event):
                    yield ndjson_line(item)
        except RequestRejected as error:  # a live backend (a proxy) failed after the 200
            for line in self.error_frames(error):
                yield line
            return
        for item in renderer.close():
            yield ndjson_line(item)

    def error_frames(self, error: RequestRejected) -> list[bytes]:
        """A line ``{"error": "message"}``."""
        return [ndjson_line({"error": error.message})]

    def malformed(self) -> bytes:
        """A line whose JSON is cut off."""
        return MALFORMED_LINE
