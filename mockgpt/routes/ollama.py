"""Ollama's native API: ``/api/chat``, ``/api/generate``, ``/api/version``; shared helpers.

Routes: ``POST /api/chat``, ``POST /api/generate``, ``GET /api/version``; the models' routes
are in ``routes.ollama_models``, the embeddings' in ``routes.ollama_embed``.

Spec: Ollama ``docs/api.md``. A chat or generate request becomes a chat conversation that the
same stubs (``match: {endpoint: ollama}``) and backends answer as for ``/v1/chat/completions``:
``format`` becomes ``response_format``, ``options.num_predict`` / ``options.stop`` /
``options.seed`` become the limits and the seed, tool results (role ``tool``, matched to their
call by ``tool_call_id`` or ``tool_name``) become tool messages. ``OllamaRenderer`` writes the
answer as NDJSON lines or one object. Errors use Ollama's shape, ``{"error": "message"}``.
"""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Awaitable, Callable
from typing import Union

from starlette.requests import Request
from starlette.responses import Response

from mockgpt import ids
from mockgpt.conversation import Prompt
from mockgpt.errors import RequestRejected
from mockgpt.http.ollama import OllamaWire
from mockgpt.http.send import ReplySender
from mockgpt.models import validate_request
from mockgpt.models.ollama import (
    OllamaChatRequest,
    OllamaGenerateRequest,
    OllamaRequest,
    chat_messages,
    ollama_prompt,
    ollama_stops,
)
from mockgpt.ollama_store import OllamaModels
from mockgpt.render.ollama import DEFAULT_KEEP_ALIVE_S, OLLAMA_VERSION, OllamaMeta, rfc3339_nano
from mockgpt.routes.common import engine_of, json_response, read_json, serve
from mockgpt.turn import Turn
from mockgpt.types import JSONObject, JSONValue

Answered = Union[Response, ReplySender]


def ollama_errors(
    handler: Callable[[Request], Awaitable[Answered]],
) -> Callable[[Request], Awaitable[Answered]]:
    """Answer a ``RequestRejected`` with Ollama's error body ``{"error": message}``."""

    async def wrapped(request: Request) -> Answered:
        try:
            return await handler(request)
        except RequestRejected as exc:
            return json_response({"error": exc.message}, exc.status, exc.headers or None)

    wrapped.__doc__ = handler.__doc__
    return wrapped


async def read_object(request: Request) -> JSONObject:
    """The request's JSON object.

    Raises:
        RequestRejected: 400 for a body that is not a JSON object; 413 for one over
            ``max_body_bytes``.
    """
    engine = engine_of(request)
    try:
        body = await read_json(request, engine.config.max_body_bytes)
    except RequestRejected as exc:
        if exc.status != 400:
            raise
        raise RequestRejected(400, "invalid request body: not a JSON object") from None
    if not isinstance(body, dict):
        raise RequestRejected(400, "invalid request body: not a JSON object")
    return body


async def read_body(request: Request) -> JSONObject:
    """The request's JSON object, which names a ``model`` (or ``name``).

    Raises:
        RequestRejected: 400 for a body that is not a JSON object or names no model; 413 for
            one over ``max_body_bytes``.
    """
    body = await read_object(request)
    if not body.get("model") and not body.get("name"):
        raise RequestRejected(400, "model is required")
    return body


def models_of(request: Request) -> OllamaModels:
    """The models the server has (configured, then pulled, created, copied or deleted)."""
    return engine_of(request).state.ollama_models


def check_model(request: Request, model: str) -> None:
    """Refuse a model the server does not have, when it serves only the models it has.

    Without ``strict_models`` every model name is answered, as ``/v1/`` answers any.

    Raises:
        RequestRejected: 404 ``model 'x' not found``.
    """
    config = engine_of(request).config
    if config.strict_models and models_of(request).find(model, config.models) is None:
        raise RequestRejected(404, f"model '{model}' not found")


_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")
_DURATION_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def keep_alive_seconds(value: object) -> float:
    """``keep_alive`` in seconds: a number of seconds or a Go duration (``5m``, ``1h30m``).

    None gives the default (300); a negative value keeps the model loaded forever (``inf``).

    Raises:
        RequestRejected: 400 for a value that is neither.
    """
    if value is None:
        return DEFAULT_KEEP_ALIVE_S
    seconds: float | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    elif isinstance(value, str):
        text = value.strip()
        sign = -1.0 if text.startswith("-") else 1.0
        body = text.lstrip("+-")
        if body == "0":
            seconds = 0.0
        elif body and _DURATION_PART.sub("", body) == "":
            parts = _DURATION_PART.findall(body)
            seconds = sign * sum(float(n) * _DURATION_UNITS[u] for n, u in parts)
    if seconds is None or math.isnan(seconds):
        raise RequestRejected(400, f"time: invalid duration {json.dumps(value)}")
    return math.inf if seconds < 0 else seconds


def _loaded(meta: OllamaMeta, keep_alive: float) -> Response:
    """The answer to a request without a prompt: the model is loaded (or unloaded)."""
    body: JSONObject = {"model": meta.model, "created_at": rfc3339_nano(ids.now_ns())}
    reason = "unload" if keep_alive == 0 else "load"
    if meta.kind == "chat":
        body.update(message={"role": "assistant", "content": ""}, done_reason=reason, done=True)
    else:
        body.update(response="", done=True, done_reason=reason)
    return json_response(body)


def _answer(
    request: Request, req: OllamaRequest, meta: OllamaMeta, body: JSONObject, prompt: Prompt
) -> ReplySender:
    """The request's prompt through the one pipeline, answered as NDJSON or one object."""
    stream = req.stream is not False
    options = req.options
    limit = options.num_predict if options is not None else None
    turn = Turn(
        endpoint="ollama",
        prompt=prompt,
        parsed=body,
        headers=request.headers,
        request_id=request.scope.get("mockgpt.request_id", ""),
        model=meta.model,
        stream=stream,
        max_tokens=limit if limit is not None and limit > 0 else None,  # <= 0: no limit
        stops=ollama_stops(options),
        seed=options.seed or 0 if options is not None else 0,
        prompt_tokens=prompt.tokens,
    )
    return serve(request, turn, OllamaWire(meta, stream=stream))


@ollama_errors
async def chat(request: Request) -> Answered:
    """``POST /api/chat``: the next assistant message, NDJSON lines unless ``stream: false``.

    Without messages the model is only loaded (``done_reason: load``, or ``unload`` with
    ``keep_alive: 0``).

    Raises:
        RequestRejected: 400 for an invalid body, 404 for a model outside a fixed model list,
            or a scripted error (answered as ``{"error": ...}``).
    """
    started_ns = time.perf_counter_ns()
    body = await read_body(request)
    req = validate_request(OllamaChatRequest, body)
    check_model(request, req.model)
    keep_alive = keep_alive_seconds(req.keep_alive)
    meta = OllamaMeta(req.model, "chat", started_ns)
    if not req.messages:
        return _loaded(meta, keep_alive)
    return _answer(
        request, req, meta, body, ollama_prompt(req, chat_messages(req.messages), req.tools)
    )


@ollama_errors
async def generate(request: Request) -> Answered:
    """``POST /api/generate``: a completion of ``prompt`` (with ``system``), NDJSON by default.

    The final object's ``context`` encodes prompt and answer (not in ``raw`` mode); an empty
    prompt only loads the model.

    Raises:
        RequestRejected: as ``chat``.
    """
    started_ns = time.perf_counter_ns()
    body = await read_body(request)
    req = validate_request(OllamaGenerateRequest, body)
    check_model(request, req.model)
    keep_alive = keep_alive_seconds(req.keep_alive)
    prompt = req.prompt or ""
    context_prompt = None if req.raw else f"{req.system or ''}{prompt}"
    meta = OllamaMeta(req.model, "generate", started_ns, context_prompt)
    if not prompt:
        return _loaded(meta, keep_alive)
    messages: list[JSONValue] = [{"role": "user", "content": prompt}]
    if req.system:
        messages.insert(0, {"role": "system", "content": req.system})
    return _answer(request, req, meta, body, ollama_prompt(req, messages))


async def version(request: Request) -> Response:
    """``GET /api/version``: ``{"version": "0.x.y"}``."""
    return json_response({"version": OLLAMA_VERSION})
