"""``POST /v1/embeddings``: floats, base64 (the official client's default), order, dimensions."""

from __future__ import annotations

import base64
import binascii
import math
import struct
from typing import Any

from conformance.checks._shared import dumps
from conformance.context import CheckContext
from conformance.failures import Unsupported, Violation
from conformance.registry import check
from conformance.validation import validate
from conformance.wire import EmbeddingList

SCHEMA = "embeddings.response.schema"
INPUTS = ["red apple", "blue ocean", "green forest"]
TOLERANCE = 1e-4


def _model(ctx: CheckContext) -> str:
    model = ctx.settings.embedding_model
    if model is None:
        raise Unsupported("no embedding model given (--embedding-model)")
    return model


def embed(ctx: CheckContext, **extra: Any) -> tuple[Any, list[Any]]:
    """``(result, data)`` of an embeddings request; the outline owned by the schema check.

    Raises:
        Unsupported: no embedding model, or the server refuses embeddings.
        Violation: a non-2xx answer or no ``data`` list (owned by the schema check).
    """
    body = {"model": _model(ctx), "input": "hello world", "encoding_format": "float", **extra}
    result = ctx.post("/embeddings", body)
    if result.status == 404:
        raise Unsupported(
            f"POST /embeddings: HTTP 404: {result.text(120)}", exchange=result.exchange
        )
    ctx.expect_ok(
        result, optional="embeddings" if extra.keys() <= {"input"} else None, owner=SCHEMA
    )
    data = result.json_or_none()
    items = data.get("data") if isinstance(data, dict) else None
    if not isinstance(items, list) or not items or not all(isinstance(i, dict) for i in items):
        raise Violation(
            "data",
            "a non-empty array of Embedding objects",
            result.text(160),
            owner=SCHEMA,
            exchange=result.exchange,
        )
    return result, items


def _vector(item: dict[str, Any], where: str, exchange: Any) -> list[float]:
    vector = item.get("embedding")
    if (
        not isinstance(vector, list)
        or not vector
        or not all(isinstance(v, (int, float)) for v in vector)
    ):
        raise Violation(
            where,
            "a non-empty array of numbers",
            dumps(vector)[:120],
            owner=SCHEMA,
            exchange=exchange,
        )
    return [float(v) for v in vector]


def _close(a: list[float], b: list[float]) -> bool:
    if len(a) != len(b):
        return False
    return all(math.isclose(x, y, abs_tol=TOLERANCE) for x, y in zip(a, b, strict=True))


@check(
    id="embeddings.response.schema",
    feature="embeddings",
    spec="CreateEmbeddingResponse (required: object `list`, model, data [Embedding {object "
    "`embedding`, index, embedding}], usage {prompt_tokens, total_tokens})",
)
def embedding_schema(ctx: CheckContext) -> None:
    """An embeddings answer (``encoding_format: float``) is a list of ``Embedding``, field by field.

    The strict official client accepts it.
    """
    result, _ = embed(ctx)
    validate(EmbeddingList, result.json, exchange=result.exchange)
    with ctx.client_step(
        "strict", result.exchange, "embeddings.create(encoding_format='float'), strict"
    ):
        ctx.client(strict=True).embeddings.create(**result.exchange.body)


@check(
    id="embeddings.base64",
    feature="embeddings",
    spec="CreateEmbeddingRequest.encoding_format `base64`: each embedding is a base64 string of "
    "little-endian float32 (the official client's default)",
)
def embedding_base64(ctx: CheckContext) -> None:
    """``encoding_format: base64`` gives base64 float32 strings that decode to the float vector.

    The official client asks for base64 by default: its vectors match the float answer too.
    """
    _, floats = embed(ctx)
    expected = _vector(floats[0], "data[0].embedding", None)
    result, items = embed(ctx, encoding_format="base64")
    value = items[0].get("embedding")
    if not isinstance(value, str):
        raise Violation(
            "data[0].embedding",
            "a base64 string (encoding_format: base64)",
            f"{type(value).__name__}: {dumps(value)[:80]}",
            exchange=result.exchange,
        )
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise Violation(
            "data[0].embedding", "valid base64", value[:80], exchange=result.exchange
        ) from None
    if len(raw) % 4:
        raise Violation(
            "data[0].embedding",
            "a whole number of float32 values",
            f"{len(raw)} bytes",
            exchange=result.exchange,
        )
    decoded = list(struct.unpack(f"<{len(raw) // 4}f", raw))
    if not _close(decoded, expected):
        raise Violation(
            "data[0].embedding",
            f"the float vector ({len(expected)} values, within {TOLERANCE})",
            f"{len(decoded)} values starting {dumps(decoded[:3])}",
            exchange=result.exchange,
        )
    exchange = ctx.exchange(
        "POST",
        "/embeddings",
        {"model": _model(ctx), "input": "hello world", "encoding_format": "base64"},
    )
    with ctx.client_step("client", exchange, "embeddings.create() (base64 by default)"):
        answer = ctx.client().embeddings.create(model=_model(ctx), input="hello world")
    got = [float(v) for v in answer.data[0].embedding]
    if not _close(got, expected):
        raise Violation(
            "<client>.data[0].embedding",
            "the float vector",
            f"{len(got)} values starting {dumps(got[:3])}",
            level="client",
            exchange=exchange,
        )


@check(
    id="embeddings.input-order",
    feature="embeddings",
    spec="CreateEmbeddingRequest.input (array): one Embedding per input; "
    "Embedding.index: the index of the embedding in the list of embeddings",
)
def embedding_order(ctx: CheckContext) -> None:
    """A list of inputs gets one embedding each, ``index`` naming its input.

    The embedding at ``index`` i is the one the i-th input gets on its own.
    """
    result, items = embed(ctx, input=INPUTS)
    if len(items) != len(INPUTS):
        raise Violation(
            "data",
            f"{len(INPUTS)} embeddings (one per input)",
            str(len(items)),
            exchange=result.exchange,
        )
    indexes = [item.get("index") for item in items]
    if sorted(i for i in indexes if isinstance(i, int)) != list(range(len(INPUTS))):
        raise Violation(
            "data[*].index",
            dumps(list(range(len(INPUTS)))),
            dumps(indexes),
            exchange=result.exchange,
        )
    for item in items:
        index = item["index"]
        _, single = embed(ctx, input=INPUTS[index])
        alone = _vector(single[0], "data[0].embedding", result.exchange)
        batched = _vector(item, f"data[index={index}].embedding", result.exchange)
        if _cosine(alone, batched) < 0.999:
            raise Violation(
                f"data[index={index}].embedding",
                f"the embedding of input {index} ({INPUTS[index]!r})",
                f"a vector with cosine {_cosine(alone, batched):.3f} to it",
                exchange=result.exchange,
            )


def _cosine(a: list[float], b: list[float]) -> float:
    if len(a) != len(b):
        return 0.0
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return dot / norm if norm else 0.0


@check(
    id="embeddings.dimensions",
    feature="embeddings",
    spec="CreateEmbeddingRequest.dimensions: the number of dimensions the output embeddings "
    "should have; honoured, or refused with a 400, never ignored",
    severity="should",
)
def embedding_dimensions(ctx: CheckContext) -> None:
    """``dimensions: 8`` gives vectors of 8 values, or a clean 4xx; it is never ignored."""
    body = {
        "model": _model(ctx),
        "input": "hello world",
        "encoding_format": "float",
        "dimensions": 8,
    }
    result = ctx.post("/embeddings", body)
    reason = ctx.refusal(result)
    if reason is not None:
        raise Unsupported(f"dimensions: refused with {reason}", exchange=result.exchange)
    _, items = embed(ctx, dimensions=8)
    vector = _vector(items[0], "data[0].embedding", result.exchange)
    if len(vector) != 8:
        raise Violation(
            "data[0].embedding",
            "8 values (dimensions: 8)",
            f"{len(vector)} values",
            exchange=result.exchange,
        )
