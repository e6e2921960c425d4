"""What the Responses API checks share: requests, answers with their outline checked, owners.

A server without ``/v1/responses`` (a clean 404 or 405) reports every Responses check as
unsupported. An answer whose basic shape is broken raises a ``Violation`` owned by the check
whose rule it is, so the other checks report *blocked by* it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from conformance.checks._shared import LONG_PROMPT
from conformance.context import CheckContext
from conformance.failures import NOT_A_STREAM, Unsupported, Violation
from conformance.http import Exchange, HttpResult, StreamResult
from conformance.sse import SSEEvent

SCHEMA = "responses.response.schema"
USAGE = "responses.usage"
INPUT_ITEMS = "responses.input-items"
FUNCTION_CALL = "responses.function-call"
# Whether a forced tool call is made at all is the rule of chat's tool_choice check (n/a to a
# fixture mock, whose fixture decides whether an answer calls a tool).
TOOL_CHOICE_REQUIRED = "tools.choice-required"
STREAM_SSE = "responses.stream.sse"
SEQUENCE = "responses.stream.sequence-number"
LIFECYCLE = "responses.stream.lifecycle"
EVENT_ORDER = "responses.stream.event-order"
ID_STABLE = "responses.stream.id-stable"
FINAL_OUTPUT = "responses.stream.final-output"
INCOMPLETE = "responses.incomplete"

PROMPT = "Say hello in one short sentence."
MAX_OUTPUT_TOKENS = 64
TRUNCATED_MAX_OUTPUT_TOKENS = 16
"""The smallest ``max_output_tokens`` the API accepts; the long prompt's answer exceeds it."""
LIFECYCLE_TYPES = frozenset(
    {
        "response.created",
        "response.queued",
        "response.in_progress",
        "response.completed",
        "response.incomplete",
        "response.failed",
    }
)
TERMINAL_TYPES = frozenset({"response.completed", "response.incomplete", "response.failed"})

RESPONSE_OWNERS = (
    ("usage", USAGE),
    ("usage.*", USAGE),
    ("output[*].arguments", FUNCTION_CALL),
)
"""Fields of a ``Response`` whose rules other checks own (for ``validate_response``)."""

WEATHER_TOOL: dict[str, Any] = {
    "type": "function",
    "name": "get_weather",
    "description": "Get the current weather in a city.",
    "parameters": {
        "type": "object",
        "properties": {"city": {"type": "string", "description": "The city name"}},
        "required": ["city"],
        "additionalProperties": False,
    },
}
"""A function tool in the Responses API's flat shape (``FunctionTool``)."""
WEATHER_PROMPT = "What is the weather in Paris right now? Use the get_weather tool."


def body(ctx: CheckContext, **overrides: Any) -> dict[str, Any]:
    """The default request (a short string ``input``), with ``overrides``; None removes a key.

    It carries ``max_output_tokens`` and ``temperature: 0`` (the Responses API has no
    ``seed``).
    """
    out: dict[str, Any] = {
        "model": ctx.model,
        "input": PROMPT,
        "max_output_tokens": MAX_OUTPUT_TOKENS,
        "temperature": 0,
    }
    for key, value in overrides.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = value
    return out


def long_body(ctx: CheckContext, **overrides: Any) -> dict[str, Any]:
    """A request whose answer is longer than ``TRUNCATED_MAX_OUTPUT_TOKENS``."""
    return body(ctx, input=LONG_PROMPT, max_output_tokens=TRUNCATED_MAX_OUTPUT_TOKENS, **overrides)


def tool_body(ctx: CheckContext, **overrides: Any) -> dict[str, Any]:
    """A request that forces a ``get_weather`` call (``tool_choice: required``)."""
    forced: dict[str, Any] = {
        "input": WEATHER_PROMPT,
        "tools": [WEATHER_TOOL],
        "tool_choice": "required",
    }
    return body(ctx, **{**forced, **overrides})


def refuse_missing_api(result: HttpResult) -> None:
    """Raise ``Unsupported`` when the server has no ``/responses`` (404 or 405)."""
    if result.status in (404, 405):
        raise Unsupported(
            f"the Responses API: POST /responses answered {result.status}: {result.text(120)}",
            exchange=result.exchange,
        )


@dataclass
class ResponseAnswer:
    """A non-streamed answer whose outline holds: a JSON object with an ``output`` array.

    Attributes:
        result: the HTTP answer.
        response: the decoded ``Response``.
    """

    result: HttpResult
    response: dict[str, Any]

    @property
    def exchange(self) -> Exchange:
        """The request."""
        return self.result.exchange

    def items(self, kind: str) -> list[dict[str, Any]]:
        """The output items of one ``type``."""
        return [i for i in self.response["output"] if isinstance(i, dict) and i.get("type") == kind]


def outline(data: Any, exchange: Exchange, where: str = "<body>") -> dict[str, Any]:
    """``data`` if it is a ``Response`` outline (an object with an ``output`` array).

    Raises:
        Violation: it is not (owned by ``responses.response.schema``).
    """
    if not isinstance(data, dict) or not isinstance(data.get("output"), list):
        raise Violation(
            where,
            "a Response object with an output array",
            json.dumps(data)[:200],
            owner=SCHEMA,
            exchange=exchange,
        )
    return data


def create(
    ctx: CheckContext, request: dict[str, Any], *, optional: str | None = None, cache: bool = True
) -> ResponseAnswer:
    """``POST /responses`` (not streamed), its outline checked.

    Args:
        ctx: the run's context.
        request: the body.
        optional: the optional feature the request uses (a clean 4xx refusal of it is
            ``Unsupported``); None: a 4xx fails (owned by ``responses.response.schema``).
        cache: reuse the answer of an identical earlier request of the run.

    Raises:
        Unsupported: no Responses API, or ``optional`` refused.
        Violation: a non-2xx answer or a body without the outline.
    """
    result = ctx.post("/responses", request, cache=cache)
    refuse_missing_api(result)
    ctx.expect_ok(result, optional=optional, owner=SCHEMA)
    return ResponseAnswer(result, outline(result.json_or_none(), result.exchange))


@dataclass
class ResponseEvent:
    """One event of a Responses stream.

    Attributes:
        sse: the SSE event.
        data: its JSON data (an object with a string ``type``).
        position: its position among the stream's data events, from 0.
    """

    sse: SSEEvent
    data: dict[str, Any]
    position: int

    @property
    def type(self) -> str:
        """``data["type"]``."""
        return str(self.data["type"])


@dataclass
class ResponseStream:
    """A Responses stream whose framing holds: SSE events whose data are typed JSON objects.

    Attributes:
        result: the HTTP answer.
        events: the data events in order (a ``[DONE]``, which some servers add, excluded).
    """

    result: StreamResult
    events: list[ResponseEvent]

    @property
    def exchange(self) -> Exchange:
        """The request."""
        return self.result.exchange

    def of_type(self, *kinds: str) -> list[ResponseEvent]:
        """The events of the given types, in order."""
        return [e for e in self.events if e.type in kinds]

    def lifecycle(self) -> list[ResponseEvent]:
        """The events that carry the whole ``Response`` (created, in_progress, terminal)."""
        return [
            e
            for e in self.events
            if e.type in LIFECYCLE_TYPES and isinstance(e.data.get("response"), dict)
        ]

    def terminal(self) -> ResponseEvent:
        """The terminal event (``response.completed`` / ``.incomplete`` / ``.failed``).

        Raises:
            Violation: there is none (owned by ``responses.stream.lifecycle``).
        """
        found = self.of_type(*TERMINAL_TYPES)
        if not found:
            last = self.events[-1].type if self.events else "<no event>"
            raise Violation(
                "<stream>",
                "a response.completed (or .incomplete / .failed) event",
                f"the stream ended after {last}",
                owner=LIFECYCLE,
                exchange=self.exchange,
            )
        return found[-1]

    def terminal_response(self) -> dict[str, Any]:
        """The ``response`` of the terminal event, its outline checked.

        Raises:
            Violation: no terminal event (``responses.stream.lifecycle``), or no Response
                outline in it (``responses.response.schema``).
        """
        event = self.terminal()
        return outline(
            event.data.get("response"), self.exchange, f"events[{event.position}].response"
        )


def stream(
    ctx: CheckContext, request: dict[str, Any], *, optional: str | None = None, cache: bool = True
) -> ResponseStream:
    """``POST /responses`` with ``stream: true``, its framing checked.

    Raises:
        Unsupported: no Responses API, or ``optional`` refused.
        Violation: a non-2xx answer, no SSE events, an event whose data is not a JSON object
            with a string ``type`` (all owned by ``responses.stream.sse``), or an ``error``
            event (owned by the running check).
    """
    request = {**request, "stream": True}
    result = ctx.post_stream("/responses", request, owner=STREAM_SSE, cache=cache)
    refuse_missing_api(result)
    ctx.expect_ok(result, optional=optional, owner=STREAM_SSE)
    if not result.sse.data_events:
        raise Violation(
            "<body>",
            "server-sent events for `stream: true`",
            f"{result.headers.get('content-type', 'no content-type')}: {result.text(200)}",
            owner=STREAM_SSE,
            exchange=result.exchange,
            rule=NOT_A_STREAM,
        )
    events: list[ResponseEvent] = []
    for sse in result.sse.data_events:
        data = sse.data or ""
        if data.startswith("[DONE]"):
            continue
        try:
            value = json.loads(data)
        except ValueError:
            value = None
        if not isinstance(value, dict) or not isinstance(value.get("type"), str):
            raise Violation(
                f"events[{sse.offset}]",
                'JSON data: an object with a string "type"',
                data[:200],
                owner=STREAM_SSE,
                exchange=result.exchange,
            )
        if value["type"] == "error" or value.get("error"):
            raise Violation(
                f"events[{sse.offset}]",
                "events of the answer",
                f"an error event: {data[:200]}",
                exchange=result.exchange,
            )
        events.append(ResponseEvent(sse, value, len(events)))
    return ResponseStream(result, events)


def joined(events: list[ResponseEvent], field: str) -> str:
    """The string ``field`` of ``events`` joined (deltas of one item)."""
    return "".join(str(e.data.get(field, "")) for e in events)


def output_text(answer: ResponseAnswer) -> str:
    """The ``output_text`` parts of every message item, joined (the SDK's ``output_text``)."""
    return "".join(
        str(part.get("text", ""))
        for item in answer.items("message")
        for part in item.get("content") or []
        if isinstance(part, dict) and part.get("type") == "output_text"
    )
