"""Tool calls, non-streamed, and ``tool_choice``: required, named, none; parallel calls.

A server passes these by calling a tool when ``tool_choice`` forces one. A model free to
choose (``auto``) is not judged on whether it calls. A server that refuses ``tools`` (or
one ``tool_choice`` form) with a clean 4xx reports that part as unsupported.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel

from conformance.answers import CHAT_SCHEMA, ChatAnswer, ChatStream
from conformance.checks._shared import FINISH_PRESENT, dumps, finish_reason, helper_final
from conformance.context import CheckContext
from conformance.failures import Unsupported, Violation
from conformance.registry import check
from conformance.validation import validate
from conformance.wire import ChatCompletion

CHOICE_REQUIRED = "tools.choice-required"
ARGUMENTS_JSON = "tools.arguments-json"
PARALLEL = "tools.parallel"


def _function(name: str, description: str) -> dict[str, Any]:
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": description,
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string", "description": "The city name"}},
                "required": ["city"],
                "additionalProperties": False,
            },
        },
    }


WEATHER_TOOL = _function("get_weather", "Get the current weather in a city.")
TIME_TOOL = _function("get_time", "Get the current local time in a city.")
WEATHER_PROMPT = "What is the weather in Paris right now? Use the get_weather tool."
TOOL_OWNERS = (
    ("choices[*].message.tool_calls[*].function.arguments", ARGUMENTS_JSON),
    ("choices[*].finish_reason=null", FINISH_PRESENT),
    ("choices[*].message.tool_calls*", ""),
    ("*", CHAT_SCHEMA),
)
"""Owners of the rules a tool-call answer can break: the tool-call fields are this module's."""


class GetWeather(BaseModel):
    """The arguments of ``get_weather``, for the official client's ``.parse()``."""

    city: str


def _user(text: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": text}]


def tool_request(**extra: Any) -> dict[str, Any]:
    """Overrides for a chat request that forces a ``get_weather`` call."""
    return {
        "messages": _user(WEATHER_PROMPT),
        "tools": [WEATHER_TOOL],
        "tool_choice": "required",
        **extra,
    }


def tool_call_answer(ctx: CheckContext) -> ChatAnswer:
    """A non-streamed answer that calls ``get_weather`` (``tool_choice: required``).

    Raises:
        Unsupported: the server refuses ``tools``; or it refuses ``tool_choice: required``
            and the model, free to choose, calls no tool.
        Violation: no tool call (owned by ``tools.choice-required``).
    """
    try:
        answer = ctx.chat(optional="tools with tool_choice: required", **tool_request())
        refused = None
    except Unsupported as exc:
        refused = exc.reason
        answer = ctx.chat(optional="tools", **tool_request(tool_choice=None))
    calls = answer.message().get("tool_calls")
    if not isinstance(calls, list) or not calls:
        if refused is not None:
            raise Unsupported(
                f"{refused}; with tool_choice auto the model chose not to call a tool",
                exchange=answer.exchange,
            )
        raise Violation(
            "choices[0].message.tool_calls",
            "a call of get_weather (tool_choice: required)",
            dumps(answer.message())[:160],
            owner=CHOICE_REQUIRED,
            exchange=answer.exchange,
        )
    return answer


def tool_call_stream(ctx: CheckContext, **extra: Any) -> ChatStream:
    """A streamed answer that calls ``get_weather`` (``tool_choice: required``).

    Raises:
        Unsupported: the server refuses ``tools``; or it refuses ``tool_choice: required``
            and the model, free to choose, calls no tool.
        Violation: no tool-call delta (owned by ``tools.choice-required``).
    """
    try:
        stream = ctx.chat_stream(
            optional="tools with tool_choice: required", **tool_request(**extra)
        )
        refused = None
    except Unsupported as exc:
        refused = exc.reason
        stream = ctx.chat_stream(optional="tools", **tool_request(tool_choice=None, **extra))
    if not any(
        item["delta"].get("tool_calls")
        for items in stream.choice_chunks().values()
        for _, item in items
    ):
        if refused is not None:
            raise Unsupported(
                f"{refused}; with tool_choice auto the model chose not to call a tool",
                exchange=stream.exchange,
            )
        raise Violation(
            "chunks[*].choices[*].delta.tool_calls",
            "tool-call deltas (tool_choice: required)",
            "no tool_calls in any delta",
            owner=CHOICE_REQUIRED,
            exchange=stream.exchange,
        )
    return stream


def _calls(answer: ChatAnswer) -> list[dict[str, Any]]:
    calls = answer.message().get("tool_calls")
    assert isinstance(calls, list)
    return [c if isinstance(c, dict) else {} for c in calls]


@check(
    id="tools.call-shape",
    feature="tools",
    spec="ChatCompletionMessageToolCall (required: id, type `function`, function {name, "
    "arguments}); ChatCompletionResponseMessage.tool_calls",
)
def tool_call_shape(ctx: CheckContext) -> None:
    """A non-streamed tool call has an ``id``, ``type: function`` and an offered function name.

    The strict official client accepts the answer.
    """
    answer = tool_call_answer(ctx)
    validate(ChatCompletion, answer.body, exchange=answer.exchange, owners=TOOL_OWNERS)
    for position, call in enumerate(_calls(answer)):
        where = f"choices[0].message.tool_calls[{position}]"
        if not call.get("id"):
            raise Violation(
                f"{where}.id", "a non-empty id", dumps(call.get("id")), exchange=answer.exchange
            )
        name = call.get("function", {}).get("name")
        if name != "get_weather":
            raise Violation(
                f"{where}.function.name",
                '"get_weather" (the offered tool)',
                dumps(name),
                exchange=answer.exchange,
            )
    with ctx.client_step("strict", answer.exchange, "create() with tools, strict validation"):
        ctx.client(strict=True).chat.completions.create(**answer.exchange.body)


def _arguments_object(value: Any, where: str, exchange: Any) -> None:
    if not isinstance(value, str):
        raise Violation(
            where,
            "a JSON string (the arguments as JSON text)",
            f"{type(value).__name__}: {dumps(value)[:120]}",
            exchange=exchange,
            note="the strict client rejects it and the helpers call json.loads on it",
        )
    try:
        parsed = json.loads(value)
    except ValueError:
        raise Violation(where, "valid JSON text", dumps(value)[:160], exchange=exchange) from None
    if not isinstance(parsed, dict):
        raise Violation(where, "a JSON object", dumps(value)[:160], exchange=exchange)


@check(
    id="tools.arguments-json",
    feature="tools",
    spec="ChatCompletionMessageToolCall.function.arguments: the arguments to call the function "
    "with, as generated by the model in JSON format (a string)",
)
def arguments_json(ctx: CheckContext) -> None:
    """Tool-call ``arguments`` is a string of JSON (an object), streamed and not.

    Streamed fragments are strings whose concatenation is a JSON object, and the official
    ``.parse()`` helper with a strict function tool parses them into the tool's model.
    """
    from conformance.checks.tools_streaming import assemble

    answer = tool_call_answer(ctx)
    for position, call in enumerate(_calls(answer)):
        value = call.get("function", {}).get("arguments")
        _arguments_object(
            value, f"choices[0].message.tool_calls[{position}].function.arguments", answer.exchange
        )
    stream = tool_call_stream(ctx)
    for streamed in assemble(stream):
        _arguments_object(
            "".join(streamed.arguments),
            f"<stream>.tool_calls[{streamed.index}].arguments",
            stream.exchange,
        )
    _parse_helper(ctx, answer)


def _parse_helper(ctx: CheckContext, answer: ChatAnswer) -> None:
    import openai

    kwargs = ctx.chat_body(
        messages=_user(WEATHER_PROMPT),
        tools=[openai.pydantic_function_tool(GetWeather, name="get_weather")],
        tool_choice="required",
    )
    exchange = ctx.exchange(
        "POST", "/chat/completions", {**kwargs, "tools": "<strict get_weather>"}
    )
    try:
        completion = ctx.helpers().parse(**kwargs)
    except openai.BadRequestError:
        return  # strict function tools refused: the raw level above stands
    except Exception as exc:
        raise Violation(
            "<client>",
            ".parse() with a strict function tool without an error",
            f"{type(exc).__name__}: {exc}",
            level="helper",
            exchange=exchange,
        ) from exc
    calls = completion.choices[0].message.tool_calls or []
    if calls and not isinstance(calls[0].function.parsed_arguments, GetWeather):
        raise Violation(
            "<helper>.tool_calls[0].function.parsed_arguments",
            "the arguments parsed into the tool's model",
            repr(calls[0].function.parsed_arguments)[:120],
            level="helper",
            exchange=exchange,
        )


@check(
    id="tools.finish-reason",
    feature="tools",
    spec="CreateChatCompletionResponse.choices[].finish_reason: `tool_calls` if the model "
    "called a tool",
    severity="should",
)
def tool_finish_reason(ctx: CheckContext) -> None:
    """An answer that calls a tool ends with ``finish_reason: tool_calls``, streamed and not.

    (OpenAI itself has sent ``stop`` with tool calls for some models; clients that loop on
    ``tool_calls`` stop early when it happens.)
    """
    answer = tool_call_answer(ctx)
    reason = answer.choices[0].get("finish_reason")
    if reason is None:
        raise Violation(
            "choices[0].finish_reason",
            "tool_calls",
            "null",
            owner=FINISH_PRESENT,
            exchange=answer.exchange,
        )
    if reason != "tool_calls":
        raise Violation(
            "choices[0].finish_reason", "tool_calls", dumps(reason), exchange=answer.exchange
        )
    stream = tool_call_stream(ctx)
    streamed = finish_reason(stream)
    if streamed != "tool_calls":
        raise Violation(
            "<stream>.finish_reason", "tool_calls", dumps(streamed), exchange=stream.exchange
        )


@check(
    id="tools.choice-required",
    feature="tools",
    spec="ChatCompletionToolChoiceOption: `required` means the model must call one or more tools",
)
def choice_required(ctx: CheckContext) -> None:
    """``tool_choice: required`` makes the answer a tool call, even to "Say hello."."""
    answer = ctx.chat(
        optional="tool_choice: required",
        messages=_user("Say hello."),
        tools=[WEATHER_TOOL],
        tool_choice="required",
    )
    calls = answer.message().get("tool_calls")
    if not isinstance(calls, list) or not calls:
        raise Violation(
            "choices[0].message.tool_calls",
            "at least one tool call (tool_choice: required)",
            dumps(answer.message())[:160],
            exchange=answer.exchange,
        )


@check(
    id="tools.choice-named",
    feature="tools",
    spec="ChatCompletionNamedToolChoice: {type: function, function: {name}} forces the model "
    "to call that function",
)
def choice_named(ctx: CheckContext) -> None:
    """A named ``tool_choice`` calls exactly that function, even when another fits better.

    Asked for the time with ``get_time`` and ``get_weather`` offered and ``get_weather``
    forced, every call is of ``get_weather``.
    """
    answer = ctx.chat(
        optional="a named tool_choice",
        messages=_user("What time is it in Tokyo?"),
        tools=[TIME_TOOL, WEATHER_TOOL],
        tool_choice={"type": "function", "function": {"name": "get_weather"}},
    )
    calls = answer.message().get("tool_calls")
    if not isinstance(calls, list) or not calls:
        raise Violation(
            "choices[0].message.tool_calls",
            "a call of get_weather (the named tool_choice)",
            dumps(answer.message())[:160],
            exchange=answer.exchange,
        )
    names = [c.get("function", {}).get("name") if isinstance(c, dict) else None for c in calls]
    if any(name != "get_weather" for name in names):
        raise Violation(
            "choices[0].message.tool_calls[*].function.name",
            '"get_weather" only (the named tool_choice)',
            dumps(names),
            exchange=answer.exchange,
        )


@check(
    id="tools.choice-none",
    feature="tools",
    spec="ChatCompletionToolChoiceOption: `none` means the model will not call any tool and "
    "instead generates a message",
)
def choice_none(ctx: CheckContext) -> None:
    """``tool_choice: none`` gets a text answer and no tool call, even to a weather question."""
    answer = ctx.chat(
        optional="tool_choice: none",
        messages=_user(WEATHER_PROMPT),
        tools=[WEATHER_TOOL],
        tool_choice="none",
    )
    message = answer.message()
    if message.get("tool_calls"):
        raise Violation(
            "choices[0].message.tool_calls",
            "no tool call (tool_choice: none)",
            dumps(message["tool_calls"])[:160],
            exchange=answer.exchange,
        )
    if answer.choices[0].get("finish_reason") == "tool_calls":
        raise Violation(
            "choices[0].finish_reason",
            "not tool_calls (tool_choice: none)",
            '"tool_calls"',
            exchange=answer.exchange,
        )


PARALLEL_PROMPT = "Call both tools now, in parallel: get_weather for Paris and get_time for Tokyo."


@check(
    id="tools.parallel",
    feature="tools",
    spec="CreateChatCompletionRequest.parallel_tool_calls; ChatCompletionMessageToolCallChunk."
    "index: one index per tool call",
)
def parallel_calls(ctx: CheckContext) -> None:
    """Parallel tool calls get distinct ids and, streamed, distinct indexes 0, 1, ...

    The official ``.stream()`` helper, which merges fragments by ``index``, ends with every
    call intact. A server that makes a single call has nothing to show here (unsupported).
    """
    from conformance.checks.tools_streaming import assemble

    extra: dict[str, Any] = {
        "messages": _user(PARALLEL_PROMPT),
        "tools": [WEATHER_TOOL, TIME_TOOL],
        "tool_choice": "required",
        "parallel_tool_calls": True,
    }
    answer = ctx.chat(optional="parallel tool calls", **extra)
    calls = answer.message().get("tool_calls") or []
    if not calls:
        raise Violation(
            "choices[0].message.tool_calls",
            "tool calls (tool_choice: required)",
            dumps(answer.message())[:160],
            owner=CHOICE_REQUIRED,
            exchange=answer.exchange,
        )
    if len(calls) < 2:
        raise Unsupported("the server made one tool call where two were asked for")
    ids = [c.get("id") for c in calls if isinstance(c, dict)]
    if not all(isinstance(i, str) and i for i in ids):
        raise Violation(
            "choices[0].message.tool_calls[*].id",
            "an id on every call",
            dumps(ids),
            owner="tools.call-shape",
            exchange=answer.exchange,
        )
    if len(set(ids)) != len(ids):
        raise Violation(
            "choices[0].message.tool_calls[*].id",
            "distinct ids",
            dumps(ids),
            exchange=answer.exchange,
        )
    stream = ctx.chat_stream(optional="parallel tool calls", **extra)
    streamed = assemble(stream)
    indexes = [call.index for call in streamed]
    if indexes != list(range(len(streamed))) or len(streamed) < 2:
        raise Violation(
            "<stream>.tool_calls[*].index",
            "one index per call, 0, 1, ... in order",
            dumps(indexes),
            exchange=stream.exchange,
        )
    final = helper_final(ctx, stream.exchange.body)
    names = [c.function.name for c in final.choices[0].message.tool_calls or []]
    if names != [call.name for call in streamed]:
        raise Violation(
            "<helper>.tool_calls[*].function.name",
            dumps([call.name for call in streamed]),
            dumps(names),
            level="helper",
            exchange=stream.exchange,
        )
