"""Log probabilities: their shape when asked for, and ``top_logprobs`` within 0..20."""

from __future__ import annotations

from conformance.checks._shared import dumps
from conformance.context import CheckContext
from conformance.failures import Violation
from conformance.registry import check
from conformance.validation import validate
from conformance.wire import ChoiceLogprobs


@check(
    id="logprobs.shape",
    feature="logprobs",
    spec="CreateChatCompletionResponse.choices[].logprobs {content, refusal}; "
    "ChatCompletionTokenLogprob (required: token, logprob, bytes, top_logprobs)",
)
def logprobs_shape(ctx: CheckContext) -> None:
    """``logprobs: true, top_logprobs: 2`` gives a token list with logprobs <= 0, or a 4xx.

    Each entry has ``token``, ``logprob`` (a number <= 0), ``bytes`` and at most 2
    ``top_logprobs``; streamed chunks carry their tokens' logprobs too. Accepting the
    parameters and returning ``logprobs: null`` fails.
    """
    answer = ctx.chat(optional="logprobs", logprobs=True, top_logprobs=2)
    logprobs = answer.choices[0].get("logprobs")
    if not isinstance(logprobs, dict):
        raise Violation(
            "choices[0].logprobs",
            "a logprobs object (logprobs: true was accepted)",
            dumps(logprobs),
            exchange=answer.exchange,
        )
    validate(
        ChoiceLogprobs,
        logprobs,
        exchange=answer.exchange,
        prefix="choices[0].logprobs",
    )
    content = logprobs.get("content") or []
    text = answer.message().get("content") or ""
    if text and not content:
        raise Violation(
            "choices[0].logprobs.content",
            "one entry per token of the content",
            dumps(content),
            exchange=answer.exchange,
        )
    for i, entry in enumerate(content):
        if entry["logprob"] > 0:
            raise Violation(
                f"choices[0].logprobs.content[{i}].logprob",
                "<= 0",
                dumps(entry["logprob"]),
                exchange=answer.exchange,
            )
        if len(entry["top_logprobs"]) > 2:
            raise Violation(
                f"choices[0].logprobs.content[{i}].top_logprobs",
                "at most 2 entries (top_logprobs: 2)",
                str(len(entry["top_logprobs"])),
                exchange=answer.exchange,
            )
    stream = ctx.chat_stream(optional="logprobs", logprobs=True, top_logprobs=2)
    carried = [
        item.get("logprobs")
        for items in stream.choice_chunks().values()
        for _, item in items
        if item["delta"].get("content")
    ]
    if carried and not any(isinstance(lp, dict) and lp.get("content") for lp in carried):
        raise Violation(
            "chunks[*].choices[*].logprobs",
            "the logprobs of each chunk's tokens (logprobs: true)",
            dumps(carried[:3])[:160],
            exchange=stream.exchange,
        )


@check(
    id="logprobs.top-logprobs-limit",
    feature="logprobs",
    spec="CreateChatCompletionRequest.top_logprobs: an integer between 0 and 20 (maximum: 20)",
)
def top_logprobs_limit(ctx: CheckContext) -> None:
    """``top_logprobs: 21`` is refused with a 400 error envelope (where logprobs are offered)."""
    offered = ctx.chat(optional="logprobs", logprobs=True, top_logprobs=2)
    if not isinstance(offered.choices[0].get("logprobs"), dict):
        raise Violation(
            "choices[0].logprobs",
            "a logprobs object (logprobs: true was accepted)",
            dumps(offered.choices[0].get("logprobs")),
            owner="logprobs.shape",
            exchange=offered.exchange,
        )
    body = ctx.chat_body(logprobs=True, top_logprobs=21)
    result = ctx.post("/chat/completions", body)
    if result.status != 400:
        raise Violation(
            "<status>",
            "400 (top_logprobs above the maximum of 20)",
            f"{result.status} {result.text(160)}",
            owner="errors.bad-request" if 400 < result.status < 500 else None,
            exchange=result.exchange,
        )
    ctx.error_of(result)
