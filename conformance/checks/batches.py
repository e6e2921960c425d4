"""The Batch API: a batch of chat lines ends with one output line per input line.

The check uploads a small JSONL file (purpose ``batch``), creates a batch of
``/v1/chat/completions`` lines, polls it (within ``stream_timeout_s``) and reads its output
and error files through the official client. A server without ``/v1/files`` or
``/v1/batches`` reports the feature unsupported, as does one whose batch is still running
when the time is up (a real batch can take hours).
"""

from __future__ import annotations

import json
import time
from typing import Any

from conformance.checks._shared import dumps
from conformance.context import DEFAULT_PROMPT, CheckContext
from conformance.failures import Unsupported, Violation
from conformance.registry import check

CUSTOM_IDS = ("line-1", "line-2", "line-3")
ENDS = ("completed", "failed", "expired", "cancelled")
POLL_S = 0.5
"""Seconds between two retrieves of a batch that has not ended."""


def _input_file(ctx: CheckContext) -> bytes:
    lines = [
        {
            "custom_id": custom_id,
            "method": "POST",
            "url": "/v1/chat/completions",
            "body": ctx.chat_body(
                messages=[{"role": "user", "content": f"{DEFAULT_PROMPT} ({custom_id})"}]
            ),
        }
        for custom_id in CUSTOM_IDS
    ]
    return "\n".join(json.dumps(line) for line in lines).encode() + b"\n"


def _ended_batch(ctx: CheckContext) -> Any:
    """Upload, create and poll a batch of ``CUSTOM_IDS`` chat lines until it ends.

    Raises:
        Unsupported: the server has no Files or Batch API, or the batch did not end in time.
    """
    client = ctx.client()
    exchange = ctx.exchange("POST", "/batches", {"endpoint": "/v1/chat/completions"})
    try:
        source = client.files.create(file=("batch.jsonl", _input_file(ctx)), purpose="batch")
        batch = client.batches.create(
            input_file_id=source.id, endpoint="/v1/chat/completions", completion_window="24h"
        )
    except Exception as exc:
        status = getattr(exc, "status_code", None)
        if status in (404, 405, 501):
            raise Unsupported(f"no Batch API: HTTP {status}", exchange=exchange) from None
        raise Violation(
            "<client>",
            "files.create and batches.create succeed",
            f"{type(exc).__name__}: {exc}",
            level="client",
            exchange=exchange,
        ) from None
    deadline = time.monotonic() + ctx.settings.stream_timeout_s
    with ctx.client_step("client", exchange, "batches.retrieve()"):
        batch = client.batches.retrieve(batch.id)
        while batch.status not in ENDS:
            if time.monotonic() > deadline:
                raise Unsupported(
                    f"batch {batch.id} still {batch.status} after "
                    f"{ctx.settings.stream_timeout_s:g} s",
                    exchange=exchange,
                )
            time.sleep(POLL_S)
            batch = client.batches.retrieve(batch.id)
    return batch, exchange


def _lines(ctx: CheckContext, file_id: str | None, exchange: Any) -> list[Any]:
    if not file_id:
        return []
    with ctx.client_step("client", exchange, f"files.content({file_id!r})"):
        content = ctx.client().files.content(file_id).content
    out = []
    for number, raw in enumerate(content.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            out.append(json.loads(raw))
        except ValueError:
            raise Violation(
                f"<file {file_id}>[line {number}]",
                "a JSON object per line (JSONL)",
                raw[:120].decode("utf-8", "replace"),
                exchange=exchange,
            ) from None
    return out


def _check_output_line(line: Any, where: str, exchange: Any) -> None:
    if not isinstance(line, dict) or not {"id", "custom_id", "response", "error"} <= set(line):
        raise Violation(
            where,
            "an object with id, custom_id, response, error",
            dumps(line)[:160],
            exchange=exchange,
        )
    response = line["response"]
    shaped = (
        isinstance(line["id"], str)
        and isinstance(response, dict)
        and isinstance(response.get("status_code"), int)
        and 200 <= response["status_code"] < 300
        and isinstance(response.get("request_id"), str)
        and isinstance(response.get("body"), dict)
        and line["error"] is None
    )
    if not shaped:
        raise Violation(
            where,
            "id (string), response {status_code 2xx, request_id, body object}, error null",
            dumps(line)[:200],
            exchange=exchange,
        )


@check(
    id="batches.output-lines",
    feature="batches",
    spec="Batch API request output: one line per input line, each `{id, custom_id, "
    "response: {status_code, request_id, body}, error}` keeping its input's `custom_id`; "
    "BatchRequestCounts: total = completed + failed",
)
def batch_output_lines(ctx: CheckContext) -> None:
    """A completed batch has one output (or error) line per input line, with its ``custom_id``.

    Each output line is ``{id, custom_id, response: {status_code, request_id, body}, error:
    null}``, and ``request_counts`` adds up: ``total`` input lines, ``completed`` output lines,
    ``failed`` error lines.
    """
    batch, exchange = _ended_batch(ctx)
    if batch.status != "completed":
        raise Violation(
            "status",
            "completed (a valid input file of three chat requests)",
            f"{batch.status}: {dumps(batch.errors.model_dump() if batch.errors else None)[:160]}",
            exchange=exchange,
        )
    output = _lines(ctx, batch.output_file_id, exchange)
    errors = _lines(ctx, batch.error_file_id, exchange)
    for index, line in enumerate(output):
        _check_output_line(line, f"<output file>[{index}]", exchange)
    seen = [line.get("custom_id") for line in output + errors if isinstance(line, dict)]
    if sorted(seen, key=str) != sorted(CUSTOM_IDS):
        raise Violation(
            "<output file>[*].custom_id",
            f"each of {dumps(list(CUSTOM_IDS))} once",
            dumps(seen),
            exchange=exchange,
        )
    counts = batch.request_counts
    found = (counts.total, counts.completed, counts.failed) if counts else None
    wanted = (len(CUSTOM_IDS), len(output), len(errors))
    if found != wanted:
        raise Violation(
            "request_counts",
            f"total {wanted[0]}, completed {wanted[1]}, failed {wanted[2]} (the files' lines)",
            dumps(counts.model_dump() if counts else None),
            exchange=exchange,
        )
