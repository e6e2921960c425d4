"""The wire of an Assistants run's model call: the run as JSON, or its event stream.

A model error (an ``error`` answer, a fault's ``http_error``, no stub matched under
``fallback: error``, an upstream failing) fails the run in band, with ``last_error``
(``rate_limit_exceeded`` for 429, else ``server_error``), rather than the request, as the API
reports them. A non-streamed run is answered before the response goes out: the response
shows the run ``queued`` and the first retrieve shows it settled; of the stream faults it
honours only ``error_after_chunks`` (the run fails). A streamed run sends ``event: <name>`` /
``data: <json>`` frames (``AssistantStreamEvent``) ending with ``event: done`` /
``data: [DONE]``.
"""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Iterable

from starlette.types import ASGIApp, Receive, Scope, Send

from mockgpt.assistants_store import StoredRun, StoredThread
from mockgpt.engine import Reply
from mockgpt.errors import RequestRejected
from mockgpt.faults import error_from_spec
from mockgpt.http.send import JSON_MEDIA_TYPE, SSEBody, Wire, send_whole
from mockgpt.render.assistants import Frame
from mockgpt.render.assistants_runs import RunRenderer
from mockgpt.scenarios.schema import ErrorSpec
from mockgpt.sse import dumps, encode_sse

DONE_FRAME = encode_sse(b"[DONE]", event="done")
"""The last frame of a run stream (``DoneEvent``)."""


def _encode(frames: Iterable[Frame]) -> bytes:
    return b"".join(encode_sse(data, event=name) for name, data in frames)


def _error_code(status: int) -> str:
    """``last_error.code`` for a model error with HTTP ``status``."""
    return "rate_limit_exceeded" if status == 429 else "server_error"


class _JSON:
    """A JSON body (the ``queued`` run)."""

    def __init__(self, body: bytes) -> None:
        self.body = body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send_whole(send, JSON_MEDIA_TYPE, self.body, length=True)


class RunWire(Wire):
    """The next model call of a ``queued`` run, and the answer to the request that queued it.

    Args:
        thread: the run's thread.
        record: the run.
        stream: answer with the run's events (SSE) rather than the ``queued`` run.
        prelude: the events before ``thread.run.in_progress`` (``thread.created``,
            ``thread.run.created``, ``thread.run.queued``, ``thread.run.step.completed``).
    """

    body_faults = False

    def __init__(
        self, thread: StoredThread, record: StoredRun, *, stream: bool, prelude: list[Frame]
    ) -> None:
        self.record = record
        self.stream = stream
        self.queued = copy.deepcopy(record.run)
        self.renderer = RunRenderer(
            record.run,
            usage=record.usage,
            add_message=thread.add_message,
            add_step=record.steps.append,
        )
        self.head: list[Frame] = [*prelude, *self.renderer.start()]

    def _commit(self) -> None:
        """Keep what the next request on the run needs: usage, the step awaiting outputs."""
        record, renderer = self.record, self.renderer
        record.usage = renderer.usage
        if record.status == "requires_action":
            record.pending_step = renderer.tool_step
            record.pending_usage = renderer.call_usage

    def _settled(self) -> ASGIApp:
        """The answer once the run settled without the model's events."""
        self._commit()
        if self.stream:
            return SSEBody(_encode(self.head) + DONE_FRAME)
        return _JSON(dumps(self.queued))

    def fail(self, code: str, message: str) -> ASGIApp:
        """The answer to a run whose model call failed before answering."""
        self.head += self.renderer.fail(code, message)
        return self._settled()

    def refuse(self, error: RequestRejected) -> ASGIApp:
        """A model error fails the run in band."""
        return self.fail(_error_code(error.status), error.message)

    def begin(self, reply: Reply) -> ASGIApp | None:
        """Fail the run on a model error; settle a run cancelled during a fault's delay."""
        error = reply.error
        fault = reply.fault
        if (
            error is None
            and fault is not None
            and not self.stream
            and fault.error_after_chunks is not None
            and not fault.reset
        ):
            error = error_from_spec(fault.error_event or ErrorSpec(status=500))
        if error is not None:
            return self.refuse(error)
        if fault is not None and fault.reset:
            return None
        if self.record.run["status"] == "cancelling":
            self.head += self.renderer.cancel()
            return self._settled()
        return None

    def reset(self) -> None:
        """A reset connection fails the run."""
        self.renderer.fail("server_error", "The connection was reset.")
        self._commit()

    def _finish(self) -> list[Frame]:
        """Close the call, or cancel it if the run was cancelled meanwhile."""
        renderer = self.renderer
        return renderer.cancel() if renderer.run["status"] == "cancelling" else renderer.close()

    async def body(self, reply: Reply) -> bytes:
        """Run the call to its end; the body is the ``queued`` run."""
        renderer = self.renderer
        try:
            async for event in reply.each():
                renderer.feed(event)
            self._finish()
        except RequestRejected as exc:
            renderer.fail(_error_code(exc.status), exc.message)
        self._commit()
        return dumps(self.queued)

    async def frames(self, reply: Reply, *, one_event_each: bool) -> AsyncIterator[bytes]:
        """The run's events, one frame each, then ``event: done``."""
        renderer = self.renderer
        try:
            for item in self.head:
                yield _encode([item])
            try:
                async for event in reply.each():
                    for item in renderer.feed(event):
                        yield _encode([item])
                    if renderer.run["status"] == "cancelling":
                        break  # cancelled while streaming: no more of the answer
                closing = self._finish()
            except RequestRejected as exc:
                closing = renderer.fail(_error_code(exc.status), exc.message)
            self._commit()  # before the client can read requires_action
            for item in closing:
                yield _encode([item])
            yield DONE_FRAME
        finally:
            if not renderer.done:  # the stream was cut: the run cannot finish
                renderer.fail("server_error", "The run's stream ended before the run finished.")
                self._commit()

    def error_frames(self, error: RequestRejected) -> list[bytes]:
        """``event: error`` with the error envelope, then ``event: done``.

        The official client raises ``APIError`` on a data object with an ``error`` key.
        """
        return [encode_sse(error.envelope(), event="error"), DONE_FRAME]
