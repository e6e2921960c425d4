"""The Starlette floor for ``bench_wrk.py``: the least Starlette can do to answer a chat request.

The benchmark request and the answer mockgpt's echo backend gives it live here too, so the
floors (this app and ``raw_app.py``) send the same bytes as mockgpt without importing it.

One route, ``POST /v1/chat/completions``. Like any real server it reads the request body and
parses it with ``json.loads``; ``"stream": true`` picks the answer:

- not streamed: a pre-encoded ``ChatCompletion`` (``Response``, ``application/json``) whose
  content is the first ``MAX_TOKENS`` tokens of ``PROMPT``, as mockgpt's echo answer is;
- streamed: a ``StreamingResponse`` (``text/event-stream``) whose async generator yields one
  pre-encoded SSE event per iteration, so uvicorn gets one ``send`` per event (as a naive
  token-by-token server does): a role chunk, ``MAX_TOKENS`` content chunks, a finish chunk,
  then ``data: [DONE]`` (``STREAM_EVENTS`` in all).

Both carry mockgpt's response headers (``x-request-id`` fresh per request). Serve it with::

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
"""The user message every benchmark request sends (63 words); mockgpt echoes it back."""

SYSTEM = (
    "You are a helpful assistant. Answer the user's question briefly, plainly and accurately; "
    "say so when you do not know the answer."
)
"""The system message of the benchmark request (it makes the body the realistic 591 bytes)."""

MODEL = "gpt-4o-mini"
"""The model every benchmark request names."""

MAX_TOKENS = 64
"""The benchmark request's ``max_tokens``: mockgpt's echo answer stops there (``length``)."""

CHAT_PATH = "/v1/chat/completions"

_PIECE = re.compile(r" ?[^\W\d_]{1,8}| ?\d{1,3}| ?[^\w\s]{1,4}| ?_{1,8}|\s+")
"""Token-like pieces of text, as mockgpt's echo backend splits them."""

CONTENT_PIECES = _PIECE.findall(PROMPT)[:MAX_TOKENS]
"""The content deltas of the answer, one token each."""

CONTENT = "".join(CONTENT_PIECES)
"""The answer's message content: ``PROMPT`` cut to ``MAX_TOKENS`` tokens."""

FINISH_REASON = "length" if len(_PIECE.findall(PROMPT)) > MAX_TOKENS else "stop"

STREAM_EVENTS = len(CONTENT_PIECES) + 3
"""SSE events per stream, ``[DONE]`` included: role, content chunks, finish, ``[DONE]``."""

_ID = "chatcmpl-floor0000000000000000000000000000"
_CREATED = 1_700_000_000
_FINGERPRINT = "fp_0123456789"


def request_body(*, stream: bool) -> bytes:
    """The benchmark request: a system message and ``PROMPT``, ``max_tokens`` 64, compact JSON.

    591 bytes not streamed, 605 with ``"stream":true``.
    """
    payload: dict[str, object] = {
        "model": MODEL,
        "messages": [
            {"role": "system", "content": SYSTEM},
            {"role": "user", "content": PROMPT},
        ],
        "max_tokens": MAX_TOKENS,
    }
    if stream:
        payload["stream"] = True
    return json.dumps(payload, separators=(",", ":")).encode()


def _dumps(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def completion_body() -> bytes:
    """The ``ChatCompletion`` JSON body answering the benchmark request, compact and UTF-8."""
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
                        "content": CONTENT,
                        "refusal": None,
                        "annotations": [],
                    },
                    "logprobs": None,
                    "finish_reason": FINISH_REASON,
                }
            ],
            "usage": {
                "prompt_tokens": 93,
                "completion_tokens": len(CONTENT_PIECES),
                "total_tokens": 93 + len(CONTENT_PIECES),
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


def stream_events() -> list[bytes]:
    """The SSE events of one stream, ``STREAM_EVENTS`` in all, ``data: [DONE]`` last."""
    return [
        _chunk_event({"role": "assistant", "content": "", "refusal": None}),
        *(_chunk_event({"content": piece}) for piece in CONTENT_PIECES),
        _chunk_event({}, FINISH_REASON),
        b"data: [DONE]\n\n",
    ]


JSON_HEADERS = {"openai-version": "2020-10-01", "openai-processing-ms": "0"}
"""Headers mockgpt sends besides ``content-type``, ``content-length`` and ``x-request-id``."""

STREAM_HEADERS = {"cache-control": "no-cache", "x-accel-buffering": "no", **JSON_HEADERS}


def create_app() -> Starlette:
    """The Starlette floor app."""
    body = completion_body()
    frames = stream_events()

    async def chat_completion(request: Request) -> Response:
        payload = json.loads(await request.body())
        request_id = {"x-request-id": "req_" + os.urandom(16).hex()}
        if payload.get("stream"):

            async def events() -> AsyncIterator[bytes]:
                for frame in frames:
                    yield frame

            return StreamingResponse(
                events(),
                media_type="text/event-stream",
                headers={**STREAM_HEADERS, **request_id},
            )
        return Response(body, media_type="application/json", headers={**JSON_HEADERS, **request_id})

    return Starlette(routes=[Route(CHAT_PATH, chat_completion, methods=["POST"])])
