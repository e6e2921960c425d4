"""``GET /v1/models`` and ``GET /v1/models/{model}`` (spec: ``ListModelsResponse``, ``Model``)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from mockgpt.errors import RequestRejected
from mockgpt.quirks import model_exists, model_objects
from mockgpt.routes.common import engine_of, json_response
from mockgpt.types import JSONObject, JSONValue

MODELS_CREATED = 1_700_000_000
"""``created`` of every listed model: a fixed Unix time, so answers are reproducible."""


def model_object(model_id: str) -> JSONObject:
    """``Model``: ``{"id", "object": "model", "created", "owned_by"}``."""
    return {"id": model_id, "object": "model", "created": MODELS_CREATED, "owned_by": "mockgpt"}


async def list_models(request: Request) -> Response:
    """The configured models, ``{"object": "list", "data": [Model, ...]}``.

    With an upstream, the upstream's list (a proxy answers as its upstream does).
    """
    engine = engine_of(request)
    if engine.upstream is not None:
        status, content = await engine.upstream.forward("GET", "/models")
        return Response(content, status_code=status, media_type="application/json")
    models = [model_object(m) for m in engine.config.models]
    model_objects(engine.quirks, models)
    data: list[JSONValue] = list(models)
    return json_response({"object": "list", "data": data})


async def retrieve_model(request: Request) -> Response:
    """One configured model; ids may contain ``/`` or ``:``.

    Raises:
        RequestRejected: 404 ``model_not_found`` for a model not in the list.
    """
    model_id = request.path_params["model"]
    engine = engine_of(request)
    if engine.upstream is not None:
        status, content = await engine.upstream.forward("GET", f"/models/{model_id}")
        return Response(content, status_code=status, media_type="application/json")
    quirks = engine.quirks
    known = model_id in engine.config.models
    if not model_exists(quirks, known):
        raise RequestRejected(
            404,
            f"The model '{model_id}' does not exist",
            param="model",
            code="model_not_found",
        )
    return json_response(model_object(model_id))
