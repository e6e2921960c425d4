"""Assistants API runs and run steps: the endpoints.

Runs: create (on a thread, or with a new thread), retrieve, list, modify, cancel, submit tool
outputs; run steps: list, retrieve. How a queued run is answered is in
``mockgpt.routes.assistants_calls``.

Spec: ``createRun``, ``createThreadAndRun``, ``listRuns``, ``getRun``, ``modifyRun``,
``cancelRun``, ``submitToolOuputsToRun``, ``listRunSteps``, ``getRunStep``.
"""

from __future__ import annotations

import copy
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from mockgpt.assistants_store import StoredRun, StoredThread
from mockgpt.errors import RequestRejected
from mockgpt.models.assistants import (
    CreateRun,
    CreateThreadAndRun,
    ModifyMetadata,
    SubmitToolOutputs,
    tool_round,
)
from mockgpt.render.assistants import (
    RUN_DEFAULTS,
    WireObject,
    cancel_run,
    complete_tool_step,
    frame,
    requeue,
    run_object,
)
from mockgpt.routes.assistants import (
    add_messages,
    cursor_page,
    new_thread,
    read_body,
    store_of,
    thread_of,
)
from mockgpt.routes.assistants_calls import RunResponse, advance
from mockgpt.routes.common import engine_of, json_response, now

_ASSISTANT_SETTINGS = ("instructions", "tools", "temperature", "top_p", "response_format")


def _new_run(
    thread: StoredThread, assistant: WireObject, body: dict[str, Any], model: str | None
) -> StoredRun:
    """A ``queued`` run of ``assistant`` on ``thread``, stored on the thread.

    The assistant's settings apply, overridden by the request's; ``additional_instructions``
    follow the instructions.
    """
    fields: dict[str, Any] = {k: assistant.get(k) for k in _ASSISTANT_SETTINGS}
    fields.update({k: v for k, v in body.items() if k in RUN_DEFAULTS and v is not None})
    if body.get("additional_instructions"):
        fields["instructions"] = "\n\n".join(
            t for t in (fields.get("instructions"), body["additional_instructions"]) if t
        )
    run = run_object(
        thread_id=thread.id,
        assistant_id=str(assistant["id"]),
        created_at=now(),
        model=model or str(assistant["model"]),
        fields=fields,
    )
    record = StoredRun(run)
    thread.runs[record.id] = record
    return record


# -- endpoints ----------------------------------------------------------------------------
async def create_run(request: Request) -> RunResponse:
    """``POST /v1/threads/{thread_id}/runs`` (spec: ``createRun``).

    Raises:
        RequestRejected: 404 for an unknown thread or assistant; 400 for an invalid body or
            while another run of the thread is active.
    """
    thread = thread_of(request)
    req, body = await read_body(request, CreateRun)
    assistant = store_of(request).assistant(req.assistant_id, "assistant_id")
    if req.model is not None:
        engine_of(request).check_model(req.model)
    thread.check_idle("create a run on")
    add_messages(thread, body.get("additional_messages") or [])
    record = _new_run(thread, assistant, body, req.model)
    prelude = [frame("thread.run.created", record.run), frame("thread.run.queued", record.run)]
    return await advance(request, thread, record, stream=bool(req.stream), prelude=prelude)


async def create_thread_and_run(request: Request) -> RunResponse:
    """``POST /v1/threads/runs``: a new thread and a run on it (spec: ``createThreadAndRun``).

    Raises:
        RequestRejected: 404 for an unknown assistant; 400 for an invalid body.
    """
    req, body = await read_body(request, CreateThreadAndRun)
    store = store_of(request)
    assistant = store.assistant(req.assistant_id, "assistant_id")
    if req.model is not None:
        engine_of(request).check_model(req.model)
    thread = new_thread(store, body.get("thread") or {})
    record = _new_run(thread, assistant, body, req.model)
    prelude = [
        frame("thread.created", thread.thread),
        frame("thread.run.created", record.run),
        frame("thread.run.queued", record.run),
    ]
    return await advance(request, thread, record, stream=bool(req.stream), prelude=prelude)


def _run_of(request: Request) -> tuple[StoredThread, StoredRun]:
    thread = thread_of(request)
    return thread, thread.run(request.path_params["run_id"])


async def list_runs(request: Request) -> Response:
    """``GET /v1/threads/{thread_id}/runs``: a cursor page of the thread's runs."""
    return cursor_page(request, [r.run for r in thread_of(request).runs.values()])


async def run_endpoint(request: Request) -> Response:
    """``GET`` / ``POST`` (modify metadata) ``/v1/threads/{thread_id}/runs/{run_id}``.

    Raises:
        RequestRejected: 404 for an unknown thread or run; 400 for invalid metadata.
    """
    _, record = _run_of(request)
    if request.method == "POST":
        _, body = await read_body(request, ModifyMetadata)
        if "metadata" in body:
            record.run["metadata"] = dict(body["metadata"] or {})
    return json_response(record.run)


async def cancel(request: Request) -> Response:
    """``POST .../runs/{run_id}/cancel``: the run, ``cancelling`` (spec: ``cancelRun``).

    A run waiting for tool outputs is ``cancelled`` at once; one being streamed is when its
    next event is due.

    Raises:
        RequestRejected: 400 for a run that has already finished.
    """
    _, record = _run_of(request)
    if record.status not in ("queued", "in_progress", "requires_action"):
        raise RequestRejected(400, f"Cannot cancel run with status '{record.status}'.")
    if record.status == "in_progress":
        record.run["status"] = "cancelling"
        return json_response(record.run)
    cancelling = {**copy.deepcopy(record.run), "status": "cancelling"}
    cancel_run(record.run, record.pending_step, now(), record.usage)
    record.pending_step = None
    return json_response(cancelling)


async def submit_tool_outputs(request: Request) -> RunResponse:
    """``POST .../runs/{run_id}/submit_tool_outputs`` (spec: ``submitToolOuputsToRun``).

    The outputs complete the run's ``tool_calls`` step and join the conversation as ``tool``
    messages after an assistant message with the calls; the run is ``queued`` again and its
    next model call answers them.

    Raises:
        RequestRejected: 400 when the run is not ``requires_action``, or an output is missing,
            unknown or repeated.
    """
    thread, record = _run_of(request)
    req, _ = await read_body(request, SubmitToolOutputs)
    step = record.pending_step
    if record.status != "requires_action" or step is None:
        raise RequestRejected(400, f'Runs in status "{record.status}" do not accept tool outputs.')
    expected = [str(c["id"]) for c in step["step_details"]["tool_calls"]]
    given: list[str] = []
    for index, output in enumerate(req.tool_outputs):
        if output.tool_call_id not in expected or output.tool_call_id in given:
            which = "was already given" if output.tool_call_id in given else "is not awaited"
            raise RequestRejected(
                400,
                f"Invalid tool output: tool call '{output.tool_call_id}' {which} "
                f"(awaiting: {', '.join(expected)}).",
                param=f"tool_outputs[{index}].tool_call_id",
                code="invalid_value",
            )
        given.append(output.tool_call_id)
    missing = [i for i in expected if i not in given]
    if missing:
        raise RequestRejected(
            400,
            f"Expected tool outputs for call_ids {expected}, got {given}.",
            param="tool_outputs",
        )
    outputs = {o.tool_call_id: o.output for o in req.tool_outputs}
    step_done = complete_tool_step(step, outputs, now(), record.pending_usage)
    thread.history.append(tool_round(step))
    record.pending_step = record.pending_usage = None
    prelude = [step_done, requeue(record.run)]
    return await advance(request, thread, record, stream=bool(req.stream), prelude=prelude)


async def list_steps(request: Request) -> Response:
    """``GET .../runs/{run_id}/steps``: a cursor page of the run's steps."""
    _, record = _run_of(request)
    return cursor_page(request, record.steps)


async def retrieve_step(request: Request) -> Response:
    """``GET .../runs/{run_id}/steps/{step_id}``.

    Raises:
        RequestRejected: 404 for an unknown thread, run or step.
    """
    _, record = _run_of(request)
    return json_response(record.step(request.path_params["step_id"]))
