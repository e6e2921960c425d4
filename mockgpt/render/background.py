"""A background response (``background: true``) as a read sees it at each status.

Spec: ``Response.status`` (``queued``, ``in_progress``, ``completed``, ``failed``,
``cancelled``, ``incomplete``), ``Response.error`` (``ResponseError``: ``code``, ``message``).
Until it completes a background response has no ``output`` and no ``usage``; completed, it is
the response its answer rendered; failed, it carries ``error``; cancelled, it stops empty;
incomplete, it keeps its output with ``incomplete_details``.
"""

from __future__ import annotations

import copy

from mockgpt.types import JSONObject

RESPONSE_ENDS = ("completed", "failed", "cancelled", "incomplete")
"""The ends a background response can reach (``respond.lifecycle.end``)."""
GENERIC_FAILURE: JSONObject = {
    "code": "server_error",
    "message": "The model failed to generate a response (mockgpt: the stub's lifecycle ends "
    "it failed).",
}
"""The ``error`` of a failed background response whose stub scripts no error."""


def failure(code: str | None, status: int, message: str) -> JSONObject:
    """A ``ResponseError`` from a scripted HTTP error: its code and message.

    Args:
        code: the error's ``code``; without one, ``rate_limit_exceeded`` for a 429 and
            ``server_error`` for any other status.
        status: its HTTP status.
        message: its message.
    """
    if code is None:
        code = "rate_limit_exceeded" if status == 429 else "server_error"
    return {"code": code, "message": message}


def background_view(final: JSONObject, status: str, error: JSONObject | None) -> JSONObject:
    """The ``Response`` a read of a background response returns at ``status``.

    Args:
        final: the response its answer rendered (status ``completed``, or ``incomplete``
            when ``max_output_tokens`` cut it).
        status: the job's status: ``queued``, ``in_progress`` or one of ``RESPONSE_ENDS``.
        error: the ``ResponseError`` shown when ``failed`` (``GENERIC_FAILURE`` if None).
    """
    view = copy.deepcopy(final)
    if status == "completed":
        return view
    view["status"] = status
    if status == "incomplete":
        if view.get("incomplete_details") is None:
            view["incomplete_details"] = {"reason": "max_output_tokens"}
        return view
    view["output"] = []
    view["usage"] = None
    view["incomplete_details"] = None
    if status == "failed":
        view["error"] = copy.deepcopy(error) if error is not None else dict(GENERIC_FAILURE)
    return view
