"""Ollama's embeddings: ``POST /api/embed`` and the older ``POST /api/embeddings``.

Spec: Ollama ``docs/api.md``, "Generate Embeddings" (``{"model", "embeddings": [[...]],
"total_duration", "load_duration", "prompt_eval_count"}``) and "Generate Embedding"
(``{"embedding": [...]}``). A request is an embeddings turn (``endpoint: embeddings``) through
the one pipeline, and its vectors are ``routes.embeddings.embedding_vectors``': the same text
and model get the very same floats as from ``/v1/embeddings``, a stub's scripted vectors
included, and the same stubs, faults and journal apply. Errors use Ollama's shape,
``{"error": "message"}``.
"""

from __future__ import annotations

import json
import time

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from mockgpt.backends.base import PassThrough
from mockgpt.conversation import Message, Prompt
from mockgpt.engine import Reply
from mockgpt.errors import RequestRejected
from mockgpt.http.send import Wire
from mockgpt.models import validate_request
from mockgpt.models.ollama import OllamaEmbeddingsRequest, OllamaEmbedRequest
from mockgpt.routes.common import serve
from mockgpt.routes.embeddings import embedding_vectors
from mockgpt.routes.ollama import Answered, check_model, keep_alive_seconds, ollama_errors
from mockgpt.routes.ollama import read_body as read_ollama_body
from mockgpt.sse import dumps
from mockgpt.tokens import count_tokens
from mockgpt.turn import Turn
from mockgpt.types import JSONObject, JSONValue


def _texts(value: object) -> list[str]:
    """``input`` as texts: a string (none when empty) or a list of strings.

    Raises:
        RequestRejected: 400 ``invalid input type`` for anything else, as Ollama answers.
    """
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return [str(v) for v in value]
    raise RequestRejected(400, "invalid input type")


def _serve(
    request: Request,
    body: JSONObject,
    *,
    model: str,
    texts: list[str],
    dimensions: int | None,
    legacy: bool,
) -> Answered:
    started_ns = time.perf_counter_ns()
    check_model(request, model)
    prompt = Prompt(tuple(Message("user", text, content=text) for text in texts))
    turn = Turn(
        endpoint="embeddings",
        prompt=prompt,
        parsed=body,
        headers=request.headers,
        request_id=request.scope.get("mockgpt.request_id", ""),
        model=model,
    )
    return serve(request, turn, _OllamaEmbedWire(turn, texts, dimensions, started_ns, legacy))


@ollama_errors
async def embed(request: Request) -> Answered:
    """``POST /api/embed`` ``{"model", "input"}``: one vector per input, in input order.

    ``input`` is a text or a list of texts (an empty one gives no vectors); ``dimensions``
    shortens the vectors as ``/v1/embeddings``'s does; ``truncate``, ``options`` and
    ``keep_alive`` are accepted. ``prompt_eval_count`` counts the inputs' tokens; durations
    are nanoseconds.

    Raises:
        RequestRejected: 400 for an invalid body (``invalid input type``) or ``dimensions``
            above the model's length; 404 for a model the server does not answer; a stub's
            error; all answered as ``{"error": ...}``.
    """
    body = await read_ollama_body(request)
    req = validate_request(OllamaEmbedRequest, body)
    keep_alive_seconds(req.keep_alive)
    texts = _texts(req.input)
    return _serve(
        request, body, model=req.model, texts=texts, dimensions=req.dimensions, legacy=False
    )


@ollama_errors
async def embeddings(request: Request) -> Answered:
    """``POST /api/embeddings`` ``{"model", "prompt"}``: ``{"embedding": [...]}`` for the prompt.

    An empty prompt gives an empty vector (Ollama only loads the model).

    Raises:
        RequestRejected: as ``embed``.
    """
    body = await read_ollama_body(request)
    req = validate_request(OllamaEmbeddingsRequest, body)
    keep_alive_seconds(req.keep_alive)
    texts = [req.prompt] if req.prompt else []
    return _serve(request, body, model=req.model, texts=texts, dimensions=None, legacy=True)


class _OllamaEmbedWire(Wire):
    """The vectors of one request in Ollama's shape, or the upstream's (proxy fallback)."""

    def __init__(
        self, turn: Turn, texts: list[str], dimensions: int | None, started_ns: int, legacy: bool
    ) -> None:
        self.turn = turn
        self.texts = texts
        self.dimensions = dimensions
        self.started_ns = started_ns
        self.legacy = legacy

    def begin(self, reply: Reply) -> ASGIApp | None:
        """Raise the reply's error; ask the upstream's ``/embeddings`` (proxy fallback)."""
        early = super().begin(reply)
        if early is None and reply.forward is not None and self.texts:
            return _Forwarded(reply.forward, self)
        return early

    def answer(self, vectors: list[list[float]] | list[tuple[float, ...]]) -> bytes:
        """``EmbedResponse`` (or the older ``EmbeddingResponse``) holding ``vectors``."""
        rows: list[JSONValue] = [list(v) for v in vectors]
        if self.legacy:
            return dumps({"embedding": rows[0] if rows else []})
        loaded_ns = max(time.perf_counter_ns() - self.started_ns, 1)
        return dumps(
            {
                "model": self.turn.model,
                "embeddings": rows,
                "total_duration": loaded_ns + 1,
                "load_duration": loaded_ns,
                "prompt_eval_count": sum(count_tokens(t) for t in self.texts),
            }
        )

    async def body(self, reply: Reply) -> bytes:
        """The answer's JSON body, vectors from ``embedding_vectors``."""
        if not self.texts:
            return self.answer([])
        return self.answer(embedding_vectors(reply, self.turn.model, self.texts, self.dimensions))


class _Forwarded:
    """The upstream's vectors for the texts (its OpenAI ``/embeddings``), in Ollama's shape."""

    def __init__(self, upstream: PassThrough, wire: _OllamaEmbedWire) -> None:
        self.upstream = upstream
        self.wire = wire

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        wire = self.wire
        sent: JSONObject = {"model": wire.turn.model, "input": list(wire.texts)}
        if wire.dimensions is not None:
            sent["dimensions"] = wire.dimensions
        status, content = await self.upstream.forward("POST", "/embeddings", sent)
        try:
            data = json.loads(content)
        except ValueError:
            data = None
        if status != 200 or not isinstance(data, dict) or not isinstance(data.get("data"), list):
            error = data.get("error") if isinstance(data, dict) else None
            message = error.get("message") if isinstance(error, dict) else None
            text = message if isinstance(message, str) else content.decode("utf-8", "replace")
            raise RequestRejected(status if status >= 400 else 502, text[:2000])
        rows: list[list[float]] = [
            item.get("embedding") or [] for item in data["data"] if isinstance(item, dict)
        ]
        response = Response(wire.answer(rows), media_type="application/json")
        await response(scope, receive, send)
