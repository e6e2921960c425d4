"""What every handler shares: reading the JSON body, JSON responses, the one pipeline."""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from functools import lru_cache

from starlette.requests import Request
from starlette.responses import Response

from mockgpt.engine import Engine, Reply
from mockgpt.errors import RequestRejected
from mockgpt.http.send import ReplySender, Wire
from mockgpt.sse import dumps
from mockgpt.turn import Turn
from mockgpt.types import JSONValue


def engine_of(request: Request) -> Engine:
    """The engine the app was built with."""
    engine: Engine = request.app.state.engine
    return engine


def new_id(prefix: str) -> str:
    """A fresh object id such as ``chatcmpl-<30 hex>``."""
    return f"{prefix}-{secrets.token_hex(15)}"


@lru_cache(maxsize=256)
def fingerprint(model: str) -> str:
    """A stable ``system_fingerprint`` for ``model``: ``fp_`` and 10 hex digits."""
    return "fp_" + hashlib.sha256(model.encode("utf-8", "surrogatepass")).hexdigest()[:10]


def now() -> int:
    """Unix time in whole seconds (``created``)."""
    return int(time.time())


async def read_json(request: Request, max_body_bytes: int) -> JSONValue:
    """The request body decoded as JSON.

    Raises:
        RequestRejected: 413 when the body is larger than ``max_body_bytes``; 400 when it is
            not valid UTF-8 JSON.
    """
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_body_bytes:
        raise _too_large(max_body_bytes)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_body_bytes:
            raise _too_large(max_body_bytes)
        chunks.append(chunk)
    body = b"".join(chunks)
    try:
        value: JSONValue = json.loads(body)
    except (ValueError, RecursionError):
        raise RequestRejected(
            400,
            "We could not parse the JSON body of your request. (HINT: This likely means you "
            "aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, "
            "but what was sent was not valid JSON.)",
        ) from None
    return value


def _too_large(limit: int) -> RequestRejected:
    return RequestRejected(
        413,
        f"Request body too large: the limit is {limit} bytes.",
        code="request_too_large",
    )


def json_response(
    body: JSONValue, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """``application/json`` response with a compact body."""
    return Response(dumps(body), status_code=status, headers=headers, media_type="application/json")


def annotate(request: Request, reply: Reply) -> None:
    """Note in the journal entry which stub answered and why the others did not."""
    entry = request.scope.get("mockgpt.entry")
    if entry is not None:
        entry.stub = reply.stub_id
        entry.misses = dict(reply.misses)


def serve(request: Request, turn: Turn, wire: Wire) -> ReplySender:
    """Answer ``turn`` through the one pipeline: ``Engine.serve``, then ``wire``'s sender."""
    engine = engine_of(request)
    reply = engine.serve(turn)
    annotate(request, reply)
    return ReplySender(reply, wire, engine.clock)
