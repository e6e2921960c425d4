"""The proxy relays a real upstream's token logprobs, it does not make its own up."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import openai
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import StreamingResponse
from starlette.routing import Route

from mockgpt.config import ServerConfig
from mockgpt.server import MockServer
from tests.conformance.conftest import serve_app

TOKENS = [
    {"token": "Hel", "logprob": -0.25, "bytes": [72, 101, 108], "top_logprobs": []},
    {"token": "lo", "logprob": -1.5, "bytes": [108, 111], "top_logprobs": []},
]
"""Logprobs no synthetic generator would give: the client must see exactly these."""


async def _chat(request: Request) -> StreamingResponse:
    body = await request.json()
    assert body["logprobs"] is True

    def chunk(choice: dict[str, object]) -> bytes:
        data = {
            "id": "chatcmpl-up",
            "object": "chat.completion.chunk",
            "created": 1,
            "model": "m",
            "choices": [choice],
        }
        return f"data: {json.dumps(data)}\n\n".encode()

    async def events() -> AsyncIterator[bytes]:
        for token in TOKENS:
            yield chunk(
                {
                    "index": 0,
                    "delta": {"content": token["token"]},
                    "logprobs": {"content": [token], "refusal": None},
                    "finish_reason": None,
                }
            )
        yield chunk({"index": 0, "delta": {}, "logprobs": None, "finish_reason": "stop"})
        yield b"data: [DONE]\n\n"

    return StreamingResponse(events(), media_type="text/event-stream")


UPSTREAM = Starlette(routes=[Route("/v1/chat/completions", _chat, methods=["POST"])])


def test_proxy_relays_the_upstreams_logprobs_streamed_and_not() -> None:
    with (
        serve_app(UPSTREAM) as url,
        MockServer(ServerConfig(port=0, upstream=url, log_level="warning")) as proxy,
        openai.OpenAI(base_url=proxy.base_url, api_key="x", max_retries=0) as client,
    ):
        ask = {"model": "m", "messages": [{"role": "user", "content": "hi"}], "logprobs": True}
        reply = client.chat.completions.create(**ask)
        chunks = list(client.chat.completions.create(**ask, stream=True))

    assert reply.choices[0].message.content == "Hello"
    assert reply.choices[0].logprobs is not None
    assert [t.model_dump() for t in reply.choices[0].logprobs.content or []] == TOKENS
    streamed = [
        t.model_dump()
        for c in chunks
        if c.choices and c.choices[0].logprobs
        for t in c.choices[0].logprobs.content or []
    ]
    assert streamed == TOKENS
