"""``POST /v1/completions``: legacy text completions, non-streamed and streamed."""

from __future__ import annotations

from collections.abc import AsyncIterator

from starlette.requests import Request
from starlette.responses import Response

from mockgpt.backends import RequestContext
from mockgpt.engine import Answer
from mockgpt.events import Event, TextDelta, Usage
from mockgpt.limits import Limiter
from mockgpt.models import CreateCompletionRequest, validate_request
from mockgpt.render.completions import CompletionBuilder, CompletionChunkRenderer, CompletionMeta
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
from mockgpt.tokens import count_tokens


async def _echo_prompt(
    events: AsyncIterator[Event], request: CreateCompletionRequest
) -> AsyncIterator[Event]:
    """With ``echo: true``, each choice's text starts with its prompt (not counted as output)."""
    started: set[int] = set()
    prompts = request.prompts
    for_choice = request.choice_count
    async for event in events:
        if not isinstance(event, Usage) and event.choice not in started:
            started.add(event.choice)
            prompt = prompts[min(event.choice // for_choice, len(prompts) - 1)]
            if prompt:
                yield TextDelta(prompt, event.choice)
        yield event


def completion_prompt_tokens(request: CreateCompletionRequest) -> int:
    """Prompt tokens of all prompts (a token-id prompt counts its ids)."""
    prompt = request.prompt
    if isinstance(prompt, list) and prompt and not isinstance(prompt[0], str):
        if isinstance(prompt[0], int):
            return len(prompt)
        return sum(len(p) for p in prompt if isinstance(p, list))
    return sum(count_tokens(p) for p in request.prompts)


async def create_completion(request: Request) -> Response | SSEBody | SSEStream:
    """Answer a legacy completion request (spec: ``POST /completions``).

    Choices are ordered prompt-major: the ``n`` choices of the first prompt, then the next.

    Raises:
        RequestRejected: 400 for an invalid body, 404 for an unknown model in a fixed list,
            413 for a body over ``max_body_bytes``.
    """
    engine = engine_of(request)
    body = await read_json(request, engine.config.max_body_bytes)
    legacy = validate_request(CreateCompletionRequest, body)
    engine.check_model(legacy.model)
    assert isinstance(body, dict)
    n = legacy.choice_count * len(legacy.prompts)
    ctx = RequestContext(
        endpoint="completions",
        request=legacy,
        body=body,
        headers=request.headers,
        request_id=request.scope.get("mockgpt.request_id", ""),
        choices=n,
    )
    limiter = Limiter(
        n=n,
        max_tokens=legacy.max_tokens,
        stops=legacy.stop_sequences,
        prompt_tokens=completion_prompt_tokens(legacy),
    )
    answer = engine.answer(ctx, limiter=limiter)
    if legacy.echo:
        answer = Answer(_echo_prompt(answer.events, legacy), answer.live)
    meta = CompletionMeta(
        id=new_id("cmpl"),
        created=now(),
        model=legacy.model,
        system_fingerprint=fingerprint(legacy.model),
        logprobs=legacy.logprobs,
        include_usage=legacy.include_usage,
    )
    if legacy.stream:
        return await stream_response(answer, CompletionChunkRenderer(meta, n), engine.config)
    builder = CompletionBuilder(meta, n)
    async for event in answer.events:
        builder.feed(event)
    return json_response(builder.build())
