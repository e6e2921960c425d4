"""Cursor pages of listed objects (spec: the ``after`` / ``limit`` / ``order`` list query)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from mockgpt.errors import RequestRejected
from mockgpt.http.body import json_response
from mockgpt.types import JSONValue


def cursor_page(
    request: Request,
    items: list[dict[str, Any]],
    default_order: str = "desc",
    *,
    max_limit: int = 100,
    default_limit: int = 20,
) -> Response:
    """A cursor page of ``items`` (given oldest first), as the query asks.

    Shape: ``{"object": "list", "data", "first_id", "last_id", "has_more"}``; ``order``
    (``asc`` | ``desc``, default ``default_order``), ``limit`` 1..``max_limit`` (default
    ``default_limit``) and
    ``after`` (an id of the listed items; an unknown one gives an empty page).

    Raises:
        RequestRejected: 400 for a bad ``limit`` or ``order``, naming it in ``param``.
    """
    params = request.query_params
    order = params.get("order", default_order)
    if order not in ("asc", "desc"):
        raise RequestRejected(
            400,
            f"Invalid value for 'order': expected one of 'asc' or 'desc', got {order!r}.",
            param="order",
            code="invalid_value",
        )
    try:
        limit = int(params.get("limit", str(default_limit)))
    except ValueError:
        raise RequestRejected(400, "Invalid 'limit': expected an integer.", param="limit") from None
    if not 1 <= limit <= max_limit:
        raise RequestRejected(
            400,
            f"Invalid 'limit': expected an integer from 1 to {max_limit}, got {limit}.",
            param="limit",
            code="invalid_value",
        )
    ordered = list(reversed(items)) if order == "desc" else list(items)
    after = params.get("after")
    if after:
        ids = [str(i.get("id")) for i in ordered]
        ordered = ordered[ids.index(after) + 1 :] if after in ids else []
    data: list[JSONValue] = list(ordered[:limit])
    return json_response(
        {
            "object": "list",
            "data": data,
            "first_id": ordered[0]["id"] if data else None,
            "last_id": ordered[: len(data)][-1]["id"] if data else None,
            "has_more": len(ordered) > limit,
        }
    )
