"""Background responses (``POST /v1/responses`` with ``background: true``).

The answer is rendered at once, as for any request, and kept with a ``Job``
(``mockgpt.lifecycle``); the client first sees it ``queued``. Each read
(``GET /v1/responses/{id}``) is a poll of the job: ``queued`` -> ``in_progress`` -> its end
(``completed``, ``failed``, ``cancelled``, ``incomplete``) after the reads or the time the
stub's ``respond.lifecycle`` gives (default: completed at the first read), and only then does
the output (and usage) appear. A job that ends by time ends on its own: a task on the
server's loop (``Engine.tasks``) wakes at its end, so its webhook goes out with no read.
When a job ends, ``Engine.webhooks`` sends ``response.<status>`` once.

A streamed background request sends every event at once (``response.created`` and
``response.queued`` with status ``queued`` first, then ``response.in_progress``, ...), and
is ended (``completed``) once its events are rendered: ``respond.lifecycle`` paces the
polled ones. Its events are kept before the first is sent, so a client whose stream broke
resumes it with ``GET /v1/responses/{id}?stream=true&starting_after=N``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

from starlette.types import ASGIApp

from mockgpt.engine import Engine, Reply
from mockgpt.errors import RequestRejected
from mockgpt.http.responses import ResponsesWire
from mockgpt.quirks.responses import quirk_response
from mockgpt.render.background import RESPONSE_ENDS, background_view, failure
from mockgpt.render.responses import ResponseRenderer
from mockgpt.scenarios.lifecycle import DEFAULT_LIFECYCLE, LifecycleScript
from mockgpt.sse import dumps
from mockgpt.store import StoredResponse
from mockgpt.types import JSONObject


def read(engine: Engine, stored: StoredResponse, *, poll: bool) -> JSONObject:
    """A background response as a read sees it now; ``poll`` counts the read.

    Acts on the job's end the first time it is seen (``finish``).
    """
    job = stored.job
    assert job is not None, "a background response has a job"
    status = job.poll() if poll else job.status
    if job.done:
        finish(engine, stored)
    return background_view(stored.response, status, stored.error)


def finish(engine: Engine, stored: StoredResponse) -> None:
    """Act once on a background response's end: send ``response.<status>`` as a webhook."""
    job = stored.job
    if stored.ended or job is None or not job.done:
        return
    stored.ended = True
    shown = background_view(stored.response, job.status, stored.error)
    engine.webhooks.emit(f"response.{shown['status']}", str(shown["id"]))


def cancel(engine: Engine, stored: StoredResponse) -> JSONObject:
    """Cancel a background response still ``queued`` or ``in_progress``.

    Returns:
        The response: ``cancelled``, or as it ended when it had (cancelling an ended one
        changes nothing and is no error, as the API answers).
    """
    job = stored.job
    assert job is not None, "a background response has a job"
    job.cancel()
    return read(engine, stored, poll=False)


def start(engine: Engine, stored: StoredResponse) -> None:
    """Keep ``stored`` and, for a job that ends by time, start the task that ends it."""
    engine.store.save(stored)
    job = stored.job
    assert job is not None, "a background response has a job"
    if job.done:
        finish(engine, stored)
    elif job.ms_left() is not None:
        engine.tasks.spawn(_end_in_time(engine, stored), f"job {stored.response['id']}")


async def _end_in_time(engine: Engine, stored: StoredResponse) -> None:
    job = stored.job
    assert job is not None
    while left := job.ms_left():  # None once ended (cancelled); 0 when due
        await asyncio.sleep(left / 1000)
    finish(engine, stored)


class BackgroundWire(ResponsesWire):
    """A background response: answered ``queued`` (or its whole stream), kept with its job.

    Args:
        renderer: the model the answer reports -> the renderer of its events.
        stream: whether the request asked for SSE.
        keep: called once with the renderer and the job's script, as the answer goes out:
            makes the ``StoredResponse`` (its ``error`` set from ``self.failure``).
    """

    def __init__(
        self,
        renderer: Callable[[str], ResponseRenderer],
        *,
        stream: bool,
        keep: Callable[[ResponseRenderer, LifecycleScript, JSONObject | None], None],
    ) -> None:
        super().__init__(renderer, stream=stream, remember=self._keep)
        self.keep = keep
        self.script = DEFAULT_LIFECYCLE
        self.failure: JSONObject | None = None

    def begin(self, reply: Reply) -> ASGIApp | None:
        """Take the stub's lifecycle; a scripted error with ``end: failed`` fails the job.

        Raises:
            RequestRejected: the reply's error when the job does not end ``failed`` (or the
                request streams); 500 for a lifecycle end a response does not have.
        """
        script = reply.lifecycle or DEFAULT_LIFECYCLE
        if script.end not in RESPONSE_ENDS:
            raise RequestRejected(
                500,
                f"stub {reply.stub_id!r}: respond.lifecycle.end {script.end!r} is not an end "
                f"of a background response ({', '.join(RESPONSE_ENDS)})",
                type="server_error",
            )
        self.script = script
        error = reply.error
        if error is not None and script.end == "failed" and not self.stream:
            self.failure = failure(error.code, error.status, error.message)
            reply.error = None  # the job fails; the create still answers queued
        return super().begin(reply)

    async def body(self, reply: Reply) -> bytes:
        """The response as created: ``queued``, no output yet."""
        await super().body(reply)
        final = self._renderer().final
        assert final is not None
        return dumps(quirk_response(background_view(final, "queued", None), self.quirks))

    async def frames(self, reply: Reply, *, one_event_each: bool) -> AsyncIterator[bytes]:
        """Every event's frame; all rendered and kept before the first is sent."""
        frames = [f async for f in super().frames(reply, one_event_each=one_event_each)]
        final = self._renderer().final
        if final is not None:  # not when a live backend failed mid-answer
            ended = LifecycleScript(after_ms=0, end=str(final["status"]))  # type: ignore[arg-type]
            self.keep(self._renderer(), ended, None)
        for frame in frames:
            yield frame

    async def outgoing(self, frames: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
        """``frames`` as they go out (the response was kept as they were rendered)."""
        async for frame in frames:
            yield frame

    def _keep(self, renderer: ResponseRenderer) -> None:
        self.keep(renderer, self.script, self.failure)
