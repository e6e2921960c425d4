"""The rules a Responses stream's events keep, as functions of the stream and a rule owner.

Each raises a ``Violation`` owned by ``owner``: None when the check of that rule runs it,
the rule's check id when ``responses.stream.lifecycle`` applies it to its own stream (so it
reports *blocked by* that check). The order of item events follows the official client's
``responses.stream()`` state machine.
"""

from __future__ import annotations

from typing import Any

from conformance.checks import _responses as rs
from conformance.checks._shared import dumps
from conformance.failures import Violation

CONTENT_EVENTS = frozenset(
    {
        "response.output_text.delta",
        "response.output_text.done",
        "response.refusal.delta",
        "response.refusal.done",
        "response.content_part.done",
    }
)
ARGUMENT_EVENTS = frozenset(
    {"response.function_call_arguments.delta", "response.function_call_arguments.done"}
)


def require_sequence(stream: rs.ResponseStream, owner: str | None) -> None:
    """Every event has an integer ``sequence_number``, strictly increasing.

    Raises:
        Violation: one is missing, not an integer, or not above the one before.
    """
    last: int | None = None
    for event in stream.events:
        number = event.data.get("sequence_number")
        where = f"events[{event.position}].sequence_number"
        if not isinstance(number, int) or isinstance(number, bool):
            raise Violation(
                where,
                "an integer (required in every stream event)",
                "no such key" if "sequence_number" not in event.data else dumps(number),
                owner=owner,
                exchange=stream.exchange,
            )
        if number < 0 or (last is not None and number <= last):
            raise Violation(
                where,
                f"more than {last}" if last is not None else "0 or more",
                str(number),
                owner=owner,
                exchange=stream.exchange,
            )
        last = number


def require_stable_id(stream: rs.ResponseStream, owner: str | None) -> None:
    """Every lifecycle event carries a ``response`` with the same ``id``.

    Raises:
        Violation: two differ.
    """
    lifecycle = stream.lifecycle()
    if not lifecycle:
        return
    first = lifecycle[0].data["response"].get("id")
    for event in lifecycle[1:]:
        found = event.data["response"].get("id")
        if found != first:
            raise Violation(
                f"events[{event.position}].response.id",
                f"{dumps(first)}, as in {lifecycle[0].type}",
                dumps(found),
                owner=owner,
                exchange=stream.exchange,
            )


def _item_key(item: Any) -> tuple[Any, ...]:
    if not isinstance(item, dict):
        return (item,)
    return (item.get("type"), item.get("id"), item.get("call_id"))


def require_item_order(stream: rs.ResponseStream, owner: str | None) -> None:
    """Item events come in the order the spec's state machine needs.

    ``response.output_item.added`` opens output index 0, 1, 2, ... in turn; every content
    event needs its item (of the right type, ``item_id`` equal to the item's ``id``) and its
    ``content_part.added``; ``output_text.done`` / ``function_call_arguments.done`` carry the
    joined deltas; every item is closed by ``output_item.done`` with the same identity before
    the terminal event.

    Raises:
        Violation: the first event out of order (owned by ``owner``; a function call's
            arguments that are not a string by ``responses.function-call``).
    """
    items: dict[int, dict[str, Any]] = {}
    parts: set[tuple[int, Any]] = set()
    texts: dict[tuple[int, Any], str] = {}
    arguments: dict[int, str] = {}
    closed: set[int] = set()

    def fail(event: rs.ResponseEvent, field: str, expected: str, got: str) -> Violation:
        return Violation(
            f"events[{event.position}]{field}",
            expected,
            got,
            owner=owner,
            exchange=stream.exchange,
        )

    for event in stream.events:
        data = event.data
        kind = event.type
        index = data.get("output_index")
        if kind == "response.output_item.added":
            if index != len(items):
                raise fail(event, ".output_index", f"{len(items)} (the next item)", dumps(index))
            added = data.get("item")
            items[index] = added if isinstance(added, dict) else {}
            continue
        if kind not in CONTENT_EVENTS | ARGUMENT_EVENTS | {
            "response.content_part.added",
            "response.output_item.done",
        }:
            continue
        if not isinstance(index, int) or index not in items:
            raise fail(
                event,
                ".output_index",
                "the index of an item opened by response.output_item.added",
                f"{dumps(index)} before its output_item.added ({kind})",
            )
        item = items[index]
        if kind == "response.output_item.done":
            done_item = data.get("item")
            if _item_key(done_item) != _item_key(item):
                raise fail(
                    event,
                    ".item",
                    f"the item added at output_index {index}: {dumps(_item_key(item))}",
                    dumps(_item_key(done_item)),
                )
            closed.add(index)
            continue
        if "item_id" in item and data.get("item_id") != item["id"]:
            raise fail(event, ".item_id", dumps(item["id"]), dumps(data.get("item_id")))
        wanted = "function_call" if kind in ARGUMENT_EVENTS else "message"
        if item.get("type") != wanted:
            raise fail(
                event, "", f"{kind} for a {wanted} item", f"an item of type {item.get('type')}"
            )
        if kind in ARGUMENT_EVENTS:
            so_far = arguments.get(index, "")
            if kind.endswith(".delta"):
                arguments[index] = so_far + str(data.get("delta", ""))
            elif not isinstance(data.get("arguments"), str):
                raise Violation(
                    f"events[{event.position}].arguments",
                    "a JSON string",
                    dumps(data.get("arguments"))[:120],
                    owner=rs.FUNCTION_CALL,
                    exchange=stream.exchange,
                )
            elif data["arguments"] != so_far:
                expected = f"the joined deltas {dumps(so_far)[:80]}"
                raise fail(event, ".arguments", expected, dumps(data["arguments"])[:80])
            continue
        part = (index, data.get("content_index"))
        if kind == "response.content_part.added":
            parts.add(part)
            continue
        if part not in parts:
            raise fail(
                event,
                ".content_index",
                "a content part opened by response.content_part.added",
                f"{dumps(part[1])} before its content_part.added ({kind})",
            )
        if kind == "response.output_text.delta":
            texts[part] = texts.get(part, "") + str(data.get("delta", ""))
        elif kind == "response.output_text.done" and data.get("text") != texts.get(part, ""):
            expected = f"the joined deltas {dumps(texts.get(part, ''))[:80]}"
            raise fail(event, ".text", expected, dumps(data.get("text"))[:80])
    still_open = sorted(set(items) - closed)
    if still_open:
        raise Violation(
            "<stream>",
            "a response.output_item.done for every added item",
            f"output_index {still_open} never done",
            owner=owner,
            exchange=stream.exchange,
        )


def require_final_output(stream: rs.ResponseStream, owner: str | None) -> None:
    """The terminal event's ``response.output`` holds the items the stream closed, in order.

    Raises:
        Violation: it is empty or differs from the ``output_item.done`` items.
    """
    final = stream.terminal_response()
    done = [e.data.get("item") for e in stream.of_type("response.output_item.done")]
    where = f"events[{stream.terminal().position}].response.output"
    if not final["output"]:
        raise Violation(
            where,
            f"the {len(done)} item(s) of the output_item.done events",
            "[]",
            owner=owner,
            exchange=stream.exchange,
        )
    if [_item_key(i) for i in final["output"]] != [_item_key(i) for i in done]:
        raise Violation(
            where,
            f"the output_item.done items {dumps([_item_key(i) for i in done])[:120]}",
            dumps([_item_key(i) for i in final["output"]])[:120],
            owner=owner,
            exchange=stream.exchange,
        )
    for position, (got, want) in enumerate(zip(final["output"], done, strict=True)):
        if got != want:
            raise Violation(
                f"{where}[{position}]",
                f"the item of its output_item.done: {dumps(want)[:100]}",
                dumps(got)[:100],
                owner=owner,
                exchange=stream.exchange,
            )
