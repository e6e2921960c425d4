"""Chat completions, non-streamed: the object's fields, usage, ``max_tokens``, ``stop``, ``n``."""

from __future__ import annotations

import re
from typing import Any

from conformance.answers import ChatAnswer
from conformance.checks._shared import (
    FINISH_PRESENT,
    LONG_PROMPT,
    ROLE_FIRST,
    USAGE_FINAL,
    dumps,
    finish_reason,
    helper_final,
    joined_content,
)
from conformance.context import CheckContext
from conformance.failures import Unsupported, Violation, Violations
from conformance.registry import check
from conformance.validation import validate
from conformance.wire import ChatCompletion

CHAT_OWNERS = (
    ("choices[*].finish_reason=null", FINISH_PRESENT),
    ("choices[*].message.tool_calls[*].function.arguments", "tools.arguments-json"),
)
"""Fields of a chat completion whose rules other checks own."""


@check(
    id="chat.response.schema",
    feature="chat",
    spec="CreateChatCompletionResponse (required: id, object, created, model, choices; "
    "ChatCompletionResponseMessage required: role, content, refusal; created is an integer)",
)
def chat_completion_schema(ctx: CheckContext) -> None:
    """A non-streamed chat completion is a ``chat.completion`` object, field by field.

    ``Content-Type: application/json``; ``created`` an integer (Unix seconds); each choice has
    ``index``, ``message`` (``role: assistant``, ``content`` and ``refusal`` keys present),
    ``finish_reason`` from the enum and a ``logprobs`` key; the strict official client
    accepts it.
    """
    answer = ctx.chat()
    if answer.result.content_type != "application/json":
        raise Violation(
            "<header content-type>",
            "application/json",
            answer.result.headers.get("content-type", "<none>"),
            exchange=answer.exchange,
        )
    validate(ChatCompletion, answer.body, exchange=answer.exchange, owners=CHAT_OWNERS)
    with ctx.client_step("strict", answer.exchange, "create() with strict validation"):
        ctx.client(strict=True).chat.completions.create(**ctx.chat_body())


def _check_usage(usage: Any, where: str, exchange: Any) -> None:
    if not isinstance(usage, dict):
        raise Violation(where, "a usage object", dumps(usage), exchange=exchange)
    counts = {k: usage.get(k) for k in ("prompt_tokens", "completion_tokens", "total_tokens")}
    for key, value in counts.items():
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise Violation(f"{where}.{key}", "an integer >= 0", dumps(value), exchange=exchange)
    prompt, completion, total = (int(v or 0) for v in counts.values())
    if total != prompt + completion:
        raise Violation(
            f"{where}.total_tokens",
            f"prompt_tokens + completion_tokens = {prompt + completion}",
            dumps(total),
            exchange=exchange,
        )
    if prompt == 0:
        raise Violation(
            f"{where}.prompt_tokens", "> 0 for a non-empty prompt", "0", exchange=exchange
        )


@check(
    id="chat.usage",
    feature="chat",
    spec="CompletionUsage: prompt_tokens, completion_tokens, total_tokens (integers); "
    "total_tokens = prompt_tokens + completion_tokens",
)
def chat_usage(ctx: CheckContext) -> None:
    """``usage`` adds up: ``total_tokens == prompt_tokens + completion_tokens``.

    In a non-streamed answer and in the final usage chunk of a stream with
    ``stream_options.include_usage``; all counts are integers, the prompt counts > 0 tokens.
    """
    answer = ctx.chat()
    if "usage" not in answer.body or answer.body["usage"] is None:
        raise Violation("usage", "a usage object", "no usage", exchange=answer.exchange)
    _check_usage(answer.body["usage"], "usage", answer.exchange)
    if joined_text(answer.body) and answer.body["usage"]["completion_tokens"] == 0:
        raise Violation(
            "usage.completion_tokens", "> 0 for a non-empty answer", "0", exchange=answer.exchange
        )
    try:
        stream = ctx.chat_stream(optional="stream_options", stream_options={"include_usage": True})
    except Unsupported:
        return
    usages = [c.get("usage") for c in stream.chunks if c.get("usage") is not None]
    if len(usages) != 1:
        raise Violation(
            "chunks[*].usage",
            "one usage object, on the final chunk",
            f"{len(usages)} chunks with usage",
            owner=USAGE_FINAL,
            exchange=stream.exchange,
        )
    _check_usage(usages[0], "<usage chunk>.usage", stream.exchange)


def joined_text(body: dict[str, Any]) -> str:
    """The contents of every choice of a chat completion, joined."""
    parts = []
    for choice in body.get("choices", []):
        content = choice.get("message", {}).get("content")
        if isinstance(content, str):
            parts.append(content)
    return "".join(parts)


def _long_enough_to_cut(answer: ChatAnswer, limit: int) -> None:
    """Raise ``Unsupported`` unless the uncut ``answer`` is longer than ``limit`` tokens."""
    usage = answer.body.get("usage")
    tokens = usage.get("completion_tokens") if isinstance(usage, dict) else None
    content = answer.message().get("content") or ""
    if isinstance(tokens, int) and not isinstance(tokens, bool):
        short = tokens <= limit
    else:
        short = len(content.split()) <= limit
    if short and answer.choices[0].get("finish_reason") != "length":
        raise Unsupported(
            f"the answer was not long enough to cut at {limit} tokens "
            f"({tokens if tokens is not None else 'no usage'}): {dumps(content)[:80]}",
            exchange=answer.exchange,
        )


@check(
    id="chat.max-tokens.length",
    feature="chat",
    spec="CreateChatCompletionRequest.max_completion_tokens / max_tokens: an upper bound for "
    "the generated tokens; finish_reason `length` if the maximum number of tokens was reached",
)
def max_tokens_length(ctx: CheckContext) -> None:
    """A ``max_tokens`` (and ``max_completion_tokens``) cut ends with ``finish_reason: length``.

    With a limit of 5 tokens on an answer that is longer, ``usage.completion_tokens`` is at
    most 5 and the finish reason is ``length``, streamed and not. Whether the answer is longer
    comes from the same request without the limit: an answer of 5 tokens or fewer cannot be
    cut, and the check is unsupported.
    """
    messages = [{"role": "user", "content": LONG_PROMPT}]
    _long_enough_to_cut(ctx.chat(messages=messages), 5)
    for key in ("max_tokens", "max_completion_tokens"):
        optional = "max_completion_tokens" if key == "max_completion_tokens" else None
        extra: dict[str, Any] = {"max_tokens": None}
        extra[key] = 5
        try:
            answer = ctx.chat(optional=optional, messages=messages, **extra)
        except Unsupported:
            continue
        choice = answer.choices[0]
        usage = answer.body.get("usage")
        completion = usage.get("completion_tokens") if isinstance(usage, dict) else None
        if isinstance(completion, int) and completion > 5:
            raise Violation(
                "usage.completion_tokens",
                f"<= 5 ({key}: 5)",
                str(completion),
                exchange=answer.exchange,
            )
        if choice.get("finish_reason") is None:
            raise Violation(
                "choices[0].finish_reason",
                "length",
                "null",
                owner=FINISH_PRESENT,
                exchange=answer.exchange,
            )
        if choice.get("finish_reason") != "length":
            raise Violation(
                "choices[0].finish_reason",
                f"length (the answer was cut at {key}: 5)",
                dumps(choice.get("finish_reason")),
                exchange=answer.exchange,
            )
        stream = ctx.chat_stream(optional=optional, messages=messages, **extra)
        reason = finish_reason(stream)
        if reason != "length":
            raise Violation(
                "<stream>.finish_reason",
                f"length (the answer was cut at {key}: 5)",
                dumps(reason),
                exchange=stream.exchange,
            )


STOP_PROMPT = "Repeat exactly, nothing else: alpha bravo charlie delta echo foxtrot golf hotel"
_WORD = re.compile(r"[A-Za-z]{3,}")


def stop_word(content: str) -> str | None:
    """A word of ``content`` to stop at, None when it is too short to stop inside.

    At least 3 letters, not the first word, whose first occurrence in ``content`` is that
    word itself (so stopping there cuts the text there); from the second half of the answer
    when it has one (an answer that repeats itself may not).
    """
    words = list(_WORD.finditer(content))
    later = [m for i, m in enumerate(words) if i >= max(1, len(words) // 2)]
    for match in [*later, *words[1:]]:  # the second half first; a repetitive answer: any
        if content.find(match.group(0)) == match.start():
            return match.group(0)
    return None


@check(
    id="chat.stop.sequence",
    feature="chat",
    spec="CreateChatCompletionRequest.stop (StopConfiguration): up to 4 sequences where the API "
    "will stop generating; the returned text will not contain the stop sequence",
)
def stop_sequence(ctx: CheckContext) -> None:
    """The answer stops before a ``stop`` sequence and does not contain it.

    The stop word comes from the model's own answer: a first request (``temperature: 0``,
    a seed) without ``stop`` gives a text, a word from its second half becomes the stop
    sequence of the same request, and that answer never contains it and ends with
    ``finish_reason: stop``, streamed and not. An answer too short to stop inside is
    unsupported, not a failure.
    """
    messages = [{"role": "user", "content": STOP_PROMPT}]
    first = ctx.chat(messages=messages)
    word = stop_word(first.message().get("content") or "")
    if word is None:
        raise Unsupported(
            "the answer was not long enough to stop inside: "
            f"{dumps(first.message().get('content'))[:120]}",
            exchange=first.exchange,
        )
    extra: dict[str, Any] = {"messages": messages, "stop": [word, "zulu-zulu"]}
    found = Violations()
    answer = ctx.chat(**extra)
    content = answer.message().get("content") or ""
    with found.soft():
        if word in content:
            raise Violation(
                "choices[0].message.content",
                f"text without the stop sequence {word!r} (taken from the answer without stop)",
                dumps(content),
                exchange=answer.exchange,
            )
    with found.soft():
        if answer.choices[0].get("finish_reason") not in ("stop", None):
            raise Violation(
                "choices[0].finish_reason",
                "stop (a stop sequence was reached)",
                dumps(answer.choices[0].get("finish_reason")),
                exchange=answer.exchange,
            )
    with found.soft():
        stream = ctx.chat_stream(**extra)
        streamed = joined_content(stream)
        if word in streamed:
            raise Violation(
                "<stream>.content",
                f"text without the stop sequence {word!r} (taken from the answer without stop)",
                dumps(streamed),
                exchange=stream.exchange,
            )
    found.raise_any()


@check(
    id="chat.n.choices",
    feature="chat",
    spec="CreateChatCompletionRequest.n: how many chat completion choices to generate; "
    "choices can be more than one if n is greater than 1",
)
def n_choices(ctx: CheckContext) -> None:
    """``n: 2`` gives two choices, indexes 0 and 1, streamed and not (or a clean 400).

    Each streamed choice gets its own role delta and finish reason, the first chunk carries
    index 0 (the official ``.stream()`` helper needs it), and the helper's final completion
    has both choices.
    """
    answer = ctx.chat(optional="n: 2", n=2)
    indexes = sorted(c["index"] for c in answer.choices)
    if indexes != [0, 1]:
        raise Violation(
            "choices[*].index", "[0, 1] (n: 2)", dumps(indexes), exchange=answer.exchange
        )
    stream = ctx.chat_stream(optional="n: 2", n=2)
    by_choice = stream.choice_chunks()
    if sorted(by_choice) != [0, 1]:
        raise Violation(
            "chunks[*].choices[*].index",
            "both 0 and 1 (n: 2)",
            dumps(sorted(by_choice)),
            exchange=stream.exchange,
        )
    # Every departure of every choice is reported: a choice without its role delta may
    # also lack its finish reason (LiteLLM's proxy drops both for choice 1).
    found = Violations()
    for index, items in sorted(by_choice.items()):
        with found.soft():
            if items[0][1]["delta"].get("role") != "assistant":
                raise Violation(
                    f"<choice {index}>.delta.role",
                    "assistant in the first delta of each choice",
                    dumps(items[0][1]["delta"]),
                    owner=ROLE_FIRST,
                    exchange=stream.exchange,
                )
        with found.soft():
            finish_reason(stream, index)
    with found.soft():
        first = stream.chunks[0]["choices"]
        if not first or first[0]["index"] != 0:
            raise Violation(
                "chunks[0].choices[0].index",
                "0 (the official .stream() helper indexes its snapshot by the first chunk)",
                dumps(first),
                exchange=stream.exchange,
            )
    with found.soft():
        final = helper_final(ctx, ctx.chat_body(n=2))
        if len(final.choices) != 2:
            raise Violation(
                "<helper>.choices",
                "2 choices",
                str(len(final.choices)),
                level="helper",
                exchange=stream.exchange,
            )
    found.raise_any()
