"""Consistency: one answer streamed or not, unknown fields, a tool call once, usage counted.

Each of these requests carries its own marker in the prompt, so a broken twin can break
exactly its rule (``fixtures/broken/<check id>.yaml`` matches the marker).
"""

from __future__ import annotations

from typing import Any

from conformance.checks import _responses as rs
from conformance.checks._shared import dumps, joined_content
from conformance.checks._tools import WEATHER_TOOL, assemble
from conformance.context import CheckContext
from conformance.failures import Unsupported, Violation, Violations
from conformance.registry import check

SAME_ANSWER_PROMPT = "Name three colours of the rainbow. (conformance: same-answer)"
UNKNOWN_FIELD = "x_conformance_unknown_field"
CALL_ONCE_PROMPT = "What is the weather in Oslo? Use the get_weather tool. (conformance: once)"
USAGE_INPUT = "Say hello in one short sentence. (conformance: usage-counted)"
RESPONSES_USAGE = "responses.usage"


@check(
    id="chat.stream.equals-non-streamed",
    feature="chat-streaming",
    spec="CreateChatCompletionStreamResponse: the chunks are the deltas of the chat completion "
    "the same request gets without `stream`; `seed` with the same parameters should give the "
    "same result",
    severity="should",
)
def stream_equals_non_streamed(ctx: CheckContext) -> None:
    """The streamed text of a seeded request equals its non-streamed text.

    One request (``temperature: 0``, a ``seed``), sent with and without ``stream``: the
    joined ``delta.content`` equals ``message.content``, and the finish reasons agree. A
    server that renders the two forms from different answers shows it here.
    """
    messages = [{"role": "user", "content": SAME_ANSWER_PROMPT}]
    answer = ctx.chat(messages=messages)
    stream = ctx.chat_stream(messages=messages)
    content = answer.message().get("content") or ""
    streamed = joined_content(stream)
    found = Violations()
    with found.soft():
        if streamed != content:
            raise Violation(
                "<stream>.content",
                f"the non-streamed content of the same request: {dumps(content)[:120]}",
                dumps(streamed)[:200],
                exchange=stream.exchange,
                note="with temperature 0 and a seed, a model's two answers should agree",
            )
    reasons = {
        item.get("finish_reason")
        for _, item in stream.choice_chunks().get(0, [])
        if item.get("finish_reason") is not None
    }
    with found.soft():
        if reasons and reasons != {answer.choices[0].get("finish_reason")}:
            raise Violation(
                "<stream>.finish_reason",
                f"the non-streamed finish_reason {dumps(answer.choices[0].get('finish_reason'))}",
                dumps(sorted(str(r) for r in reasons)),
                exchange=stream.exchange,
            )
    found.raise_any()


@check(
    id="chat.unknown-fields",
    feature="chat",
    spec="CreateChatCompletionRequest: clients built against newer API versions send fields "
    "an older server does not know; a server should ignore an unknown top-level field",
    severity="should",
)
def unknown_fields(ctx: CheckContext) -> None:
    """An unknown top-level request field is ignored: the request still gets its answer."""
    body = ctx.chat_body(**{UNKNOWN_FIELD: "ignored"})
    result = ctx.post("/chat/completions", body)
    if not 200 <= result.status < 300:
        raise Violation(
            "<status>",
            f"200 (the unknown field {UNKNOWN_FIELD} ignored)",
            f"{result.status} {result.text(160)}",
            exchange=result.exchange,
            note="a server that rejects fields it does not know breaks every client a version "
            "ahead of it",
        )


@check(
    id="tools.stream.call-once",
    feature="tools",
    spec="ChatCompletionMessageToolCallChunk.index, .id: each tool call has one index; a call "
    "is not sent again at another index",
)
def stream_call_once(ctx: CheckContext) -> None:
    """A tool call is sent once: no call id appears at two indexes, streamed or not.

    A server that repeats a call at a second index makes clients run the tool twice.
    """
    extra: dict[str, Any] = {
        "messages": [{"role": "user", "content": CALL_ONCE_PROMPT}],
        "tools": [WEATHER_TOOL],
        "tool_choice": "required",
    }
    found = Violations()
    answer = ctx.chat(optional="tools with tool_choice: required", **extra)
    calls = answer.message().get("tool_calls") or []
    ids = [str(c["id"]) for c in calls if isinstance(c, dict) and c.get("id")]
    with found.soft():
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            raise Violation(
                "choices[0].message.tool_calls[*].id",
                "each call once",
                f"{dumps(repeated)} at {len(ids)} positions",
                exchange=answer.exchange,
            )
    stream = ctx.chat_stream(optional="tools with tool_choice: required", **extra)
    if not stream.choice_chunks():
        raise Unsupported("no streamed choice", exchange=stream.exchange)
    indexes: dict[str, list[int]] = {}
    for call in assemble(stream):
        if isinstance(call.id, str):
            indexes.setdefault(call.id, []).append(call.index)
    with found.soft():
        twice = {i: at for i, at in indexes.items() if len(at) > 1}
        if twice:
            call_id, at = next(iter(twice.items()))
            raise Violation(
                "chunks[*].choices[*].delta.tool_calls[*].id",
                "each call id at one index",
                f"{call_id} at indexes {at}",
                exchange=stream.exchange,
            )
    found.raise_any()


@check(
    id="responses.usage.counted",
    feature="responses",
    spec="ResponseUsage.input_tokens, .output_tokens: the tokens of the input and of the output",
)
def responses_usage_counted(ctx: CheckContext) -> None:
    """A ``Response``'s usage counts its tokens: never all zeros for a real exchange.

    ``input_tokens`` > 0 for a non-empty input, ``output_tokens`` > 0 for an answer with text.
    """
    answer = rs.create(ctx, rs.body(ctx, input=USAGE_INPUT))
    usage = answer.response.get("usage")
    if not isinstance(usage, dict):
        raise Violation(
            "usage", "a ResponseUsage object", dumps(usage), owner=RESPONSES_USAGE,
            exchange=answer.exchange,
        )  # fmt: skip
    found = Violations()
    with found.soft():
        if usage.get("input_tokens") == 0:
            raise Violation(
                "usage.input_tokens",
                "more than 0 for a non-empty input",
                "0",
                exchange=answer.exchange,
            )
    text = any(
        isinstance(part, dict) and part.get("text")
        for item in answer.items("message")
        for part in item.get("content") or []
    )
    with found.soft():
        if text and usage.get("output_tokens") == 0:
            raise Violation(
                "usage.output_tokens",
                "more than 0 for an answer with text",
                "0",
                owner=RESPONSES_USAGE,
                exchange=answer.exchange,
            )
    found.raise_any()
