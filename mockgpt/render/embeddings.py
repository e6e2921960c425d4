"""Deterministic embeddings and the ``CreateEmbeddingResponse`` body.

A vector is derived from a hash of its input text: the same text always gives the same
unit-length vector, and different texts give different ones. ``dimensions`` shortens the
full vector and normalises it again, as the text-embedding-3 models do, so a shortened vector
is a prefix of the full one up to scale.

A stub can script vectors (``respond.embedding``): ``fixed`` sends one as written (shortened
the same way), and ``keyed`` gives texts that share a key vectors close together and texts
with different keys vectors nearly orthogonal. Every vector is rounded through float32, so
``float`` and ``base64`` answers decode to the very same numbers.
"""

from __future__ import annotations

import base64
import hashlib
import math
import struct
from collections.abc import Sequence
from functools import lru_cache

from mockgpt.types import JSONObject, JSONValue

DEFAULT_DIMENSIONS = 1536
MODEL_DIMENSIONS = {
    "text-embedding-3-small": 1536,
    "text-embedding-3-large": 3072,
    "text-embedding-ada-002": 1536,
}
"""Native vector length by model; other models get ``DEFAULT_DIMENSIONS``."""


def _float32(values: Sequence[float]) -> tuple[float, ...]:
    """``values`` rounded through float32 (what base64 carries)."""
    return struct.unpack(f"<{len(values)}f", struct.pack(f"<{len(values)}f", *values))


def _unit(values: Sequence[float]) -> tuple[float, ...]:
    """``values`` scaled to unit length (all zeros stay zeros), in float32."""
    norm = math.sqrt(sum(v * v for v in values)) or 1.0
    return _float32([v / norm for v in values])


@lru_cache(maxsize=1024)
def embed(text: str, dimensions: int) -> tuple[float, ...]:
    """The unit-length vector of ``text`` with ``dimensions`` components (float32 precision)."""
    raw = hashlib.shake_256(text.encode()).digest(4 * dimensions)
    return _unit([v / 2**31 - 1.0 for v in struct.unpack(f"<{dimensions}I", raw)])


def fixed(vector: Sequence[float], dimensions: int) -> tuple[float, ...]:
    """A scripted vector with ``dimensions`` components, in float32.

    Sent as written when it has that many; otherwise its first ``dimensions`` components,
    normalised to unit length as ``dimensions`` does for every vector.

    Raises:
        ValueError: ``dimensions`` is more than the vector has.
    """
    if dimensions > len(vector):
        raise ValueError(f"a vector of {len(vector)} components cannot give {dimensions}")
    if dimensions == len(vector):
        return _float32(vector)
    return _unit(vector[:dimensions])


KEY_SPREAD = 0.01
"""How far a text's vector leaves its key's direction: at most ``asin(KEY_SPREAD)`` radians."""


@lru_cache(maxsize=64)
def _largest_prime(limit: int) -> int:
    """The largest prime <= ``limit``, 0 when there is none."""
    for n in range(limit, 1, -1):
        if all(n % d for d in range(2, math.isqrt(n) + 1)):
            return n
    return 0


@lru_cache(maxsize=256)
def key_direction(key: str, dimensions: int) -> tuple[float, ...]:
    """The unit vector of ``key``: two different keys' directions are nearly orthogonal.

    With ``p`` the largest prime <= ``dimensions / 2`` (at least 5), ``key`` picks a cubic
    ``f(x) = ax^3 + bx^2 + cx`` over the integers mod ``p`` (a, b, c from its SHA-256), and
    components ``2x`` and ``2x + 1`` are the cosine and sine of ``2 pi f(x) / p``, over
    ``sqrt(p)``. The dot product of two keys' directions is a Weil sum: at most ``2 / sqrt(p)``
    in size (0.0725 at 1536 dimensions) unless both keys pick the same cubic (a chance of
    ``1 / p^3``). Below 10 dimensions the direction is a hash, like ``embed``'s.
    """
    p = _largest_prime(dimensions // 2)
    if p < 5:
        return embed(f"\x00key\x00{key}", dimensions)
    digest = hashlib.sha256(key.encode()).digest()
    a, b, c = (int.from_bytes(digest[i : i + 8], "little") % p for i in (0, 8, 16))
    values = [0.0] * dimensions
    scale = 1 / math.sqrt(p)
    for x in range(p):
        angle = 2 * math.pi * ((((a * x + b) * x + c) * x) % p) / p
        values[2 * x] = math.cos(angle) * scale
        values[2 * x + 1] = math.sin(angle) * scale
    return tuple(values)


def keyed(key: str, text: str, dimensions: int) -> tuple[float, ...]:
    """The unit vector of ``text`` under ``key``: near the key's direction, unique to the text.

    ``key_direction(key)`` plus ``KEY_SPREAD`` times ``embed(text)``, normalised, in float32.
    Two texts with the same key are within ``2 asin(KEY_SPREAD)`` radians (cosine similarity
    above 0.9998); with different keys the cosine similarity is below
    ``sin(asin(2 / sqrt(p)) + 2 asin(KEY_SPREAD))``: 0.093 at 1536 dimensions.
    """
    direction = key_direction(key, dimensions)
    noise = embed(text, dimensions)
    return _unit([d + KEY_SPREAD * n for d, n in zip(direction, noise, strict=True)])


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
