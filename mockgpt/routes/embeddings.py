"""``POST /v1/embeddings``: deterministic unit vectors, as floats or base64."""

from __future__ import annotations

import anyio
from starlette.requests import Request
from starlette.responses import Response

from mockgpt.backends.proxy import ProxyBackend
from mockgpt.errors import RequestRejected
from mockgpt.faults import error_from_spec
from mockgpt.models import CreateEmbeddingRequest, validate_request
from mockgpt.quirks import quirk_embeddings
from mockgpt.render.embeddings import (
    DEFAULT_DIMENSIONS,
    MODEL_DIMENSIONS,
    embed,
    embedding_response,
)
from mockgpt.routes.common import annotate, engine_of, json_response, read_json
from mockgpt.scenarios.matchers import MatchInput
from mockgpt.tokens import count_tokens


async def create_embedding(request: Request) -> Response:
    """Answer an embeddings request (spec: ``POST /embeddings``).

    One vector per input, in input order; ``dimensions`` (1 .. the model's native length)
    shortens them; ``encoding_format: base64`` sends little-endian float32 bytes.

    Raises:
        RequestRejected: 400 for an invalid body or ``dimensions`` above the model's length.
    """
    engine = engine_of(request)
    body = await read_json(request, engine.config.max_body_bytes)
    req = validate_request(CreateEmbeddingRequest, body)
    engine.check_model(req.model)
    assert isinstance(body, dict)
    selection = engine.registry.select(
        MatchInput("embeddings", body, request.headers), engine.fallback
    )
    annotate(request, selection)
    fault = selection.fault
    if fault is not None and fault.delay_ms:
        await anyio.sleep(fault.delay_ms / 1000)
    error = selection.error or (fault.http_error if fault is not None else None)
    if error is not None:
        raise error_from_spec(error)
    if selection.stub_id is None and isinstance(engine.fallback, ProxyBackend):
        status, content = await engine.fallback.forward("POST", "/embeddings", body)
        return Response(content, status_code=status, media_type="application/json")
    encoding_format = req.encoding_format
    if "embeddings-ignore-encoding-format" in selection.quirks:
        encoding_format = "float"
    native = MODEL_DIMENSIONS.get(req.model, DEFAULT_DIMENSIONS)
    quirks = selection.quirks
    dimensions = native if "embeddings-dimensions-ignored" in quirks else req.dimensions or native
    if dimensions > native:
        raise RequestRejected(
            400,
            f"Invalid value for 'dimensions': {dimensions}. The model {req.model} produces "
            f"at most {native} dimensions.",
            param="dimensions",
            code="invalid_value",
        )
    texts = req.texts
    tokens = _input_tokens(req, texts)
    vectors = [embed(text, dimensions) for text in texts]
    answer = embedding_response(
        vectors, model=req.model, encoding_format=encoding_format, prompt_tokens=tokens
    )
    if quirks:
        quirk_embeddings(answer, quirks)
    return json_response(answer)


def _input_tokens(req: CreateEmbeddingRequest, texts: list[str]) -> int:
    value = req.input
    if isinstance(value, list) and value and isinstance(value[0], int):
        return len(value)
    if isinstance(value, list) and value and isinstance(value[0], list):
        return sum(len(v) for v in value if isinstance(v, list))
    return sum(count_tokens(t) for t in texts)
