"""Legacy ``POST /v1/completions``: the ``text_completion`` object, streamed and not."""

from __future__ import annotations

from typing import Any

from conformance.answers import CHAT_SCHEMA
from conformance.checks._shared import (
    DONE_SENTINEL,
    FINISH_ONCE,
    FINISH_PRESENT,
    ID_STABLE,
    USAGE_FINAL,
    dumps,
)
from conformance.context import SEED, CheckContext
from conformance.failures import Unsupported, Violation
from conformance.registry import check
from conformance.validation import validate
from conformance.wire import Completion, CompletionChunk

SCHEMA = "completions.response.schema"
PROMPT = "Say hello in one short sentence:"


def _body(ctx: CheckContext, **extra: Any) -> dict[str, Any]:
    return {
        "model": ctx.model,
        "prompt": PROMPT,
        "max_tokens": 16,
        "temperature": 0,
        "seed": SEED,
        **extra,
    }


def _refused(ctx: CheckContext, status: int, message: str) -> None:
    if status == 404:
        raise Unsupported(f"POST /completions: HTTP 404: {message}")


@check(
    id="completions.response.schema",
    feature="completions",
    spec="CreateCompletionResponse (required: id, object `text_completion`, created, model, "
    "choices[] {text, index, logprobs, finish_reason})",
)
def completion_schema(ctx: CheckContext) -> None:
    """A legacy completion is a ``text_completion`` object, field by field.

    The strict official client accepts it. A server without ``/v1/completions`` (404)
    reports the feature unsupported.
    """
    result = ctx.post("/completions", _body(ctx))
    _refused(ctx, result.status, result.text(120))
    ctx.expect_ok(result, optional="legacy completions", owner=None)
    validate(
        Completion,
        result.json_or_none(),
        exchange=result.exchange,
        owners=(("created", CHAT_SCHEMA), ("choices[*].finish_reason=null", FINISH_PRESENT)),
    )
    with ctx.client_step("strict", result.exchange, "completions.create() with strict validation"):
        ctx.client(strict=True).completions.create(**_body(ctx))


@check(
    id="completions.stream.chunks",
    feature="completions",
    spec="CreateCompletionResponse: the streamed and non-streamed objects share the same shape "
    "(object `text_completion`); finish_reason null until the choice ends; the stream ends "
    "with `data: [DONE]`",
)
def completion_stream(ctx: CheckContext) -> None:
    """A streamed legacy completion is ``text_completion`` chunks, then ``[DONE]``.

    Every chunk has the same ``id``; each choice's ``finish_reason`` is null until its one
    final value. The official client iterates it.
    """
    body = _body(ctx, stream=True)
    probe = ctx.post_stream("/completions", body)
    _refused(ctx, probe.status, probe.text(120))
    result, chunks, done = ctx.stream("/completions", body, optional="legacy completions")
    if not chunks:
        raise Violation("<stream>", "at least one chunk", "none", exchange=result.exchange)
    for position, chunk in enumerate(chunks):
        validate(
            CompletionChunk,
            chunk,
            exchange=result.exchange,
            prefix=f"chunks[{position}]",
            owners=(("created", CHAT_SCHEMA), ("object", SCHEMA)),
        )
    ids = {dumps(chunk["id"]) for chunk in chunks}
    if len(ids) > 1:
        raise Violation(
            "chunks[*].id",
            "the same id in every chunk",
            dumps(sorted(ids)[:3]),
            owner=ID_STABLE,
            exchange=result.exchange,
        )
    finishes: dict[int, list[int]] = {}
    for position, chunk in enumerate(chunks):
        for choice in chunk["choices"]:
            finishes.setdefault(choice["index"], [])
            if choice["finish_reason"] is not None:
                finishes[choice["index"]].append(position)
    for index, positions in finishes.items():
        if not positions:
            raise Violation(
                f"<choice {index}>.finish_reason",
                "a final non-null finish_reason",
                "null in every chunk",
                owner=FINISH_PRESENT,
                exchange=result.exchange,
            )
        if len(positions) > 1:
            raise Violation(
                f"chunks[{positions[1]}].choices[index={index}].finish_reason",
                "null (the choice already finished)",
                dumps(chunks[positions[1]]["choices"])[:120],
                owner=FINISH_ONCE,
                exchange=result.exchange,
            )
    if not done:
        raise Violation(
            "<stream>",
            "data: [DONE] at the end",
            "no [DONE]",
            owner=DONE_SENTINEL,
            exchange=result.exchange,
        )
    # The default client: the SDK's strict model of a legacy completion has a non-null
    # finish_reason, so strict validation rejects every spec-conformant chunk but the last.
    exchange = ctx.exchange("POST", "/completions", body, stream=True)
    with ctx.client_step("client", exchange, "completions.create(stream=True)"):
        stream = ctx.client().completions.create(**body)
        try:
            ctx.drain(stream, exchange, "client")
        finally:
            stream.close()


@check(
    id="completions.stream.usage",
    feature="completions",
    spec="CreateCompletionRequest.stream_options.include_usage (ChatCompletionStreamOptions): "
    "an additional chunk is streamed before `data: [DONE]`; its usage field shows the token "
    "usage for the entire request and its choices field is an empty array",
)
def completion_stream_usage(ctx: CheckContext) -> None:
    """A legacy stream with ``include_usage`` ends with a usage chunk whose ``choices`` is ``[]``.

    The last chunk before ``[DONE]`` carries ``usage`` with the three token counts. A server
    that refuses ``stream_options`` on legacy completions reports it unsupported.
    """
    body = _body(ctx, stream=True, stream_options={"include_usage": True})
    probe = ctx.post_stream("/completions", body)
    _refused(ctx, probe.status, probe.text(120))
    result, chunks, _ = ctx.stream(
        "/completions", body, optional="stream_options.include_usage on legacy completions"
    )
    with_usage = [(p, c) for p, c in enumerate(chunks) if c.get("usage") is not None]
    if not with_usage:
        raise Violation(
            "chunks[*].usage",
            "a final chunk with usage (include_usage: true)",
            f"no chunk with usage in {len(chunks)} chunks",
            owner=USAGE_FINAL,  # a server that never sends usage: chat's check reports it
            exchange=result.exchange,
        )
    position, chunk = with_usage[-1]
    if chunk.get("choices") != []:
        raise Violation(
            f"chunks[{position}].choices",
            "[] (usage rides on its own chunk)",
            dumps(chunk.get("choices"))[:160],
            owner=USAGE_FINAL,
            exchange=result.exchange,
        )
    if position != len(chunks) - 1:
        raise Violation(
            f"chunks[{position}]",
            "the usage chunk last, right before [DONE]",
            f"{len(chunks) - 1 - position} chunks after it",
            exchange=result.exchange,
        )
    usage = chunk["usage"]
    keys = ("prompt_tokens", "completion_tokens", "total_tokens")
    missing = [k for k in keys if not isinstance(usage, dict) or k not in usage]
    if missing:
        raise Violation(
            f"chunks[{position}].usage.{missing[0]}",
            "the key to be present",
            "no such key",
            exchange=result.exchange,
        )
