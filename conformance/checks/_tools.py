"""What the tool checks share: the tools, the forced calls, the streamed calls put together.

The tools offered, the requests that force a call (streamed or not), the calls of a stream
assembled from their fragments, and the ids of the checks that own their rules. A server
that refuses ``tools`` (or ``tool_choice: required``) and, free to choose, calls no tool
reports the tool checks unsupported; a streamed fragment that breaks a rule raises a
``Violation`` owned by the check whose rule it is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from conformance.answers import CHUNK_SCHEMA, ChatAnswer, ChatStream
from conformance.checks._shared import dumps
from conformance.context import CheckContext
from conformance.failures import Unsupported, Violation

CHOICE_REQUIRED = "tools.choice-required"
ARGUMENTS_JSON = "tools.arguments-json"
PARALLEL = "tools.parallel"
INDEX = "tools.stream.index"
CALL_ID = "tools.stream.call-id"
NAME = "tools.stream.function-name"


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


def user_messages(text: str) -> list[dict[str, str]]:
    """``messages`` of one user turn saying ``text``."""
    return [{"role": "user", "content": text}]


def tool_request(**extra: Any) -> dict[str, Any]:
    """Overrides for a chat request that forces a ``get_weather`` call."""
    return {
        "messages": user_messages(WEATHER_PROMPT),
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
