"""The Responses API's reasoning items: their shape, their stream events, their tokens.

A model that reasons answers ``reasoning: {"effort", "summary"}`` with a ``reasoning`` output
item before its message: ``{"id", "type": "reasoning", "summary": [{"type": "summary_text",
"text"}], "encrypted_content"?}``; ``encrypted_content`` is a string only when the request's
``include`` asks for ``reasoning.encrypted_content``. Streamed, each summary part is
``response.reasoning_summary_part.added`` -> ``response.reasoning_summary_text.delta``* ->
``response.reasoning_summary_text.done`` -> ``response.reasoning_summary_part.done``, between
the item's ``response.output_item.added`` and ``.done``. ``usage.output_tokens_details.
reasoning_tokens`` is part of ``output_tokens``.

A server that refuses ``reasoning`` (a 4xx) or whose model gives no reasoning item reports
the check as unsupported: the model under test is not a reasoning model.

Spec: ``ReasoningItem``, ``SummaryTextContent``, ``ResponseReasoningSummaryPartAddedEvent``,
``ResponseReasoningSummaryTextDeltaEvent``, ``ResponseReasoningSummaryTextDoneEvent``,
``ResponseReasoningSummaryPartDoneEvent``, ``ResponseUsage``, ``IncludeEnum``.
"""

from __future__ import annotations

from typing import Any

from conformance.checks import _responses as rs
from conformance.checks._shared import dumps
from conformance.context import CheckContext
from conformance.failures import Unsupported, Violation
from conformance.http import Exchange
from conformance.registry import check

REASONING = {"effort": "low", "summary": "auto"}
ENCRYPTED = "reasoning.encrypted_content"
SUMMARY_EVENTS = (
    "response.reasoning_summary_part.added",
    "response.reasoning_summary_text.delta",
    "response.reasoning_summary_text.done",
    "response.reasoning_summary_part.done",
)


def _reasoning_items(answer: rs.ResponseAnswer, where: str) -> list[tuple[int, dict[str, Any]]]:
    """(output index, item) of each reasoning item.

    Raises:
        Unsupported: there is none.
    """
    items = [
        (index, item)
        for index, item in enumerate(answer.response["output"])
        if isinstance(item, dict) and item.get("type") == "reasoning"
    ]
    if not items:
        raise Unsupported(
            f"the model gave no reasoning item ({where}): not a reasoning model",
            exchange=answer.exchange,
        )
    return items


def _require_item(
    item: dict[str, Any], where: str, exchange: Exchange, *, encrypted: bool
) -> list[str]:
    """The summary texts of a well-formed reasoning item."""
    if not isinstance(item.get("id"), str) or not item["id"]:
        raise Violation(
            f"{where}.id", "a non-empty string", dumps(item.get("id")), exchange=exchange
        )
    summary = item.get("summary")
    if not isinstance(summary, list):
        raise Violation(f"{where}.summary", "an array", dumps(summary)[:120], exchange=exchange)
    texts = []
    for index, part in enumerate(summary):
        if not (
            isinstance(part, dict)
            and part.get("type") == "summary_text"
            and isinstance(part.get("text"), str)
        ):
            raise Violation(
                f"{where}.summary[{index}]",
                '{"type": "summary_text", "text": <string>}',
                dumps(part)[:120],
                exchange=exchange,
            )
        texts.append(part["text"])
    content = item.get("encrypted_content")
    if encrypted and not (isinstance(content, str) and content):
        raise Violation(
            f"{where}.encrypted_content",
            f"a non-empty string (include: [{ENCRYPTED!r}])",
            dumps(content)[:120],
            exchange=exchange,
        )
    if not encrypted and content is not None:
        raise Violation(
            f"{where}.encrypted_content",
            f"absent or null (include does not ask for {ENCRYPTED})",
            dumps(content)[:120],
            exchange=exchange,
        )
    return texts


def _require_first(answer: rs.ResponseAnswer) -> None:
    output = answer.response["output"]
    kinds = [i.get("type") if isinstance(i, dict) else None for i in output]
    first_message = kinds.index("message") if "message" in kinds else len(kinds)
    if "reasoning" in kinds[first_message:]:
        raise Violation(
            "output",
            "reasoning items before the message they lead to",
            dumps(kinds),
            exchange=answer.exchange,
        )


def _require_tokens(response: dict[str, Any], exchange: Exchange, where: str) -> None:
    """``reasoning_tokens`` <= ``output_tokens``; their shape is ``responses.usage``'s rule."""
    usage = response.get("usage")
    usage = usage if isinstance(usage, dict) else {}
    details = usage.get("output_tokens_details")
    details = details if isinstance(details, dict) else None
    output = usage.get("output_tokens")
    reasoning = details.get("reasoning_tokens") if details is not None else None
    shapes = (
        ("output_tokens", "an integer >= 0", output),
        ("output_tokens_details", "an object", details),
        ("output_tokens_details.reasoning_tokens", "an integer >= 0", reasoning),
    )
    for path, expected, value in shapes:
        if value is None or (isinstance(value, int) and value < 0):
            raise Violation(
                f"{where}usage.{path}",
                expected,
                dumps(usage)[:200],
                owner=rs.USAGE,
                exchange=exchange,
            )
    if isinstance(output, int) and isinstance(reasoning, int) and reasoning > output:
        raise Violation(
            f"{where}usage.output_tokens_details.reasoning_tokens",
            f"<= output_tokens ({output}): reasoning tokens are output tokens",
            str(reasoning),
            exchange=exchange,
        )


def _require_stream(stream: rs.ResponseStream) -> None:
    """Each reasoning item's summary events, in order, agree with its done item."""
    exchange = stream.exchange
    open_items: dict[str, list[str]] = {}
    current: dict[str, tuple[int, list[str]] | None] = {}
    for event in stream.events:
        data, where = event.data, f"events[{event.position}]"
        item = data.get("item")
        if event.type == "response.output_item.added" and isinstance(item, dict):
            if item.get("type") == "reasoning":
                open_items[str(item.get("id"))] = []
                current[str(item.get("id"))] = None
            continue
        if event.type in SUMMARY_EVENTS:
            item_id = str(data.get("item_id"))
            if item_id not in open_items:
                raise Violation(
                    f"{where}.item_id",
                    "a reasoning item opened by response.output_item.added and not yet done",
                    dumps(data.get("item_id")),
                    exchange=exchange,
                )
            parts, open_part = open_items[item_id], current[item_id]
            index = data.get("summary_index")
            if event.type == "response.reasoning_summary_part.added":
                if open_part is not None or index != len(parts):
                    raise Violation(
                        f"{where}.summary_index",
                        f"{len(parts)}, after the part before it is done",
                        dumps(index),
                        exchange=exchange,
                    )
                current[item_id] = (len(parts), [])
                continue
            if open_part is None or index != open_part[0]:
                raise Violation(
                    where,
                    f"{event.type} inside an added summary part",
                    f"summary_index {dumps(index)}, open part "
                    f"{dumps(open_part[0] if open_part else None)}",
                    exchange=exchange,
                )
            if event.type == "response.reasoning_summary_text.delta":
                open_part[1].append(str(data.get("delta", "")))
            elif event.type == "response.reasoning_summary_text.done":
                if data.get("text") != "".join(open_part[1]):
                    raise Violation(
                        f"{where}.text",
                        f"the joined deltas {dumps(''.join(open_part[1]))[:80]}",
                        dumps(data.get("text"))[:80],
                        exchange=exchange,
                    )
                parts.append("".join(open_part[1]))
            else:
                current[item_id] = None
            continue
        if event.type == "response.output_item.done" and isinstance(item, dict):
            item_id = str(item.get("id"))
            if item.get("type") != "reasoning" or item_id not in open_items:
                continue
            texts = _require_item(item, f"{where}.item", exchange, encrypted=False)
            if current[item_id] is not None or texts != open_items.pop(item_id):
                raise Violation(
                    f"{where}.item.summary",
                    "the summary parts streamed before it, each added, delta'd and done",
                    dumps(texts)[:160],
                    exchange=exchange,
                )
    reasoned = any(
        isinstance(e.data.get("item"), dict) and e.data["item"].get("type") == "reasoning"
        for e in stream.events
    )
    if not reasoned:
        raise Violation(
            "<stream>",
            "a reasoning item, as the same request not streamed has",
            "no response.output_item.added of type reasoning",
            exchange=exchange,
        )


@check(
    id="responses.reasoning.items",
    feature="responses",
    spec="ReasoningItem {id, type: reasoning, summary: [SummaryTextContent]}, encrypted_content "
    "only with include reasoning.encrypted_content; ResponseReasoningSummary{PartAdded, "
    "TextDelta, TextDone, PartDone}Event in order; usage.output_tokens_details.reasoning_tokens "
    "<= output_tokens",
)
def reasoning_items(ctx: CheckContext) -> None:
    """A reasoning model's ``reasoning`` items are well formed, streamed and counted.

    Not streamed, with and without ``include: ["reasoning.encrypted_content"]``: each item
    comes before the message, has an id and ``summary_text`` parts, and ``encrypted_content``
    exactly when included; ``reasoning_tokens`` <= ``output_tokens``. Streamed: each summary
    part is added, its text streamed and done, the part done, all before the item's
    ``response.output_item.done``, whose summary is the streamed text.
    """
    request = rs.body(ctx, reasoning=REASONING)
    plain = rs.create(ctx, request, optional="reasoning")
    for index, item in _reasoning_items(plain, "not streamed"):
        _require_item(item, f"output[{index}]", plain.exchange, encrypted=False)
    _require_first(plain)
    _require_tokens(plain.response, plain.exchange, "")
    included = rs.create(ctx, {**request, "include": [ENCRYPTED]}, optional="include")
    for index, item in _reasoning_items(included, "with include"):
        _require_item(item, f"output[{index}]", included.exchange, encrypted=True)
    stream = rs.stream(ctx, request, optional="reasoning")
    _require_stream(stream)
    _require_tokens(stream.terminal_response(), stream.exchange, "response.")
