"""The floor for ``bench_server.py``: the least a Starlette app can do to answer a chat request.

Two routes, both pre-encoded at start-up, neither reading nor parsing the request body:

- ``POST /v1/chat/completions``: a fixed ``ChatCompletion`` JSON body (``Response``,
  ``application/json``), shaped as mockgpt's echo answer to ``PROMPT`` so both send about the
  same bytes.
- ``POST /v1/chat/completions/stream``: a ``StreamingResponse`` (``text/event-stream``) whose
  async generator yields one pre-encoded SSE event per iteration, so uvicorn gets one ``send``
  per event: a role chunk, content chunks, a finish chunk, then ``data: [DONE]``.

The stream has ``$MOCKGPT_BENCH_FLOOR_EVENTS`` SSE events in all (``[DONE]`` included);
``bench_server.py`` sets it to the count mockgpt sends for ``PROMPT``. Serve it with::

    uvicorn --app-dir bench --factory floor_app:create_app
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

PROMPT = (
    "Benchmarks measure what they measure, so read them with care. This prompt asks the mock "
    "server to echo sixty words back to the client, one token per streamed chunk, which makes "
    "every stream long enough to show the cost of each server-sent event and short enough to "
    "finish in well under a millisecond on a quiet machine with two cores and nothing else."
)
"""The user message every benchmark request sends (about 60 words); mockgpt echoes it back."""

MODEL = "gpt-4o-mini"
"""The model every benchmark request names."""

STREAM_PATH = "/v1/chat/completions/stream"
"""The floor's streamed route; the plain route answers with one JSON body."""

EVENTS_ENV = "MOCKGPT_BENCH_FLOOR_EVENTS"
"""Environment variable: SSE events per floor stream, ``[DONE]`` included (>= 4)."""

DEFAULT_EVENTS = 64
"""SSE events per floor stream when ``EVENTS_ENV`` is not set."""

_PIECE = re.compile(r" ?[^\W\d_]{1,8}| ?\d{1,3}| ?[^\w\s]{1,4}| ?_{1,8}|\s+")
"""Token-like pieces of text, as mockgpt's echo backend splits them."""

_ID = "chatcmpl-floor0000000000000000000000000000"
_CREATED = 1_700_000_000
_FINGERPRINT = "fp_0123456789"


def _dumps(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def completion_body(content: str = PROMPT) -> bytes:
    """A ``ChatCompletion`` JSON body answering with ``content``, compact and UTF-8."""
    return _dumps(
        {
            "id": _ID,
            "object": "chat.completion",
            "created": _CREATED,
            "model": MODEL,
            "choices": [
                {
                    "index": 0,
                    "message": {
                        "role": "assistant",
                        "content": content,
                        "refusal": None,
                        "annotations": [],
                    },
                    "logprobs": None,
                    "finish_reason": "stop",
                }
            ],
            "usage": {
                "prompt_tokens": 75,
                "completion_tokens": 68,
                "total_tokens": 143,
                "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
                "completion_tokens_details": {
                    "reasoning_tokens": 0,
                    "audio_tokens": 0,
                    "accepted_prediction_tokens": 0,
                    "rejected_prediction_tokens": 0,
                },
            },
            "service_tier": "default",
            "system_fingerprint": _FINGERPRINT,
        }
    )


def _chunk_event(delta: dict[str, object], finish_reason: str | None = None) -> bytes:
    chunk = {
        "id": _ID,
        "object": "chat.completion.chunk",
        "created": _CREATED,
        "model": MODEL,
        "service_tier": "default",
        "system_fingerprint": _FINGERPRINT,
        "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}],
    }
    return b"data: " + _dumps(chunk) + b"\n\n"


def stream_events(events: int, content: str = PROMPT) -> list[bytes]:
    """The SSE events of one floor stream, ``events`` in all, ``data: [DONE]`` last.

    The content chunks carry ``content``'s token pieces, repeated or cut to fit.

    Raises:
        ValueError: if ``events`` < 4 (role, one content chunk, finish, ``[DONE]``).
    """
    if events < 4:
        raise ValueError(f"a floor stream needs at least 4 SSE events, got {events}")
    pieces = _PIECE.findall(content) or ["x"]
    content_chunks = events - 3
    return [
        _chunk_event({"role": "assistant", "content": "", "refusal": None}),
        *(_chunk_event({"content": pieces[i % len(pieces)]}) for i in range(content_chunks)),
        _chunk_event({}, "stop"),
        b"data: [DONE]\n\n",
    ]


def create_app() -> Starlette:
    """The floor app, its stream length taken from ``$MOCKGPT_BENCH_FLOOR_EVENTS``."""
    body = completion_body()
    frames = stream_events(int(os.environ.get(EVENTS_ENV, DEFAULT_EVENTS)))

    async def chat_completion(request: Request) -> Response:
        return Response(body, media_type="application/json")

    async def chat_completion_stream(request: Request) -> StreamingResponse:
        async def events() -> AsyncIterator[bytes]:
            for frame in frames:
                yield frame

        return StreamingResponse(events(), media_type="text/event-stream")

    return Starlette(
        routes=[
            Route("/v1/chat/completions", chat_completion, methods=["POST"]),
            Route(STREAM_PATH, chat_completion_stream, methods=["POST"]),
        ]
    )
