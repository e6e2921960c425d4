"""``POST /v1/embeddings``: deterministic unit vectors, or a stub's, as floats or base64."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from mockgpt.backends.base import PassThrough
from mockgpt.backends.scripted import scripted_length, scripted_vectors
from mockgpt.conversation import Message, Prompt
from mockgpt.engine import Reply
from mockgpt.errors import RequestRejected
from mockgpt.http.send import ReplySender, Wire
from mockgpt.models import CreateEmbeddingRequest, validate_request
from mockgpt.quirks import embeddings_dimensions, embeddings_format
from mockgpt.quirks.chat import quirk_embeddings
from mockgpt.render.embeddings import (
    DEFAULT_DIMENSIONS,
    MODEL_DIMENSIONS,
    embed,
    embedding_response,
)
from mockgpt.routes.common import engine_of, read_json, serve
from mockgpt.sse import dumps
from mockgpt.tokens import count_tokens
from mockgpt.turn import Turn
from mockgpt.types import JSONObject


async def create_embedding(request: Request) -> ReplySender:
    """Answer an embeddings request (spec: ``POST /embeddings``).

    One vector per input, in input order; ``dimensions`` (1 .. the model's native length)
    shortens them; ``encoding_format: base64`` sends little-endian float32 bytes. Stubs
    (``match: {endpoint: embeddings}``) choose errors, faults and quirks, and script vectors
    (``respond.embedding``: fixed vectors, whose length is then the native one, or keys that
    make texts near each other); with no stub and a proxy fallback the request goes upstream
    unchanged.

    Raises:
        RequestRejected: 400 for an invalid body or ``dimensions`` above the native length;
            500 for a stub's list of vectors that does not have one per input.
    """
    engine = engine_of(request)
    body = await read_json(request, engine.config.max_body_bytes)
    req = validate_request(CreateEmbeddingRequest, body)
    engine.check_model(req.model)
    assert isinstance(body, dict)
    # the inputs are the conversation stubs match: `last_user` is the last input
    inputs = Prompt(tuple(Message("user", text, content=text) for text in req.texts))
    turn = Turn(
        endpoint="embeddings",
        request=None,
        prompt=inputs,
        parsed=body,
        headers=request.headers,
        request_id=request.scope.get("mockgpt.request_id", ""),
        model=req.model,
    )
    return serve(request, turn, _EmbeddingsWire(req, body))


class _EmbeddingsWire(Wire):
    """The embeddings of one request, or the upstream's answer when it passes through."""

    def __init__(self, req: CreateEmbeddingRequest, body: JSONObject) -> None:
        self.req = req
        self.body_sent = body

    def begin(self, reply: Reply) -> ASGIApp | None:
        """Raise the reply's error; pass an unmatched request upstream (proxy fallback)."""
        early = super().begin(reply)
        if early is None and reply.forward is not None:
            return _Forwarded(reply.forward, self.body_sent)
        return early

    async def body(self, reply: Reply) -> bytes:
        """``CreateEmbeddingResponse``."""
        return dumps(_vectors(self.req, reply))


class _Forwarded:
    """The upstream's answer to the request, status and body unchanged."""

    def __init__(self, upstream: PassThrough, body: JSONObject) -> None:
        self.upstream = upstream
        self.body = body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        status, content = await self.upstream.forward("POST", "/embeddings", self.body)
        response = Response(content, status_code=status, media_type="application/json")
        await response(scope, receive, send)


def embedding_vectors(
    reply: Reply, model: str, texts: list[str], dimensions: int | None
) -> list[tuple[float, ...]]:
    """The vectors answering ``texts`` (in order): the stub's scripted ones, else ``embed``'s.

    Every family that embeds (``/v1/embeddings``, Ollama's ``/api/embed``) takes its vectors
    here, so one text gets the same vector from each.

    Args:
        reply: the engine's answer (``reply.embedding``: the stub's script; its quirks).
        model: the model asked for; its native length unless the stub's vectors have one.
        texts: the inputs.
        dimensions: the length asked for; None for the native one.

    Raises:
        RequestRejected: 400 for ``dimensions`` above the native length; 500 for a stub's
            list of vectors that does not have one per input.
    """
    script = reply.embedding
    scripted = scripted_length(script) if script is not None else None
    native = scripted or MODEL_DIMENSIONS.get(model, DEFAULT_DIMENSIONS)
    wanted = embeddings_dimensions(reply.quirks, dimensions, native)
    if wanted > native:
        source = (
            f"The vectors of stub {reply.stub_id} have {native} dimensions."
            if scripted
            else f"The model {model} produces at most {native} dimensions."
        )
        raise RequestRejected(
            400,
            f"Invalid value for 'dimensions': {wanted}. {source}",
            param="dimensions",
            code="invalid_value",
        )
    if script is not None:
        return scripted_vectors(script, texts, wanted, stub_id=reply.stub_id or "")
    return [embed(text, wanted) for text in texts]


def _vectors(req: CreateEmbeddingRequest, reply: Reply) -> JSONObject:
    quirks = reply.quirks
    encoding_format = embeddings_format(quirks, req.encoding_format)
    texts = req.texts
    vectors = embedding_vectors(reply, req.model, texts, req.dimensions)
    answer = embedding_response(
        vectors,
        model=req.model,
        encoding_format=encoding_format,
        prompt_tokens=_input_tokens(req, texts),
    )
    if quirks:
        quirk_embeddings(answer, quirks)
    return answer


def _input_tokens(req: CreateEmbeddingRequest, texts: list[str]) -> int:
    value = req.input
    if isinstance(value, list) and value and isinstance(value[0], int):
        return len(value)
    if isinstance(value, list) and value and isinstance(value[0], list):
        return sum(len(v) for v in value if isinstance(v, list))
    return sum(count_tokens(t) for t in texts)
