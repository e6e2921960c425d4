"""A run's model call: the thread as a ``Turn`` through the one pipeline.

A run's model call is a chat completion: the thread becomes a chat conversation
(``run_chat_body``) that the stubs (endpoint ``assistants``) and the fallback answer;
``mockgpt.http.assistants.RunWire`` turns the answer into the run's message, steps and status,
failing the run in band on a model error.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.types import ASGIApp

from mockgpt.assistants_store import StoredRun, StoredThread
from mockgpt.errors import RequestRejected
from mockgpt.http.assistants import RunWire
from mockgpt.models import CreateChatCompletionRequest, validate_request
from mockgpt.models.assistants import run_chat_body
from mockgpt.models.chat import chat_prompt_tokens
from mockgpt.render.assistants import Frame
from mockgpt.routes.common import serve
from mockgpt.turn import Turn

RunResponse = ASGIApp
"""What a request that queues a run gets: the run as JSON, its stream, or a dropped connection."""


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
    wire = RunWire(thread, record, stream=stream, prelude=prelude)
    run = record.run
    body = run_chat_body(run, thread.chat_history(), stream=stream)
    try:
        chat_request = validate_request(CreateChatCompletionRequest, body)
    except RequestRejected as exc:
        return wire.fail("invalid_prompt", exc.message)
    turn = Turn(
        endpoint="assistants",
        request=chat_request,
        parsed={**body, "assistant_id": run["assistant_id"], "thread_id": thread.id},
        headers=request.headers,
        request_id=request.scope.get("mockgpt.request_id", ""),
        model=chat_request.model,
        stream=stream,
        max_tokens=run["max_completion_tokens"],
        prompt_tokens=chat_prompt_tokens(chat_request),
    )
    return serve(request, turn, wire)
