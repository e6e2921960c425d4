"""Helpers several check modules share: reading choices out of streams, with rule owners."""

from __future__ import annotations

import json
from typing import Any

from conformance.answers import ChatStream
from conformance.context import CheckContext
from conformance.failures import Level, Violation

FINISH_PRESENT = "chat.stream.finish-reason-present"
FINISH_ONCE = "chat.stream.finish-reason-once"
ROLE_FIRST = "chat.stream.role-first"
ID_STABLE = "chat.stream.id-stable"
DONE_SENTINEL = "chat.stream.done-sentinel"
EVENT_TERMINATION = "chat.stream.event-termination"
CONTENT_TYPE = "chat.stream.content-type"
USAGE_FINAL = "chat.stream.usage-final-chunk"
USAGE = "chat.usage"

LONG_PROMPT = (
    "Count from one to forty in words, separated by spaces: one two three four five six seven "
    "eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen "
    "twenty twenty-one twenty-two twenty-three twenty-four twenty-five"
)
"""A prompt whose answer (an echo, or a model counting) is far longer than a few tokens."""


def dumps(value: Any) -> str:
    """Compact JSON for messages."""
    return json.dumps(value, ensure_ascii=False)


def joined_content(stream: ChatStream, choice: int = 0) -> str:
    """The ``delta.content`` pieces of one choice, joined."""
    parts = []
    for _, item in stream.choice_chunks().get(choice, []):
        content = item["delta"].get("content")
        if isinstance(content, str):
            parts.append(content)
    return "".join(parts)


def finish_reason(stream: ChatStream, choice: int = 0) -> str:
    """The one non-null ``finish_reason`` of a streamed choice.

    Raises:
        Violation: none (owned by ``chat.stream.finish-reason-present``) or more than one
            (``chat.stream.finish-reason-once``).
    """
    reasons = [
        (position, item.get("finish_reason"))
        for position, item in stream.choice_chunks().get(choice, [])
        if item.get("finish_reason") is not None
    ]
    if not reasons:
        raise Violation(
            f"<choice {choice}>.finish_reason",
            "a non-null finish_reason in the choice's last chunk",
            "null in every chunk of the choice",
            owner=FINISH_PRESENT,
            exchange=stream.exchange,
        )
    if len(reasons) > 1:
        raise Violation(
            f"chunks[{reasons[1][0]}].choices[index={choice}].finish_reason",
            "exactly one non-null finish_reason per choice",
            f"{len(reasons)}: {dumps([r for _, r in reasons])}",
            owner=FINISH_ONCE,
            exchange=stream.exchange,
        )
    return str(reasons[0][1])


def stream_id(stream: ChatStream) -> Any:
    """The ``id`` shared by every chunk.

    Raises:
        Violation: the chunks disagree (owned by ``chat.stream.id-stable``).
    """
    ids = [chunk.get("id") for chunk in stream.chunks]
    if len({dumps(i) for i in ids}) > 1:
        raise Violation(
            "chunks[*].id",
            "the same id in every chunk",
            f"{len({dumps(i) for i in ids})} different ids: {dumps(ids[:3])}...",
            owner=ID_STABLE,
            exchange=stream.exchange,
        )
    return ids[0]


def require_done(stream: ChatStream) -> None:
    """Raise unless the stream ended with ``[DONE]`` (owned by ``chat.stream.done-sentinel``)."""
    if not stream.done:
        last = stream.events[-1].raw() if stream.events else "<no event>"
        raise Violation(
            "<stream>",
            "data: [DONE] as the last event",
            f"the stream ended after {last[:120]}",
            owner=DONE_SENTINEL,
            exchange=stream.exchange,
        )


def drain_client_stream(ctx: CheckContext, body: dict[str, Any], *, strict: bool) -> list[Any]:
    """Iterate ``chat.completions.create(**body)`` (``stream: true``) with the official client.

    Raises:
        Violation: the client raised (level ``strict`` or ``client``).
    """
    level: Level = "strict" if strict else "client"
    exchange = ctx.exchange("POST", "/chat/completions", body, stream=True)
    with ctx.client_step(level, exchange, "iterating create(stream=True)"):
        stream = ctx.client(strict=strict).chat.completions.create(**body)
        try:
            return ctx.drain(stream, exchange, level)
        finally:
            stream.close()


def helper_final(ctx: CheckContext, body: dict[str, Any]) -> Any:
    """``chat.completions.stream(**body).get_final_completion()`` with the official helper.

    ``stream`` is dropped from ``body`` (the helper streams by itself).

    Raises:
        Violation: the helper raised (level ``helper``).
    """
    kwargs = {k: v for k, v in body.items() if k != "stream"}
    exchange = ctx.exchange("POST", "/chat/completions", {**kwargs, "stream": True}, stream=True)
    with (
        ctx.client_step("helper", exchange, "chat.completions.stream(...).get_final_completion()"),
        ctx.helpers().stream(**kwargs) as stream,
    ):
        ctx.drain(stream, exchange, "helper")
        try:
            return stream.get_final_completion()
        except Exception as exc:
            # The helper raises on finish_reason "length" by design; that is not the server's
            # fault, so the accumulated snapshot stands in for the final completion.
            if type(exc).__name__ == "LengthFinishReasonError":
                return stream.current_completion_snapshot
            raise
