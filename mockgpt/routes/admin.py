"""Health and admin endpoints: ``/health``, ``/_mockgpt/journal``, ``/_mockgpt/reset``."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from mockgpt.routes.common import engine_of, json_response
from mockgpt.types import JSONValue


async def health(request: Request) -> Response:
    """``{"status": "ok"}``: load balancers and orchestrators probe it before traffic."""
    return json_response({"status": "ok"})


async def journal(request: Request) -> Response:
    """The request journal, oldest first: ``{"object": "list", "data": [entry, ...]}``."""
    data: list[JSONValue] = [e.to_dict() for e in engine_of(request).journal.entries()]
    return json_response({"object": "list", "data": data})


async def reset(request: Request) -> Response:
    """Forget the journal and the server's per-test state."""
    engine_of(request).reset()
    return json_response({"status": "reset"})
