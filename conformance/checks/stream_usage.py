"""Usage in chat streams: only with ``stream_options.include_usage``, and then on one last chunk."""

from __future__ import annotations

from conformance.checks._shared import dumps, helper_final, stream_id
from conformance.context import CheckContext
from conformance.failures import Violation
from conformance.registry import check


@check(
    id="chat.stream.usage-final-chunk",
    feature="chat-streaming",
    spec="ChatCompletionStreamOptions.include_usage: an additional chunk is streamed before "
    "`data: [DONE]`; its usage field shows the token usage for the entire request and its "
    "choices field is always an empty array; all other chunks include usage with a null value",
)
def usage_final_chunk(ctx: CheckContext) -> None:
    """With ``include_usage``, usage comes once, on a last chunk with ``choices: []``.

    Every other chunk has ``usage: null`` (or none); the usage chunk comes last before
    ``[DONE]``, has the stream's ``id`` and the three token counts; the official
    ``.stream()`` helper's final completion carries the same usage.
    """
    stream = ctx.chat_stream(
        optional="stream_options.include_usage", stream_options={"include_usage": True}
    )
    with_usage = [(p, c) for p, c in enumerate(stream.chunks) if c.get("usage") is not None]
    if not with_usage:
        raise Violation(
            "chunks[*].usage",
            "a final chunk with usage (include_usage: true)",
            "no chunk with usage",
            exchange=stream.exchange,
        )
    if len(with_usage) > 1:
        raise Violation(
            f"chunks[{with_usage[0][0]}].usage",
            "null (only the final chunk carries usage)",
            dumps(with_usage[0][1]["usage"])[:120],
            exchange=stream.exchange,
        )
    position, chunk = with_usage[0]
    if chunk["choices"]:
        raise Violation(
            f"chunks[{position}].choices",
            "[] (usage rides on its own chunk)",
            dumps(chunk["choices"])[:160],
            exchange=stream.exchange,
        )
    if position != len(stream.chunks) - 1:
        raise Violation(
            f"chunks[{position}]",
            "the usage chunk last, right before [DONE]",
            f"{len(stream.chunks) - 1 - position} chunks after it",
            exchange=stream.exchange,
        )
    usage = chunk["usage"]
    missing = [k for k in ("prompt_tokens", "completion_tokens", "total_tokens") if k not in usage]
    if missing:
        raise Violation(
            f"chunks[{position}].usage.{missing[0]}",
            "the key to be present",
            "no such key",
            exchange=stream.exchange,
        )
    stream_id(stream)
    final = helper_final(ctx, stream.exchange.body)
    if final.usage is None or final.usage.total_tokens != usage.get("total_tokens"):
        raise Violation(
            "<helper>.usage",
            f"the usage of the final chunk ({dumps(usage)[:80]})",
            repr(final.usage)[:120],
            level="helper",
            exchange=stream.exchange,
        )


@check(
    id="chat.stream.usage-opt-in",
    feature="chat-streaming",
    spec="CreateChatCompletionStreamResponse.usage: only present when you set "
    "stream_options: {include_usage: true}",
    severity="should",
)
def usage_opt_in(ctx: CheckContext) -> None:
    """Without ``include_usage`` no chunk carries usage and no ``choices: []`` chunk is sent.

    Clients that read ``chunk.choices[0]`` break on an unasked-for usage chunk.
    """
    stream = ctx.chat_stream()
    for position, chunk in enumerate(stream.chunks):
        if chunk.get("usage") is not None or not chunk["choices"]:
            raise Violation(
                f"chunks[{position}]",
                "no usage chunk (include_usage was not set)",
                dumps(chunk)[:200],
                exchange=stream.exchange,
            )
