"""A run's model calls: from a ``queued`` run to its answer, as JSON or as an event stream.

A run's model call is a chat completion: the thread becomes a chat conversation
(``run_chat_body``) that the stubs (endpoint ``assistants``) and the fallback answer, and
``RunRenderer`` turns the answer into the run's message, steps and status. Model errors (an
``error`` answer, a fault's ``http_error``, no stub matched under ``fallback: error``) fail
the run with ``last_error`` (``rate_limit_exceeded`` for 429, else ``server_error``) rather
than the request, as the API reports them.

A non-streamed run is answered before the response goes out: the response shows the run
``queued`` and the first retrieve shows it settled (``completed``, ``requires_action``,
``failed`` or ``incomplete``), so ``create_and_poll`` never waits. Of a stub's stream faults,
it honours only ``error_after_chunks`` (the run fails). A streamed run sends
``event: <name>`` / ``data: <json>`` frames (``AssistantStreamEvent``), paced like any stream
and broken by stream faults, ending with ``event: done`` / ``data: [DONE]``.
"""

from __future__ import annotations

import copy
import math
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass

import anyio
from starlette.requests import Request
from starlette.responses import Response

from mockgpt.assistants_store import StoredRun, StoredThread
from mockgpt.backends import RequestContext
from mockgpt.engine import Answer, chat_prompt_tokens, prime
from mockgpt.errors import RequestRejected
from mockgpt.faults import DropResponse, break_stream, error_from_spec, stream_breaks
from mockgpt.limits import Limiter
from mockgpt.models import CreateChatCompletionRequest, validate_request
from mockgpt.models.assistants import run_chat_body
from mockgpt.render.assistants import Frame
from mockgpt.render.assistants_runs import RunRenderer
from mockgpt.routes.common import (
    SSE_MEDIA_TYPE,
    SSEBody,
    SSEStream,
    annotate,
    engine_of,
    json_response,
)
from mockgpt.scenarios.schema import ErrorSpec, Fault
from mockgpt.sse import AsyncioClock, encode_sse, pace

DONE_FRAME = encode_sse(b"[DONE]", event="done")
"""The last frame of a run stream (``DoneEvent``)."""

RunResponse = Response | SSEBody | SSEStream | DropResponse
"""What a request that queues a run gets: the run as JSON, its stream, or a dropped connection."""


def _error_frames(error: RequestRejected) -> list[bytes]:
    """A fault's error mid-stream: ``event: error`` with the error envelope, then done.

    The official client raises ``APIError`` on a data object with an ``error`` key.
    """
    return [encode_sse(error.envelope(), event="error"), DONE_FRAME]


def _error_code(status: int) -> str:
    """``last_error.code`` for a model error with HTTP ``status``."""
    return "rate_limit_exceeded" if status == 429 else "server_error"


def _encode(frames: Iterable[Frame]) -> bytes:
    return b"".join(encode_sse(data, event=name) for name, data in frames)


@dataclass
class _Call:
    """How a run's model call goes: its answer, or why it failed before answering."""

    answer: Answer | None = None
    fault: Fault | None = None
    failure: tuple[str, str] | None = None
    reset: bool = False
    ttft_ms: float | None = None
    tokens_per_second: float | None = None


async def _call_model(
    request: Request, thread: StoredThread, record: StoredRun, *, stream: bool
) -> _Call:
    """Select the stub answering the run's next model call and start its answer.

    Model errors (an ``error`` answer, a fault's HTTP error, no stub matching with
    ``fallback: error``) come back as ``failure`` (``last_error`` code and message).
    """
    engine = engine_of(request)
    run = record.run
    body = run_chat_body(run, thread.chat_history(), stream=stream)
    try:
        chat_request = validate_request(CreateChatCompletionRequest, body)
    except RequestRejected as exc:
        return _Call(failure=("invalid_prompt", exc.message))
    ctx = RequestContext(
        endpoint="assistants",
        request=chat_request,
        body={**body, "assistant_id": run["assistant_id"], "thread_id": thread.id},
        headers=request.headers,
        request_id=request.scope.get("mockgpt.request_id", ""),
        choices=1,
    )
    limiter = Limiter(
        n=1,
        max_tokens=run["max_completion_tokens"],
        stops=(),
        prompt_tokens=chat_prompt_tokens(chat_request),
    )
    try:
        selection = engine.select(ctx)
        annotate(request, selection)
        fault = selection.fault
        if fault is not None and fault.delay_ms:
            await anyio.sleep(fault.delay_ms / 1000)
        error = selection.error or (fault.http_error if fault is not None else None)
        if (
            error is None
            and fault is not None
            and not stream
            and fault.error_after_chunks is not None
        ):
            error = fault.error_event or ErrorSpec(status=500)
        if error is not None:
            raise error_from_spec(error)
        if fault is not None and fault.reset:
            return _Call(failure=("server_error", "The connection was reset."), reset=True)
        answer = engine.answer(selection, ctx, limiter=limiter)
        if answer.live:
            answer = await prime(answer)
    except RequestRejected as exc:
        return _Call(failure=(_error_code(exc.status), exc.message))
    return _Call(
        answer=answer,
        fault=fault,
        ttft_ms=selection.ttft_ms,
        tokens_per_second=selection.tokens_per_second,
    )


def _commit(record: StoredRun, renderer: RunRenderer) -> None:
    """Keep what the next request on the run needs: usage, and the step awaiting outputs."""
    record.usage = renderer.usage
    if record.status == "requires_action":
        record.pending_step = renderer.tool_step
        record.pending_usage = renderer.call_usage


def _finish(renderer: RunRenderer) -> list[Frame]:
    """Close the call, or cancel it if the run was cancelled meanwhile."""
    return renderer.cancel() if renderer.run["status"] == "cancelling" else renderer.close()


async def advance(
    request: Request,
    thread: StoredThread,
    record: StoredRun,
    *,
    stream: bool,
    prelude: list[Frame],
) -> RunResponse:
    """Run the next model call of a ``queued`` run, and answer the request that queued it.

    Args:
        request: the create or submit_tool_outputs request.
        thread: the run's thread.
        record: the run.
        stream: answer with the run's events (SSE) rather than the ``queued`` run.
        prelude: the events before ``thread.run.in_progress`` (``thread.created``,
            ``thread.run.created``, ``thread.run.queued``, ``thread.run.step.completed``).
    """
    engine = engine_of(request)
    queued = copy.deepcopy(record.run)
    renderer = RunRenderer(
        record.run, usage=record.usage, add_message=thread.add_message, add_step=record.steps.append
    )
    head = [*prelude, *renderer.start()]
    call = await _call_model(request, thread, record, stream=stream)
    answer = call.answer
    if call.failure is not None:
        head += renderer.fail(*call.failure)
    elif record.run["status"] == "cancelling":  # cancelled during a fault's delay
        head += renderer.cancel()
    if answer is None or renderer.done:
        _commit(record, renderer)
        if call.reset:
            return DropResponse(SSE_MEDIA_TYPE.encode() if stream else b"application/json")
        return SSEBody(_encode(head) + DONE_FRAME) if stream else json_response(queued)
    if not stream:
        try:
            async for event in answer.events:
                renderer.feed(event)
            _finish(renderer)
        except RequestRejected as exc:
            renderer.fail(_error_code(exc.status), exc.message)
        _commit(record, renderer)
        return json_response(queued)

    async def frames() -> AsyncIterator[bytes]:
        try:
            for item in head:
                yield _encode([item])
            try:
                async for event in answer.events:
                    for item in renderer.feed(event):
                        yield _encode([item])
                    if renderer.run["status"] == "cancelling":
                        break  # cancelled while streaming: no more of the answer
                closing = _finish(renderer)
            except RequestRejected as exc:
                closing = renderer.fail(_error_code(exc.status), exc.message)
            _commit(record, renderer)  # before the client can read requires_action
            for item in closing:
                yield _encode([item])
            yield DONE_FRAME
        finally:
            if not renderer.done:  # the stream was cut: the run cannot finish
                renderer.fail("server_error", "The run's stream ended before the run finished.")
                _commit(record, renderer)

    fault = call.fault
    ttft_ms = call.ttft_ms if call.ttft_ms is not None else engine.config.ttft_ms
    tps = (
        call.tokens_per_second
        if call.tokens_per_second is not None
        else engine.config.tokens_per_second
    )
    paced = ttft_ms > 0 or not math.isinf(tps)
    source = frames()
    if not answer.live and not paced and not stream_breaks(fault):
        return SSEBody(b"".join([chunk async for chunk in source]))
    clock = AsyncioClock()
    if fault is not None and stream_breaks(fault):
        source = break_stream(source, fault, clock, _error_frames)
    if paced:
        source = pace(source, ttft_ms=ttft_ms, tokens_per_second=tps, clock=clock)
    return SSEStream(source)
