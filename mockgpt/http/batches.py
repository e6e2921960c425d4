"""A batch's progress, and its lines answered through the app as single requests are.

A batch's ``Job`` (``mockgpt.lifecycle``) moves as it is read: ``validating`` (the job's
``queued``) -> ``in_progress`` -> its end, after the reads or the time the batch stub's
``respond.lifecycle`` gives (default: at the first retrieve). The lines run **once, when the
batch ends** ``completed`` (``finish``), in file order, one after the other: each is sent to
the server's own ASGI app as a request of its own (``POST`` to the batch's ``endpoint``, the
batch's test id and API key, header ``x-mockgpt-batch-id``), so stubs, faults, quirks, the
journal and ``--seed`` apply to it exactly as to the same request sent alone. A line answered
2xx goes to the output file, any other answer (or a dropped connection) to the error file,
both of purpose ``batch_output``. While its lines run, a read sees the batch ``finalizing``.

An ``expired`` batch runs no line: each goes to the error file with code ``batch_expired``.
A ``cancelled`` one runs none and writes no file. A batch whose input file was invalid, or
whose stub's lifecycle ends ``failed``, fails at its end with ``errors.data[]``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import anyio
from starlette.types import Message, Scope

from mockgpt import ids
from mockgpt.batches_store import BatchLine, StoredBatch, batch_error
from mockgpt.engine import Engine
from mockgpt.errors import RequestRejected
from mockgpt.faults import ConnectionDropped
from mockgpt.files_store import StoredFile
from mockgpt.quirks.batches import quirk_batch_line
from mockgpt.types import JSONObject, JSONValue

BATCH_ENDS = ("completed", "failed", "cancelled", "expired")
"""The ends a batch's job may have (``respond.lifecycle.end``)."""
BATCH_HEADER = b"x-mockgpt-batch-id"
"""The header each line is sent with: the id of its batch (the journal shows it)."""
LINE_HOST = b"mockgpt.test"
"""The ``Host`` of a line's request (``config.IN_PROCESS_HOST``, always served)."""
EXPIRED = "This request could not be executed before the completion window expired."


async def read(engine: Engine, stored: StoredBatch, *, poll: bool) -> JSONObject:
    """The batch as a read sees it now; ``poll`` counts the read (a retrieve does).

    Acts on the job's end the first time it is seen (``finish``): the read that ends a
    batch waits for its lines.
    """
    if stored.timed_elsewhere and not stored.ended:  # its creator's timer ends it
        shown = stored.view()
        shown["status"] = "in_progress"
        return shown
    job = stored.job
    status = job.poll() if poll else job.status
    batch = stored.batch
    if status == "in_progress" and batch["in_progress_at"] is None:
        batch["in_progress_at"] = ids.now()
    if job.done:
        await finish(engine, stored)
    elif batch["status"] != status:
        batch["status"] = "validating" if status == "queued" else status
    return stored.view()


async def cancel(engine: Engine, stored: StoredBatch) -> JSONObject:
    """Cancel a batch still ``validating`` or ``in_progress``.

    Returns:
        The batch ``cancelling`` (a retrieve then sees it ``cancelled``), or as a read (not
        counted) sees it when it had already ended or is finalizing (no error).
    """
    if not stored.job.cancel():
        return await read(engine, stored, poll=False)
    stored.batch["cancelling_at"] = ids.now()
    await finish(engine, stored)
    shown = stored.view()
    shown["status"], shown["cancelled_at"] = "cancelling", None
    return shown


async def finish(engine: Engine, stored: StoredBatch) -> None:
    """Act once on a batch's end: answer its lines, write its files, set its status.

    Does nothing before the job has ended, while another read runs the lines, or once done.
    The one place a batch ends: a ``batch.<status>`` webhook belongs here.
    """
    if stored.ended or stored.running or not stored.job.done:
        return
    stored.running = True
    batch = stored.batch
    try:
        batch["status"] = "finalizing"
        end = stored.job.status
        if stored.errors or stored.scripted_failure is not None:
            end = "failed"
        if end == "completed":
            await _complete(engine, stored)
        elif end == "expired":
            _expire(engine, stored)
        elif end == "failed":
            data: list[JSONValue] = list(stored.errors)
            if stored.scripted_failure is not None:
                data.append(stored.scripted_failure)
            batch["errors"] = {"object": "list", "data": data}
        batch["status"] = end
        batch[f"{end}_at"] = ids.now()
    finally:
        stored.running = False
        stored.ended = True
    engine.webhooks.emit(f"batch.{batch['status']}", stored.id)


def start(engine: Engine, stored: StoredBatch) -> None:
    """For a batch whose job ends by time (``after_ms``), start the task that ends it.

    The task runs the lines and sends the ``batch.<status>`` webhook with no read needed; a
    job driven by reads ends at the read that sees it end. With a shared state only this
    task ends the batch, on the store's copy (``BatchStore.shared_end``): a read on any
    process sees it ``in_progress`` until then (``StoredBatch.timed_elsewhere``).
    """
    if stored.job.ms_left() is not None:
        engine.tasks.spawn(_end_in_time(engine, stored), f"batch {stored.id}")


async def _end_in_time(engine: Engine, stored: StoredBatch) -> None:
    while left := stored.job.ms_left():  # None once ended (cancelled); 0 when due
        await asyncio.sleep(left / 1000)
    shared_end = engine.state.batches.shared_end
    if shared_end is None:
        await finish(engine, stored)
    else:  # end the shared store's copy (another process may have cancelled it)
        await shared_end(stored, lambda fresh: finish(engine, fresh))


async def _complete(engine: Engine, stored: StoredBatch) -> None:
    batch = stored.batch
    now = ids.now()
    batch["in_progress_at"] = batch["in_progress_at"] or now
    batch["finalizing_at"] = now
    output: list[JSONObject] = []
    failed: list[JSONObject] = []
    usage = {"input": 0, "output": 0, "reasoning": 0}
    for line in stored.lines:
        answer = await answer_line(stored, line)
        response = answer["response"]
        status = response.get("status_code") if isinstance(response, dict) else None
        if isinstance(response, dict) and isinstance(status, int) and 200 <= status < 300:
            _add_usage(usage, response.get("body"))
            output.append(quirk_batch_line(answer, stored.quirks))
        else:
            failed.append(answer)
    batch["request_counts"] = {
        "total": len(stored.lines),
        "completed": len(output),
        "failed": len(failed),
    }
    batch["usage"] = {
        "input_tokens": usage["input"],
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": usage["output"],
        "output_tokens_details": {"reasoning_tokens": usage["reasoning"]},
        "total_tokens": usage["input"] + usage["output"],
    }
    _write(engine, stored, output, failed)


def _expire(engine: Engine, stored: StoredBatch) -> None:
    failed: list[JSONObject] = [
        {
            "id": _line_id(),
            "custom_id": line.custom_id,
            "response": None,
            "error": {"code": "batch_expired", "message": EXPIRED},
        }
        for line in stored.lines
    ]
    stored.batch["request_counts"] = {"total": len(failed), "completed": 0, "failed": len(failed)}
    _write(engine, stored, [], failed)


def _write(
    engine: Engine, stored: StoredBatch, output: list[JSONObject], failed: list[JSONObject]
) -> None:
    """Keep the output and error files (one only when it has a line) and name them."""
    made_files = (("output_file_id", output, "output"), ("error_file_id", failed, "error"))
    for key, lines, suffix in made_files:
        if not lines:
            continue
        content = b"".join(
            json.dumps(line, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"
            for line in lines
        )
        created_at = ids.now()
        ttl_s = stored.output_ttl_s
        made = StoredFile(
            id=f"file-{ids.new_hex(24)}",
            filename=f"{stored.id}_{suffix}.jsonl",
            purpose="batch_output",
            content=content,
            created_at=created_at,
            expires_at=None if ttl_s is None else created_at + ttl_s,
        )
        try:
            engine.state.files.add(made)
        except RequestRejected as exc:  # larger than every file mockgpt keeps
            error = batch_error(exc.code or "file_too_large", exc.message, None)
            stored.batch["errors"] = {"object": "list", "data": [error]}
            continue
        stored.batch[key] = made.id


def _line_id() -> str:
    return f"batch_req_{ids.new_hex(32)}"


def _add_usage(total: dict[str, int], body: Any) -> None:
    usage = body.get("usage") if isinstance(body, dict) else None
    if not isinstance(usage, dict):
        return
    total["input"] += _int(usage.get("prompt_tokens", usage.get("input_tokens")))
    total["output"] += _int(usage.get("completion_tokens", usage.get("output_tokens")))
    details = usage.get("completion_tokens_details") or usage.get("output_tokens_details")
    if isinstance(details, dict):
        total["reasoning"] += _int(details.get("reasoning_tokens"))


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


async def answer_line(stored: StoredBatch, line: BatchLine) -> JSONObject:
    """Send one line through the app and make its output line.

    Returns:
        ``{"id": "batch_req_...", "custom_id", "response": {"status_code", "request_id",
        "body"}, "error": None}``; for a connection the answer dropped, ``response`` is None
        and ``error`` is ``{"code": "server_error", "message"}``.
    """
    app = stored.app
    assert app is not None, "a batch that runs lines has the app"
    scope = _scope(stored, line)
    status, headers, body, dropped = await _call(app, scope, line.body)
    out: JSONObject = {"id": _line_id(), "custom_id": line.custom_id, "response": None}
    if dropped or status is None:
        out["error"] = {
            "code": "server_error",
            "message": "The connection was closed before the answer was complete.",
        }
        return out
    try:
        decoded: JSONValue = json.loads(body)
    except ValueError:
        decoded = body.decode("utf-8", "replace")
    out["response"] = {
        "status_code": status,
        "request_id": headers.get(b"x-request-id", b"").decode()
        or scope.get("mockgpt.request_id", ""),
        "body": decoded,
    }
    out["error"] = None
    return out


def _scope(stored: StoredBatch, line: BatchLine) -> Scope:
    path = line.url
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "headers": [
            (b"host", LINE_HOST),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(line.body)).encode()),
            (BATCH_HEADER, stored.id.encode()),
            *stored.headers,
        ],
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "server": (LINE_HOST.decode(), 80),
        "client": ("127.0.0.1", 0),
        "root_path": "",
    }


async def _call(
    app: Callable[..., Any], scope: Scope, body: bytes
) -> tuple[int | None, dict[bytes, bytes], bytes, bool]:
    """``(status, headers, body, dropped)`` of one request to ``app`` (buffered)."""
    done = anyio.Event()
    sent = complete = False
    status: int | None = None
    headers: dict[bytes, bytes] = {}
    parts: list[bytes] = []

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await done.wait()  # the client is there until its answer ends
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        nonlocal status, complete
        if message["type"] == "http.response.start":
            status = message["status"]
            headers.update(message.get("headers", ()))
        elif message["type"] == "http.response.body":
            parts.append(message.get("body", b""))
            if not message.get("more_body", False):
                complete = True
                done.set()

    try:
        await app(scope, receive, send)
    except ConnectionDropped:
        return status, headers, b"".join(parts), True
    finally:
        done.set()
    return status, headers, b"".join(parts), not complete
