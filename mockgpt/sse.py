r"""Server-sent events, byte-exact, and pacing (WHATWG HTML, "Server-sent events").

Every event is ``data: <one-line JSON>\n\n``; a chat or completion stream ends with
``data: [DONE]\n\n``. Keep-alives, if any, are comment lines (``: ...\n\n``), which clients
ignore.
"""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import AsyncIterable, AsyncIterator
from typing import Protocol

from mockgpt.types import JSONValue

DONE = b"data: [DONE]\n\n"
"""The sentinel event that ends a chat or legacy completion stream."""

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_dumps_ascii = json.JSONEncoder(separators=(",", ":")).encode


def dumps(value: JSONValue) -> bytes:
    r"""Compact one-line JSON, UTF-8 (a JSON string never contains a raw newline).

    A lone surrogate (a request may send ``"\\ud800"``) has no UTF-8 form; a value holding
    one is written with ``\\u`` escapes instead, so it still round-trips.
    """
    text = _dumps(value)
    try:
        return text.encode()
    except UnicodeEncodeError:
        return _dumps_ascii(value).encode()


def encode_sse(data: JSONValue | bytes, *, event: str | None = None) -> bytes:
    """One SSE event: an optional ``event: <name>`` line, one ``data:`` line, a blank line.

    Args:
        data: a JSON value (encoded compactly) or already-encoded bytes without newlines.
        event: the event name, for APIs that send one (the Responses API); chat sends none.
    """
    payload = data if isinstance(data, bytes) else dumps(data)
    head = b"event: " + event.encode() + b"\n" if event else b""
    return head + b"data: " + payload + b"\n\n"


def comment(text: str = "") -> bytes:
    r"""An SSE comment line (a keep-alive): ``: text\n\n``."""
    return b": " + text.encode() + b"\n\n"


class Clock(Protocol):
    """What pacing needs of time; tests pass a fake that records instead of waiting."""

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` (>= 0)."""


class AsyncioClock:
    """The real clock: ``asyncio.sleep``."""

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` (>= 0)."""
        await asyncio.sleep(seconds)


async def pace(
    frames: AsyncIterable[bytes],
    *,
    ttft_ms: float,
    tokens_per_second: float,
    clock: Clock,
) -> AsyncIterator[bytes]:
    """Delay SSE frames as a model server would.

    ``ttft_ms`` before the first frame, then one frame (one token's delta) every
    ``1000 / tokens_per_second`` ms.

    Args:
        frames: encoded SSE events, as returned by ``encode_sse``.
        ttft_ms: time to first token, milliseconds, >= 0.
        tokens_per_second: > 0; ``math.inf`` disables the per-token delay.
        clock: ``Clock.sleep(seconds)``; tests pass a fake clock and never wait.

    Raises:
        ValueError: if ``tokens_per_second`` <= 0 or ``ttft_ms`` < 0 (or either is NaN).
    """
    if not tokens_per_second > 0:  # also NaN, which would sleep forever
        raise ValueError(f"tokens_per_second must be > 0, got {tokens_per_second}")
    if not ttft_ms >= 0:
        raise ValueError(f"ttft_ms must be >= 0, got {ttft_ms}")
    gap = 0.0 if math.isinf(tokens_per_second) else 1.0 / tokens_per_second
    first = True
    async for frame in frames:
        if first:
            if ttft_ms:
                await clock.sleep(ttft_ms / 1000)
            first = False
        elif gap:
            await clock.sleep(gap)
        yield frame
