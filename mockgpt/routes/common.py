"""What every handler shares: the engine, ids and times, and the one pipeline.

``read_json`` and ``json_response`` (``mockgpt.http.body``) are re-exported for the adapters.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

from starlette.requests import Request

from mockgpt import ids
from mockgpt.engine import Engine, Reply
from mockgpt.errors import RequestRejected
from mockgpt.http.body import json_response, read_json, read_raw
from mockgpt.http.send import ReplySender, Wire
from mockgpt.ids import new_hex
from mockgpt.turn import Turn


def engine_of(request: Request) -> Engine:
    """The engine the app was built with."""
    engine: Engine = request.app.state.engine
    return engine


def new_id(prefix: str) -> str:
    """A fresh object id such as ``chatcmpl-<30 hex>`` (``mockgpt.ids``: seeded or random)."""
    return f"{prefix}-{new_hex(30)}"


@lru_cache(maxsize=256)
def fingerprint(model: str) -> str:
    """A stable ``system_fingerprint`` for ``model``: ``fp_`` and 10 hex digits."""
    return "fp_" + hashlib.sha256(model.encode("utf-8", "surrogatepass")).hexdigest()[:10]


def now() -> int:
    """Unix time in whole seconds (``created``; ``mockgpt.ids``: seeded or the wall clock)."""
    return ids.now()


def annotate(request: Request, reply: Reply) -> None:
    """Note in the journal entry which stub answered (or the fallback) and why others did not."""
    entry = request.scope.get("mockgpt.entry")
    if entry is not None:
        entry.stub = reply.stub_id
        entry.fallback = reply.stub_id is None
        entry.misses = dict(reply.misses)


def bound_answer(engine: Engine, choices: int, body_bytes: int) -> None:
    """Refuse a request whose ``n`` choices could make an answer over ``max_answer_bytes``.

    An echoed answer is as long as its prompt, so ``choices`` x the body's size bounds it.

    Raises:
        RequestRejected: 400 naming ``n``.
    """
    limit = engine.config.max_answer_bytes
    if choices * body_bytes > limit:
        raise RequestRejected(
            400,
            f"Invalid 'n': {choices} choices of a {body_bytes}-byte request could make an "
            f"answer over {limit} bytes (--max-answer-bytes).",
            param="n",
            code="invalid_value",
        )


def serve(request: Request, turn: Turn, wire: Wire) -> ReplySender:
    """Answer ``turn`` through the one pipeline: ``Engine.serve``, then ``wire``'s sender."""
    engine = engine_of(request)
    reply = engine.serve(turn)
    annotate(request, reply)
    return ReplySender(reply, wire, engine.clock)


__all__ = [
    "annotate",
    "bound_answer",
    "engine_of",
    "fingerprint",
    "json_response",
    "new_id",
    "now",
    "read_json",
    "read_raw",
    "serve",
]
