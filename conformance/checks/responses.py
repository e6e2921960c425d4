"""The Responses API, not streamed: the ``Response`` object and what it carries.

Its fields, usage, input items, and function calls with their outputs (truncation, chaining,
retrieval and ``text.format``: ``responses_params.py``).

A server without ``/v1/responses`` reports every check here as unsupported.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from conformance.checks import _responses as rs
from conformance.checks._shared import dumps
from conformance.context import CheckContext
from conformance.failures import Unsupported, Violation
from conformance.registry import check
from conformance.responses_wire import ResponseUsage, validate_item, validate_response
from conformance.validation import validate

WEATHER_OUTPUT = '{"city": "Paris", "temperature_c": 18, "conditions": "sunny"}'


def _usage_valid(response: dict[str, Any]) -> bool:
    try:
        ResponseUsage.model_validate(response.get("usage"))
    except ValidationError:
        return False
    return True


@check(
    id="responses.response.schema",
    feature="responses",
    spec="Response (required: id, object `response`, created_at, error, incomplete_details, "
    "instructions, model, tools, output, parallel_tool_calls, metadata, tool_choice, "
    "temperature, top_p); OutputMessage; OutputTextContent",
)
def response_schema(ctx: CheckContext) -> None:
    """A ``POST /responses`` answer is a ``Response``, field by field, as are a stream's.

    The output message and its ``output_text`` parts have their required keys
    (``annotations``, ``logprobs``). The strict official client accepts it.
    """
    answer = rs.create(ctx, rs.body(ctx))
    validate_response(answer.response, exchange=answer.exchange, owners=rs.RESPONSE_OWNERS)
    if not answer.items("message"):
        raise Violation(
            "output",
            'a message item (type "message") for a text answer',
            dumps(answer.response["output"])[:200],
            exchange=answer.exchange,
        )
    stream = rs.stream(ctx, rs.body(ctx))
    for event in stream.lifecycle():
        validate_response(
            event.data["response"],
            exchange=stream.exchange,
            prefix=f"events[{event.position}].response",
            owners=rs.RESPONSE_OWNERS,
        )
    exchange = answer.exchange
    try:
        ctx.client(strict=True).responses.create(**rs.body(ctx))
    except Exception as exc:
        if not _usage_valid(answer.response):
            raise Violation(
                "usage",
                "a ResponseUsage",
                dumps(answer.response.get("usage")),
                owner=rs.USAGE,
                exchange=exchange,
            ) from exc
        raise Violation(
            "<client>",
            "responses.create() with strict validation without an error",
            f"{type(exc).__name__}: {exc}",
            level="strict",
            exchange=exchange,
        ) from exc


@check(
    id="responses.usage",
    feature="responses",
    spec="ResponseUsage (required: input_tokens, input_tokens_details{cached_tokens, "
    "cache_write_tokens}, output_tokens, output_tokens_details{reasoning_tokens}, total_tokens)",
)
def response_usage(ctx: CheckContext) -> None:
    """A ``Response`` reports ``usage`` with the Responses API's names, streamed or not.

    ``input_tokens`` / ``output_tokens``, not chat's ``prompt_tokens`` /
    ``completion_tokens``; ``total_tokens`` is their sum; an answer with text has output
    tokens. The terminal event of a stream carries the same kind of ``usage``.
    """
    answer = rs.create(ctx, rs.body(ctx))
    stream = rs.stream(ctx, rs.body(ctx))
    final = stream.terminal_response()
    for where, response, exchange in (
        ("usage", answer.response, answer.exchange),
        (f"events[{stream.terminal().position}].response.usage", final, stream.exchange),
    ):
        usage = response.get("usage")
        if not isinstance(usage, dict):
            raise Violation(where, "a ResponseUsage object", dumps(usage), exchange=exchange)
        validate(ResponseUsage, usage, exchange=exchange, prefix=where)
        total = usage["input_tokens"] + usage["output_tokens"]
        if usage["total_tokens"] != total:
            raise Violation(
                f"{where}.total_tokens",
                f"input_tokens + output_tokens = {total}",
                str(usage["total_tokens"]),
                exchange=exchange,
            )
    if rs.output_text(answer) and answer.response["usage"]["output_tokens"] <= 0:
        raise Violation(
            "usage.output_tokens",
            "more than 0 for an answer with text",
            str(answer.response["usage"]["output_tokens"]),
            exchange=answer.exchange,
        )


def input_items_answer(ctx: CheckContext) -> rs.ResponseAnswer:
    """An answer to ``input`` given as an array of message items (with ``instructions``).

    Raises:
        Unsupported: no Responses API.
        Violation: the array was refused or answered without the outline (owned by
            ``responses.input-items``).
    """
    rs.create(ctx, rs.body(ctx))  # the API exists: a refusal below is about the array
    items = [
        {"type": "message", "role": "user", "content": [{"type": "input_text", "text": rs.PROMPT}]}
    ]
    request = rs.body(ctx, input=items, instructions="Answer in one short sentence.")
    result = ctx.post("/responses", request)
    if not 200 <= result.status < 300:
        raise Violation(
            "<status>",
            "200 for `input` given as an array of message items",
            f"{result.status} {result.text(200)}",
            owner=rs.INPUT_ITEMS,
            exchange=result.exchange,
        )
    return rs.ResponseAnswer(result, rs.outline(result.json_or_none(), result.exchange))


@check(
    id="responses.input-items",
    feature="responses",
    spec="CreateResponse.input: a string, or an array of input items (EasyInputMessage, "
    "InputMessage with input_text parts, ...); instructions",
)
def input_items(ctx: CheckContext) -> None:
    """``input`` is accepted as an array of message items, not only as a string.

    A message with ``input_text`` content parts and ``instructions`` next to it get a
    completed ``Response`` with a message (SGLang refused the array form).
    """
    answer = input_items_answer(ctx)
    if answer.response.get("status") not in ("completed", "incomplete"):
        raise Violation(
            "status",
            "completed",
            dumps(answer.response.get("status")),
            exchange=answer.exchange,
        )
    if not answer.response["output"]:
        raise Violation("output", "at least one output item", "[]", exchange=answer.exchange)


def function_call_answer(
    ctx: CheckContext, *, forced_owner: str = rs.FUNCTION_CALL
) -> tuple[rs.ResponseAnswer, list[dict[str, Any]]]:
    """An answer that calls ``get_weather`` (``tool_choice: required``) and its calls.

    Args:
        ctx: the check's context.
        forced_owner: the owner of "no call although ``tool_choice: required`` was accepted".
            ``responses.function-call`` passes ``tools.choice-required``: that a forced call
            is made is that check's rule (not applicable to a fixture mock, whose fixture
            decides whether an answer calls a tool), its own is the shape of the call.

    Raises:
        Unsupported: the server refuses function tools.
        Violation: no ``function_call`` item (owned by ``forced_owner``, or by
            ``responses.function-call`` when ``tool_choice: required`` was refused).
    """
    owner = forced_owner
    try:
        answer = rs.create(
            ctx, rs.tool_body(ctx), optional="function tools with tool_choice: required"
        )
    except Unsupported:
        answer = rs.create(ctx, rs.tool_body(ctx, tool_choice=None), optional="function tools")
        owner = rs.FUNCTION_CALL
    calls = answer.items("function_call")
    if not calls:
        raise Violation(
            "output",
            'a function_call item calling get_weather (tool_choice: "required")',
            dumps(answer.response["output"])[:200],
            owner=owner,
            exchange=answer.exchange,
        )
    return answer, calls


def _arguments(call: dict[str, Any], where: str, exchange: Any, owner: str | None) -> Any:
    arguments = call.get("arguments")
    if not isinstance(arguments, str):
        raise Violation(
            f"{where}.arguments",
            "a JSON string (FunctionToolCall.arguments)",
            dumps(arguments)[:160],
            owner=owner,
            exchange=exchange,
        )
    try:
        return json.loads(arguments)
    except ValueError:
        raise Violation(
            f"{where}.arguments", "a string holding JSON", arguments[:160], exchange=exchange
        ) from None


@check(
    id="responses.function-call",
    feature="responses",
    spec="FunctionToolCall (required: type `function_call`, call_id, name, arguments: a JSON "
    "string); ResponseFunctionCallArgumentsDoneEvent.arguments",
)
def function_call(ctx: CheckContext) -> None:
    """A forced function call is a ``function_call`` item whose ``arguments`` is a JSON string.

    It has ``call_id`` and ``name``, streamed or not. The arguments parse as a JSON object;
    streamed, ``function_call_arguments.done`` carries
    the same string as its item. A server that refuses function tools reports unsupported.
    """
    answer, calls = function_call_answer(ctx, forced_owner=rs.TOOL_CHOICE_REQUIRED)
    for call in calls:
        where = f"output[{answer.response['output'].index(call)}]"
        validate_item(call, exchange=answer.exchange, prefix=where)
        if call["name"] != "get_weather":
            raise Violation(
                f"{where}.name",
                "get_weather (the only tool)",
                dumps(call["name"]),
                exchange=answer.exchange,
            )
        value = _arguments(call, where, answer.exchange, None)
        if not isinstance(value, dict):
            raise Violation(
                f"{where}.arguments", "a JSON object", dumps(value)[:160], exchange=answer.exchange
            )
    stream = rs.stream(ctx, rs.tool_body(ctx), optional="function tools")
    done = stream.of_type("response.function_call_arguments.done")
    if not done:
        raise Violation(
            "<stream>",
            "a response.function_call_arguments.done event",
            f"event types {sorted({e.type for e in stream.events})}",
            exchange=stream.exchange,
        )
    for event in done:
        _arguments(event.data, f"events[{event.position}]", stream.exchange, None)
    for event in stream.of_type("response.output_item.done"):
        item = event.data.get("item")
        if isinstance(item, dict) and item.get("type") == "function_call":
            validate_item(item, exchange=stream.exchange, prefix=f"events[{event.position}].item")


@check(
    id="responses.function-call-output",
    feature="responses",
    spec="FunctionCallOutputItemParam {type `function_call_output`, call_id, output} as an "
    "input item: the round trip function_call -> function_call_output -> answer",
)
def function_call_output(ctx: CheckContext) -> None:
    """A tool's result sent back as a ``function_call_output`` item gets an answer.

    The input holds the user's message, the model's ``function_call`` (as it came) and the
    ``function_call_output`` with its ``call_id``: the answer is a ``Response`` with output.
    """
    first, calls = function_call_answer(ctx)
    call = calls[0]
    where = f"output[{first.response['output'].index(call)}]"
    _arguments(call, where, first.exchange, rs.FUNCTION_CALL)
    input_items_answer(ctx)  # an array input works, so a refusal below is about the item
    items = [
        {"role": "user", "content": rs.WEATHER_PROMPT},
        {
            "type": "function_call",
            "call_id": call.get("call_id"),
            "name": call.get("name"),
            "arguments": call.get("arguments"),
        },
        {"type": "function_call_output", "call_id": call.get("call_id"), "output": WEATHER_OUTPUT},
    ]
    request = rs.body(ctx, input=items, tools=[rs.WEATHER_TOOL])
    result = ctx.post("/responses", request)
    if not 200 <= result.status < 300:
        raise Violation(
            "<status>",
            "200 for a function_call_output input item",
            f"{result.status} {result.text(200)}",
            exchange=result.exchange,
        )
    answer = rs.ResponseAnswer(result, rs.outline(result.json_or_none(), result.exchange))
    if not answer.response["output"]:
        raise Violation("output", "at least one output item", "[]", exchange=answer.exchange)
