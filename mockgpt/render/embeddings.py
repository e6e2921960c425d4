"""Deterministic embeddings and the ``CreateEmbeddingResponse`` body.

A vector is derived from a hash of its input text: the same text always gives the same
unit-length vector, and different texts give different ones. ``dimensions`` shortens the
full vector and normalises it again, as the text-embedding-3 models do, so a shortened vector
is a prefix of the full one up to scale.
"""

from __future__ import annotations

import base64
import hashlib
import math
import struct
from functools import lru_cache

from mockgpt.types import JSONObject, JSONValue

DEFAULT_DIMENSIONS = 1536
MODEL_DIMENSIONS = {
    "text-embedding-3-small": 1536,
    "text-embedding-3-large": 3072,
    "text-embedding-ada-002": 1536,
}
"""Native vector length by model; other models get ``DEFAULT_DIMENSIONS``."""


@lru_cache(maxsize=1024)
def embed(text: str, dimensions: int) -> tuple[float, ...]:
    """The unit-length vector of ``text`` with ``dimensions`` components (float32 precision)."""
    raw = hashlib.shake_256(text.encode()).digest(4 * dimensions)
    values = [v / 2**31 - 1.0 for v in struct.unpack(f"<{dimensions}I", raw)]
    norm = math.sqrt(sum(v * v for v in values)) or 1.0
    # Round through float32 so float and base64 answers decode to the very same numbers.
    packed = struct.pack(f"<{dimensions}f", *(v / norm for v in values))
    return struct.unpack(f"<{dimensions}f", packed)


def encode_base64(vector: tuple[float, ...]) -> str:
    """Little-endian float32 bytes, base64-encoded, as the official client decodes them."""
    return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode("ascii")


def embedding_response(
    vectors: list[tuple[float, ...]], *, model: str, encoding_format: str, prompt_tokens: int
) -> JSONObject:
    """``CreateEmbeddingResponse``: ``{"object": "list", "data": [...], "model", "usage"}``.

    Args:
        vectors: one vector per input, in input order.
        model: the model name echoed back.
        encoding_format: ``float`` (lists of numbers) or ``base64`` (strings).
        prompt_tokens: tokens of all inputs.
    """
    data: list[JSONValue] = [
        {
            "object": "embedding",
            "index": index,
            "embedding": encode_base64(vector) if encoding_format == "base64" else list(vector),
        }
        for index, vector in enumerate(vectors)
    ]
    return {
        "object": "list",
        "data": data,
        "model": model,
        "usage": {"prompt_tokens": prompt_tokens, "total_tokens": prompt_tokens},
    }
