"""``POST /v1/chat/completions``: ``ChatCompletion`` or a ``ChatCompletionChunk`` stream."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from mockgpt.backends import RequestContext
from mockgpt.engine import chat_prompt_tokens
from mockgpt.limits import Limiter
from mockgpt.models import CreateChatCompletionRequest, validate_request
from mockgpt.render.chat import ChatChunkRenderer, ChatCompletionBuilder, ChatMeta
from mockgpt.routes.common import (
    SSEBody,
    SSEStream,
    engine_of,
    fingerprint,
    json_response,
    new_id,
    now,
    read_json,
    stream_response,
)


async def create_chat_completion(request: Request) -> Response | SSEBody | SSEStream:
    """Answer a chat completion request (spec: ``POST /chat/completions``).

    Raises:
        RequestRejected: 400 for an invalid body, 404 for an unknown model in a fixed list,
            413 for a body over ``max_body_bytes``.
    """
    engine = engine_of(request)
    body = await read_json(request, engine.config.max_body_bytes)
    chat = validate_request(CreateChatCompletionRequest, body)
    engine.check_model(chat.model)
    assert isinstance(body, dict)
    n = chat.choice_count
    ctx = RequestContext(
        endpoint="chat.completions",
        request=chat,
        body=body,
        headers=request.headers,
        request_id=request.scope.get("mockgpt.request_id", ""),
        choices=n,
    )
    limiter = Limiter(
        n=n,
        max_tokens=chat.token_limit,
        stops=chat.stop_sequences,
        prompt_tokens=chat_prompt_tokens(chat),
    )
    answer = engine.answer(ctx, limiter=limiter)
    meta = ChatMeta(
        id=new_id("chatcmpl"),
        created=now(),
        model=chat.model,
        system_fingerprint=fingerprint(chat.model),
        logprobs=bool(chat.logprobs),
        top_logprobs=chat.top_logprobs or 0,
        include_usage=chat.include_usage,
    )
    if chat.stream:
        return await stream_response(answer, ChatChunkRenderer(meta, n), engine.config)
    builder = ChatCompletionBuilder(meta, n)
    async for event in answer.events:
        builder.feed(event)
    return json_response(builder.build())
