"""``POST /v1/completions``: legacy text completions, non-streamed and streamed."""

from __future__ import annotations

from collections.abc import AsyncIterator

from starlette.requests import Request

from mockgpt.conversation import Message, Prompt
from mockgpt.events import Event, TextDelta, Usage
from mockgpt.http.chat import GenerationWire
from mockgpt.http.send import ReplySender
from mockgpt.models import CreateCompletionRequest
from mockgpt.models.common import validate_request_json
from mockgpt.render.completions import CompletionBuilder, CompletionChunkRenderer, CompletionMeta
from mockgpt.routes.common import (
    bound_answer,
    engine_of,
    fingerprint,
    new_id,
    now,
    read_raw,
    serve,
)
from mockgpt.tokens import count_tokens
from mockgpt.turn import Turn


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


async def create_completion(request: Request) -> ReplySender:
    """Answer a legacy completion request (spec: ``POST /completions``).

    Choices are ordered prompt-major: the ``n`` choices of the first prompt, then the next.

    Raises:
        RequestRejected: 400 for an invalid body, 404 for an unknown model in a fixed list,
            413 for a body over ``max_body_bytes``.
    """
    engine = engine_of(request)
    raw = await read_raw(request, engine.config.max_body_bytes)
    legacy = validate_request_json(CreateCompletionRequest, raw)
    engine.check_model(legacy.model)
    n = legacy.choice_count * len(legacy.prompts)
    if n > 1:
        bound_answer(engine, n, len(raw))
    turn = Turn(
        endpoint="completions",
        request=legacy,
        prompt=Prompt(tuple(Message("user", p, content=p) for p in legacy.prompts)),
        n=legacy.choice_count,
        raw=raw,
        headers=request.headers,
        request_id=request.scope.get("mockgpt.request_id", ""),
        choices=n,
        model=legacy.model,
        stream=bool(legacy.stream),
        max_tokens=legacy.max_tokens,
        stops=legacy.stop_sequences,
        seed=legacy.seed or 0,
        temperature=legacy.temperature,
        prompt_tokens=completion_prompt_tokens(legacy),
        include_usage=legacy.include_usage,
    )
    completion_id, created = new_id("cmpl"), now()

    def meta(model: str, include_usage: bool = False) -> CompletionMeta:
        return CompletionMeta(
            id=completion_id,
            created=created,
            model=model,
            system_fingerprint=fingerprint(model),
            logprobs=legacy.logprobs,
            include_usage=include_usage,
        )

    wire = GenerationWire(
        turn,
        stream_renderer=lambda model, usage: CompletionChunkRenderer(meta(model, usage), n),
        builder=lambda model: CompletionBuilder(meta(model), n),
        wrap_events=(lambda events: _echo_prompt(events, legacy)) if legacy.echo else None,
    )
    return serve(request, turn, wire)
