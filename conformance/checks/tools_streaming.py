"""Streamed tool calls: ``index`` on every fragment; ``id``, ``type`` and name on the first.

The calls are put together from their fragments by ``_tools.assemble``, which raises the
departures these checks own.
"""

from __future__ import annotations

from conformance.checks._shared import dumps, helper_final
from conformance.checks._tools import assemble, tool_call_stream
from conformance.context import CheckContext
from conformance.failures import Violation
from conformance.registry import check


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
