"""Streamed tool calls: ``index`` on every fragment; ``id``, ``type`` and name on the first."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from conformance.answers import CHUNK_SCHEMA, ChatStream
from conformance.checks._shared import dumps, helper_final
from conformance.checks.tools import ARGUMENTS_JSON, PARALLEL, tool_call_stream
from conformance.context import CheckContext
from conformance.failures import Violation
from conformance.registry import check

INDEX = "tools.stream.index"
CALL_ID = "tools.stream.call-id"
NAME = "tools.stream.function-name"


@dataclass
class StreamedCall:
    """One tool call put together from its fragments."""

    index: int
    id: Any
    type: Any
    name: Any
    first_position: int
    arguments: list[str] = field(default_factory=list)


def assemble(stream: ChatStream, choice: int = 0) -> list[StreamedCall]:
    """The tool calls of one streamed choice, in order of their first fragment.

    Raises:
        Violation: a fragment without an integer ``index`` (owned by ``tools.stream.index``);
            a first fragment without ``id`` or ``type: function`` (``tools.stream.call-id``)
            or without ``function.name`` (``tools.stream.function-name``); arguments that are
            not a string (``tools.arguments-json``); a second call at an index already used
            (``tools.parallel``).
    """
    calls: dict[int, StreamedCall] = {}
    for position, item in stream.choice_chunks().get(choice, []):
        fragments = item["delta"].get("tool_calls")
        if fragments is None:
            continue
        where = f"chunks[{position}].choices[index={choice}].delta.tool_calls"
        if not isinstance(fragments, list):
            raise Violation(
                where,
                "an array",
                dumps(fragments)[:120],
                owner=CHUNK_SCHEMA,
                exchange=stream.exchange,
            )
        for i, fragment in enumerate(fragments):
            at = f"{where}[{i}]"
            if not isinstance(fragment, dict):
                raise Violation(
                    at,
                    "an object",
                    dumps(fragment)[:120],
                    owner=CHUNK_SCHEMA,
                    exchange=stream.exchange,
                )
            index = fragment.get("index")
            if not isinstance(index, int) or isinstance(index, bool):
                raise Violation(
                    f"{at}.index",
                    "an integer index on every fragment",
                    "no such key" if "index" not in fragment else dumps(index),
                    owner=INDEX,
                    exchange=stream.exchange,
                    note="the official .stream() helper merges fragments by index",
                )
            function = fragment.get("function")
            if not isinstance(function, dict):
                raise Violation(
                    f"{at}.function",
                    "a function object on every fragment",
                    dumps(function),
                    owner=NAME,
                    exchange=stream.exchange,
                )
            arguments = function.get("arguments", "")
            if arguments is not None and not isinstance(arguments, str):
                raise Violation(
                    f"{at}.function.arguments",
                    "a string fragment of JSON text",
                    dumps(arguments)[:120],
                    owner=ARGUMENTS_JSON,
                    exchange=stream.exchange,
                )
            call = calls.get(index)
            if call is None:
                if not fragment.get("id"):
                    raise Violation(
                        f"{at}.id",
                        "the call's id on its first fragment",
                        dumps(fragment.get("id")) if "id" in fragment else "no such key",
                        owner=CALL_ID,
                        exchange=stream.exchange,
                    )
                if fragment.get("type") != "function":
                    raise Violation(
                        f"{at}.type",
                        '"function" on the first fragment',
                        dumps(fragment.get("type")) if "type" in fragment else "no such key",
                        owner=CALL_ID,
                        exchange=stream.exchange,
                    )
                if not function.get("name"):
                    raise Violation(
                        f"{at}.function.name",
                        "the function name on the call's first fragment",
                        dumps(function.get("name")) if "name" in function else "no such key",
                        owner=NAME,
                        exchange=stream.exchange,
                    )
                call = StreamedCall(
                    index, fragment["id"], fragment["type"], function["name"], position
                )
                calls[index] = call
            else:
                new_id = fragment.get("id")
                if new_id and new_id != call.id:
                    raise Violation(
                        f"{at}",
                        f"more of call {dumps(call.id)} at index {index}, or a new index",
                        f"a call with id {dumps(new_id)} at the same index {index}",
                        owner=PARALLEL,
                        exchange=stream.exchange,
                    )
                name = function.get("name")
                if name and name != call.name:
                    raise Violation(
                        f"{at}.function.name",
                        f"no name, or {dumps(call.name)} again",
                        dumps(name),
                        owner=NAME,
                        exchange=stream.exchange,
                    )
            if arguments:
                call.arguments.append(arguments)
    return sorted(calls.values(), key=lambda c: c.first_position)


@check(
    id="tools.stream.index",
    feature="tools",
    spec="ChatCompletionMessageToolCallChunk.index (required): the first fragment of each call "
    "carries its index, 0, 1, ... in order",
)
def stream_index(ctx: CheckContext) -> None:
    """Every streamed tool-call fragment has an integer ``index``; calls count 0, 1, ...

    The official ``.stream()`` helper (which merges fragments by ``index``) ends with the
    same call the raw fragments give.
    """
    stream = tool_call_stream(ctx)
    calls = assemble(stream)
    indexes = [call.index for call in calls]
    if indexes != list(range(len(calls))):
        raise Violation(
            "<stream>.tool_calls[*].index",
            "0, 1, ... in order",
            dumps(indexes),
            exchange=stream.exchange,
        )
    final = helper_final(ctx, stream.exchange.body)
    helper_calls = final.choices[0].message.tool_calls or []
    got = [(c.function.name, c.function.arguments) for c in helper_calls]
    want = [(c.name, "".join(c.arguments)) for c in calls]
    if got != want:
        raise Violation(
            "<helper>.tool_calls",
            dumps(want),
            dumps(got),
            level="helper",
            exchange=stream.exchange,
        )


@check(
    id="tools.stream.call-id",
    feature="tools",
    spec="ChatCompletionMessageToolCallChunk.id, .type: the first fragment of a call carries "
    "its id and type `function`; later fragments omit them or repeat them",
)
def stream_call_id(ctx: CheckContext) -> None:
    """The first streamed fragment of a tool call carries its ``id`` and ``type: function``.

    Later fragments of the call leave ``id`` out or repeat it.
    """
    stream = tool_call_stream(ctx)
    assemble(stream)


@check(
    id="tools.stream.function-name",
    feature="tools",
    spec="ChatCompletionMessageToolCallChunk.function.name: on the first fragment of a call",
)
def stream_function_name(ctx: CheckContext) -> None:
    """The first streamed fragment of a tool call names an offered function; no rename later."""
    stream = tool_call_stream(ctx)
    for call in assemble(stream):
        if call.name != "get_weather":
            raise Violation(
                f"chunks[{call.first_position}].choices[0].delta.tool_calls[index={call.index}]"
                ".function.name",
                '"get_weather" (the offered tool)',
                dumps(call.name),
                exchange=stream.exchange,
            )
