"""A run's model call: the thread as a ``Turn`` through the one pipeline.

A run's model call is a chat completion: the thread becomes the canonical prompt
(``run_prompt``) that the stubs (endpoint ``assistants``) and the fallback answer;
``mockgpt.http.assistants.RunWire`` turns the answer into the run's message, steps and status,
failing the run in band on a model error.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.types import ASGIApp

from mockgpt.assistants_store import StoredRun, StoredThread
from mockgpt.http.assistants import RunWire
from mockgpt.models.assistants import run_prompt
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
    prompt = run_prompt(run, thread.chat_history())
    temperature = run.get("temperature")
    turn = Turn(
        endpoint="assistants",
        prompt=prompt,
        parsed={**run, "assistant_id": run["assistant_id"], "thread_id": thread.id},
        headers=request.headers,
        request_id=request.scope.get("mockgpt.request_id", ""),
        model=str(run["model"]),
        stream=stream,
        max_tokens=run["max_completion_tokens"],
        temperature=temperature if isinstance(temperature, int | float) else None,
        metadata=run.get("metadata") or None,
        prompt_tokens=prompt.tokens,
    )
    return serve(request, turn, wire)
