"""``POST /v1/chat/completions``: ``ChatCompletion`` or a ``ChatCompletionChunk`` stream."""

from __future__ import annotations

from starlette.requests import Request

from mockgpt.http.chat import GenerationWire
from mockgpt.http.send import ReplySender
from mockgpt.models import CreateChatCompletionRequest, validate_request
from mockgpt.models.chat_prompt import chat_prompt
from mockgpt.models.common import parse_json, validate_request_json
from mockgpt.quirks import completion_id as completion_id_of
from mockgpt.quirks.chat import quirk_chat_request, quirk_valid_chat_request
from mockgpt.render.chat import ChatChunkRenderer, ChatCompletionBuilder, ChatMeta
from mockgpt.routes.common import (
    bound_answer,
    engine_of,
    fingerprint,
    new_id,
    now,
    read_raw,
    serve,
)
from mockgpt.turn import Turn
from mockgpt.types import JSONObject


async def create_chat_completion(request: Request) -> ReplySender:
    """Answer a chat completion request (spec: ``POST /chat/completions``).

    Raises:
        RequestRejected: 400 for an invalid body, 404 for an unknown model in a fixed list,
            413 for a body over ``max_body_bytes``, or a scripted error.
    """
    engine = engine_of(request)
    raw = await read_raw(request, engine.config.max_body_bytes)
    quirks = engine.quirks
    body: JSONObject | None = None
    if quirks:  # the request stage of the quirks rewrites the decoded body
        decoded = parse_json(raw)
        quirk_chat_request(decoded, quirks)
        chat = validate_request(CreateChatCompletionRequest, decoded)
        assert isinstance(decoded, dict)
        body = decoded
        if quirk_valid_chat_request(body, quirks):
            chat = validate_request(CreateChatCompletionRequest, body)
    else:
        chat = validate_request_json(CreateChatCompletionRequest, raw)
    engine.check_model(chat.model)
    n = chat.choice_count
    if n > 1:
        bound_answer(engine, n, len(raw))
    prompt = chat_prompt(chat)
    turn = Turn(
        endpoint="chat.completions",
        request=chat,
        prompt=prompt,
        n=n,
        raw=raw,
        parsed=body,
        headers=request.headers,
        request_id=request.scope.get("mockgpt.request_id", ""),
        choices=n,
        model=chat.model,
        stream=bool(chat.stream),
        max_tokens=chat.token_limit,
        stops=chat.stop_sequences,
        seed=chat.seed or 0,
        temperature=chat.temperature,
        metadata=chat.metadata,
        prompt_tokens=prompt.tokens,
        include_usage=chat.include_usage,
    )
    completion_id, created = new_id("chatcmpl"), now()
    if quirks:
        completion_id = completion_id_of(quirks, completion_id)

    def meta(model: str, include_usage: bool = False) -> ChatMeta:
        return ChatMeta(
            id=completion_id,
            created=created,
            model=model,
            system_fingerprint=fingerprint(model),
            logprobs=bool(chat.logprobs),
            top_logprobs=chat.top_logprobs or 0,
            include_usage=include_usage,
        )

    wire = GenerationWire(
        turn,
        stream_renderer=lambda model, usage: ChatChunkRenderer(meta(model, usage), n),
        builder=lambda model: ChatCompletionBuilder(meta(model), n),
    )
    return serve(request, turn, wire)
