"""Ollama's models: ``/api/tags``, ``/api/show``, ``/api/ps``, pull, create, copy and delete.

Routes: ``GET /api/tags``, ``POST /api/show``, ``GET /api/ps``, ``POST /api/pull``,
``POST /api/create``, ``POST /api/copy``, ``DELETE /api/delete``, ``HEAD`` and
``POST /api/blobs/{digest}``.

Spec: Ollama ``docs/api.md``. The server has its configured models (``--models``); a pull, a
create or a copy adds one and a delete removes one (``ServerState.ollama_models``, forgotten
with the stored objects), so ``/api/tags`` lists them afterwards. Nothing is downloaded: a pull
answers with the progress lines a real pull sends (``pulling manifest``, ``pulling <digest>``
with ``total`` and ``completed`` bytes, ``verifying sha256 digest``, ``writing manifest``,
``success``), as NDJSON, or only the last one with ``stream: false``. Errors use Ollama's
shape, ``{"error": "message"}``.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import replace

from starlette.requests import Request
from starlette.responses import Response

from mockgpt import ids
from mockgpt.errors import RequestRejected
from mockgpt.models import validate_request
from mockgpt.models.ollama import OllamaCopyRequest, OllamaCreateRequest, OllamaModelRequest
from mockgpt.render.ollama import NDJSON_MEDIA_TYPE, ndjson_line
from mockgpt.render.ollama_models import (
    LocalModel,
    create_progress,
    list_entry,
    local_model,
    manifest_digest,
    pull_progress,
    running_entry,
    show_object,
    tag_name,
)
from mockgpt.routes.common import engine_of, json_response, read_raw
from mockgpt.routes.ollama import (
    Answered,
    check_model,
    keep_alive_seconds,
    models_of,
    ollama_errors,
    read_body,
    read_object,
)
from mockgpt.types import JSONObject, JSONValue

_LOADING = ("/api/chat", "/api/generate", "/api/embed", "/api/embeddings")
"""The paths whose requests load their model (``/api/ps``)."""


def _progress(lines: list[JSONObject], *, stream: bool) -> Response:
    """The progress ``lines`` as NDJSON, or (``stream: false``) the last one alone."""
    if not stream:
        return json_response(lines[-1])
    return Response(b"".join(ndjson_line(line) for line in lines), media_type=NDJSON_MEDIA_TYPE)


async def tags(request: Request) -> Response:
    """``GET /api/tags``: the models the server has, ``{"models": [ListModelResponse, ...]}``.

    The configured models, and those pulled, created or copied since (not those deleted),
    most recently modified first.
    """
    listed = models_of(request).listed(engine_of(request).config.models)
    models: list[JSONValue] = [list_entry(m) for m in listed]
    return json_response({"models": models})


@ollama_errors
async def show(request: Request) -> Answered:
    """``POST /api/show`` ``{"model"}``: what Ollama shows of a model ``/api/chat`` answers.

    The body: modelfile, parameters, template, details, model_info and capabilities; a model
    the server has is shown as it was pulled, created or copied, any other as if pulled.

    Raises:
        RequestRejected: 400 without a model; 404 ``model 'x' not found`` for a model outside
            the server's models when it answers only those (``strict_models``).
    """
    req = validate_request(OllamaModelRequest, await read_body(request))
    check_model(request, req.model_name)
    found = models_of(request).find(req.model_name, engine_of(request).config.models)
    return json_response(show_object(found or local_model(req.model_name)))


async def ps(request: Request) -> Response:
    """``GET /api/ps``: the models loaded, ``{"models": [ProcessModelResponse, ...]}``.

    A model counts as loaded when ``/api/chat``, ``/api/generate``, ``/api/embed`` or
    ``/api/embeddings`` used it within its ``keep_alive`` (read from the journal); latest
    expiry first.
    """
    engine = engine_of(request)
    expiry: dict[str, float] = {}
    for entry in engine.journal.entries():
        body = entry.json
        if entry.path not in _LOADING or entry.status != 200:
            continue
        if not isinstance(body, dict) or not isinstance(body.get("model"), str):
            continue
        model = tag_name(str(body["model"]))
        try:
            seconds = keep_alive_seconds(body.get("keep_alive"))
        except RequestRejected:
            continue
        expiry.pop(model, None)
        if seconds > 0:
            expiry[model] = entry.started + min(seconds, 100 * 365 * 86400.0)
    now = time.time()
    running = sorted(((t, m) for m, t in expiry.items() if t > now), reverse=True)
    models: list[JSONValue] = [running_entry(m, int(t * 1e9)) for t, m in running]
    return json_response({"models": models})


@ollama_errors
async def pull(request: Request) -> Answered:
    """``POST /api/pull`` ``{"model"}``: the model is added to the server's models.

    Answers with the progress of a pull (see the module doc) as NDJSON lines, or with
    ``stream: false`` the last line only, ``{"status": "success"}``.

    Raises:
        RequestRejected: 400 for a body that names no model.
    """
    req = validate_request(OllamaModelRequest, await read_body(request))
    model = local_model(req.model_name, ids.now_ns())
    models_of(request).add(model)
    return _progress(pull_progress(model), stream=req.stream is not False)


def _parameters(
    base: tuple[tuple[str, JSONValue], ...], given: dict[str, object] | None
) -> tuple[tuple[str, JSONValue], ...]:
    """``base``'s parameters with those ``given`` replacing theirs (a list: one line each)."""
    if not given:
        return base
    kept = [(name, value) for name, value in base if name not in given]
    for name, value in given.items():
        values = value if isinstance(value, list) else [value]
        kept += [(name, v) for v in values if isinstance(v, str | int | float | bool)]
    return tuple(kept)


@ollama_errors
async def create(request: Request) -> Answered:
    """``POST /api/create``: a model made ``from`` another one, or from ``files`` (GGUF blobs).

    ``system``, ``template`` and ``parameters`` are kept and shown by ``/api/show``; the other
    fields (``adapters``, ``license``, ``messages``, ``quantize``) are accepted. Answers with
    the progress lines (one per layer, ``writing manifest``, ``success``), or with
    ``stream: false`` the last one.

    Raises:
        RequestRejected: 400 without a model, or without ``from`` and ``files``; 404 for a
            ``from`` model outside the server's models when it answers only those.
    """
    req = validate_request(OllamaCreateRequest, await read_body(request))
    store, configured = models_of(request), engine_of(request).config.models
    name = tag_name(req.model_name)
    base: LocalModel | None = None
    if req.from_:
        check_model(request, req.from_)
        base = store.find(req.from_, configured) or local_model(req.from_)
        made = replace(base, name=name, parent=base.name)
    elif req.files:
        made = local_model(name)
    else:
        raise RequestRejected(400, "neither 'from' or 'files' was specified")
    made = replace(
        made,
        modified_ns=ids.now_ns(),
        system=req.system or made.system,
        template=req.template or made.template,
        parameters=_parameters(made.parameters, req.parameters),
    )
    made = replace(made, digest=manifest_digest(made))
    store.add(made)
    return _progress(create_progress(made, base), stream=req.stream is not False)


@ollama_errors
async def copy(request: Request) -> Answered:
    """``POST /api/copy`` ``{"source", "destination"}``: the source again under a new name.

    Answers 200 with an empty body; the copy has the source's digest, details and settings.

    Raises:
        RequestRejected: 400 for a body without both names; 404 ``model "x" not found`` for a
            source the server does not have.
    """
    req = validate_request(OllamaCopyRequest, await read_object(request))
    store = models_of(request)
    source = store.find(req.source, engine_of(request).config.models)
    if source is None:
        raise RequestRejected(404, f'model "{req.source}" not found')
    destination = tag_name(req.destination)
    store.add(replace(source, name=destination, modified_ns=ids.now_ns()))
    return Response(b"", status_code=200)


@ollama_errors
async def delete(request: Request) -> Answered:
    """``DELETE /api/delete`` ``{"model"}``: the model leaves the server's models.

    Answers 200 with an empty body; ``/api/tags`` no longer lists it.

    Raises:
        RequestRejected: 400 for a body that names no model; 404 ``model 'x' not found`` for a
            model the server does not have.
    """
    req = validate_request(OllamaModelRequest, await read_body(request))
    if not models_of(request).delete(req.model_name, engine_of(request).config.models):
        raise RequestRejected(404, f"model '{req.model_name}' not found")
    return Response(b"", status_code=200)


@ollama_errors
async def blob(request: Request) -> Answered:
    """``POST /api/blobs/{digest}``: a file ``/api/create``'s ``files`` can name (201).

    ``HEAD`` answers 200 for a blob uploaded, 404 for another. The bytes are checked against
    the digest, then dropped: only the digest and size are kept.

    Raises:
        RequestRejected: 400 ``digest mismatch, expected "x", got "y"``; 413 for a body over
            ``max_body_bytes``; 404 (``HEAD``) ``blob "x" not found``.
    """
    digest = request.path_params["digest"]
    blobs = models_of(request).blobs
    if request.method == "HEAD":
        if digest not in blobs:
            raise RequestRejected(404, f'blob "{digest}" not found')
        return Response(b"", status_code=200)
    content = await read_raw(request, engine_of(request).config.max_body_bytes)
    actual = f"sha256:{hashlib.sha256(content).hexdigest()}"
    if actual != digest:
        raise RequestRejected(400, f'digest mismatch, expected "{digest}", got "{actual}"')
    blobs[digest] = len(content)
    return Response(b"", status_code=201)
