"""Background responses (``background: true``): queued first, polled to an end, cancelled.

Spec: ``CreateResponse.background``, ``Response.status``, ``getResponse``, ``cancelResponse``
and the background guide: a background request is answered before its answer exists
(``queued`` or ``in_progress``), each ``GET /responses/{id}`` shows its progress until it ends,
and ``POST /responses/{id}/cancel`` ends one still running ``cancelled`` (an ended one is
returned as it ended).
"""

from __future__ import annotations

import time
from typing import Any

from conformance.checks import _responses as rs
from conformance.checks._shared import dumps
from conformance.context import CheckContext
from conformance.failures import Violation
from conformance.http import HttpResult
from conformance.registry import check

RUNNING = ("queued", "in_progress")
ENDS = ("completed", "failed", "cancelled", "incomplete")
MAX_POLLS = 120
"""Reads of a background response before the check gives up on its end."""
POLL_INTERVAL_S = 0.5
"""Seconds between two reads after the first (a real server takes a while to answer)."""


def _read(ctx: CheckContext, path: str, *, post: bool = False) -> tuple[HttpResult, dict[str, Any]]:
    """An uncached ``GET path`` (``POST`` with ``{}``): a 2xx Response, else a Violation."""
    if post:
        result = ctx.post(path, {}, cache=False)
    else:
        result = ctx.raw.send(ctx.raw.exchange("GET", path))
    ctx.expect_ok(result, optional=None, owner=None)
    return result, rs.outline(result.json_or_none(), result.exchange)


def _create(ctx: CheckContext) -> rs.ResponseAnswer:
    """A background request, answered before it ends (``queued`` or ``in_progress``)."""
    answer = rs.create(
        ctx, rs.body(ctx, background=True, store=True), optional="background", cache=False
    )
    status = answer.response.get("status")
    if status not in RUNNING:
        raise Violation(
            "status",
            "queued or in_progress: a background response is answered before it ends",
            dumps(status),
            exchange=answer.exchange,
        )
    return answer


@check(
    id="responses.background.lifecycle",
    feature="responses",
    spec="CreateResponse.background; Response.status (queued, in_progress, completed, failed, "
    "cancelled, incomplete); getResponse; cancelResponse",
)
def background_lifecycle(ctx: CheckContext) -> None:
    """A ``background: true`` response is answered before it ends, then polled to completed.

    It is answered ``queued`` (or ``in_progress``), each read keeps the id, the status never
    goes back (``in_progress`` to ``queued``), and it ends ``completed`` with its output.
    Cancelling a running one returns it ``cancelled`` (one that had already ended, as it
    ended), and a read after shows the same status.
    """
    answer = _create(ctx)
    response_id = answer.response.get("id")
    path = f"/responses/{response_id}"
    seen = [str(answer.response.get("status"))]
    for poll in range(MAX_POLLS):
        if poll:
            time.sleep(POLL_INTERVAL_S)
        result, polled = _read(ctx, path)
        status = polled.get("status")
        if polled.get("id") != response_id or status not in RUNNING + ENDS:
            raise Violation(
                "status" if polled.get("id") == response_id else "id",
                f"response {response_id}, queued, in_progress or an end",
                f"{polled.get('id')} {dumps(status)}",
                exchange=result.exchange,
            )
        if seen[-1] == "in_progress" and status == "queued":
            raise Violation(
                "status",
                "no step back to queued",
                " -> ".join([*seen, status]),
                exchange=result.exchange,
            )
        seen.append(str(status))
        if status in ENDS:
            break
    else:
        raise Violation("status", f"an end within {MAX_POLLS} reads", " -> ".join(seen))
    if seen[-1] != "completed" or not rs.output_text(rs.ResponseAnswer(result, polled)):
        raise Violation(
            "status",
            "completed, with its output text",
            f"{' -> '.join(seen)}; output {dumps(polled.get('output'))[:120]}",
            exchange=result.exchange,
        )
    running = _create(ctx)
    cancel_path = f"/responses/{running.response.get('id')}/cancel"
    result, cancelled = _read(ctx, cancel_path, post=True)
    status = cancelled.get("status")
    if cancelled.get("id") != running.response.get("id") or status not in ("cancelled", *ENDS):
        raise Violation(
            "status",
            "the response, cancelled (or as it ended)",
            f"{cancelled.get('id')} {dumps(status)}",
            exchange=result.exchange,
        )
    after, read_again = _read(ctx, cancel_path.removesuffix("/cancel"))
    if read_again.get("status") != status:
        raise Violation(
            "status",
            f"{status}, as the cancel answered",
            dumps(read_again.get("status")),
            exchange=after.exchange,
        )
