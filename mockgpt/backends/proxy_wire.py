"""What the proxy reads and writes upstream: its requests' bodies, its answers as events.

Chat and legacy completion chunks and Responses stream events become canonical events
(``chunk_events``, ``ChunkReader``, ``ResponseEventReader``); an upstream error status or
error event becomes a ``RequestRejected`` with the upstream's own envelope
(``upstream_error``); a Responses request is rewritten for an upstream that does not share
mockgpt's store (``responses_body``).
"""

from __future__ import annotations

import json
from typing import Any, Protocol

import httpx

from mockgpt.errors import RequestRejected
from mockgpt.events import (
    Event,
    Finish,
    ReasoningDelta,
    Refusal,
    TextDelta,
    ToolCallDelta,
    Usage,
)
from mockgpt.models.responses import decode_compaction, items_to_messages
from mockgpt.turn import Turn
from mockgpt.types import FINISH_REASONS, FinishReason

PASSED_HEADERS = ("retry-after", "retry-after-ms", "x-should-retry")
"""Upstream error headers a client's retry logic reads, passed on unchanged."""

_ANSWERED_HERE = ("messages", "previous_response_id", "conversation", "background")
"""Fields of a Responses request that the proxy's mockgpt answers itself, never sent upstream:
the ids are in mockgpt's store, and a background request is answered at once (``messages``,
not a Responses field, is never forwarded either)."""


def _finish_reason(value: object) -> FinishReason:
    for reason in FINISH_REASONS:
        if value == reason:
            return reason
    return "stop"


def _text_or_none(value: object) -> str | None:
    return None if value is None else str(value)


def _reasoning_tokens(usage: dict[str, Any], details: str) -> int:
    """``usage[details].reasoning_tokens``, 0 when the upstream gives none."""
    found = usage.get(details)
    tokens = found.get("reasoning_tokens") if isinstance(found, dict) else None
    return tokens if isinstance(tokens, int) and tokens > 0 else 0


def chunk_events(chunk: dict[str, Any], endpoint: str) -> list[Event]:
    """The events of one upstream chunk (``chat.completion.chunk`` or ``text_completion``)."""
    events: list[Event] = []
    for choice in chunk.get("choices") or ():
        if not isinstance(choice, dict):
            continue
        index = int(choice.get("index") or 0)
        if endpoint == "completions":
            if choice.get("text"):
                events.append(TextDelta(str(choice["text"]), index))
        else:
            delta = choice.get("delta") or {}
            if delta.get("reasoning_content"):  # vLLM, DeepSeek, llama.cpp
                events.append(ReasoningDelta(str(delta["reasoning_content"]), index))
            if delta.get("content"):
                logprobs = choice.get("logprobs")
                content = logprobs.get("content") if isinstance(logprobs, dict) else None
                relayed = tuple(content) if isinstance(content, list) else None
                events.append(TextDelta(str(delta["content"]), index, relayed))
            if delta.get("refusal"):
                events.append(Refusal(str(delta["refusal"]), index))
            for call in delta.get("tool_calls") or ():
                function = call.get("function") or {}
                events.append(
                    ToolCallDelta(
                        int(call.get("index") or 0),
                        str(function.get("arguments") or ""),
                        call.get("id"),
                        function.get("name"),
                        index,
                    )
                )
        if choice.get("finish_reason"):
            events.append(Finish(_finish_reason(choice["finish_reason"]), index))
    usage = chunk.get("usage")
    if isinstance(usage, dict):
        events.append(
            Usage(
                int(usage.get("prompt_tokens") or 0),
                int(usage.get("completion_tokens") or 0),
                _reasoning_tokens(usage, "completion_tokens_details"),
            )
        )
    return events


def upstream_error(response: httpx.Response, body: bytes) -> RequestRejected:
    """The upstream's error, with its status, envelope fields and retry headers."""
    message, kind = f"upstream error {response.status_code}", "upstream_error"
    param: object = None
    code: object = None
    try:
        data = json.loads(body)
    except ValueError:
        data = None
    error = data.get("error") if isinstance(data, dict) else None
    if isinstance(error, dict):
        message = str(error.get("message") or message)
        kind = str(error.get("type") or kind)
        param = error.get("param")
        code = error.get("code")
    elif isinstance(data, dict) and "message" in data:
        message = str(data["message"])
    headers = {k: response.headers[k] for k in PASSED_HEADERS if k in response.headers}
    return RequestRejected(
        response.status_code,
        message,
        type=kind,
        param=_text_or_none(param),
        code=_text_or_none(code),
        headers=headers,
    )


def _event_error(error: object, default_type: str = "upstream_error") -> RequestRejected:
    """An error the upstream sent inside its 200 stream: its envelope fields, status 502.

    The status only reaches a client that did not ask for a stream.
    """
    if not isinstance(error, dict):
        return RequestRejected(502, str(error), type=default_type)
    return RequestRejected(
        502,
        str(error.get("message") or "the upstream failed while answering"),
        type=str(error.get("type") or default_type),
        param=_text_or_none(error.get("param")),
        code=_text_or_none(error.get("code")),
    )


class Reader(Protocol):
    """Turns the upstream's SSE data objects into events; ``done`` once its answer is whole."""

    done: bool

    def feed(self, data: dict[str, Any]) -> list[Event]:
        """The events of one data object.

        Raises:
            RequestRejected: the object is the upstream's error.
        """
        ...


class ChunkReader:
    """Chat completion chunks, or legacy ``text_completion`` chunks for ``completions``."""

    done = False

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint

    def feed(self, data: dict[str, Any]) -> list[Event]:
        """The events of one upstream chunk (its error raised as ``RequestRejected``)."""
        if data.get("error"):
            raise _event_error(data["error"])
        return chunk_events(data, self.endpoint)


class ResponseEventReader:
    """Responses API stream events (``ResponseStreamEvent``).

    Text, refusal and function-call deltas, then usage and the finish from
    ``response.completed`` / ``response.incomplete``. A function call's ``call_id`` and
    ``name`` come with its ``response.output_item.added``, its arguments with
    ``response.function_call_arguments.delta`` (or whole in ``response.output_item.done``,
    from an upstream that sends no deltas).
    """

    def __init__(self) -> None:
        self.done = False
        self._calls: dict[object, int] = {}  # output_index -> tool call index
        self._argued: set[object] = set()  # output indexes whose arguments came as deltas

    def feed(self, data: dict[str, Any]) -> list[Event]:
        """The events of one upstream Responses stream event."""
        kind = data.get("type")
        delta = data.get("delta")
        item = data.get("item")
        item = item if isinstance(item, dict) else {}
        where = data.get("output_index")
        call = self._calls.get(where)
        if kind == "response.output_text.delta" and delta:
            return [TextDelta(str(delta))]
        if kind == "response.refusal.delta" and delta:
            return [Refusal(str(delta))]
        if kind == "response.output_item.added" and item.get("type") == "reasoning":
            return [ReasoningDelta("")]  # the item, whether or not a summary follows
        if kind == "response.reasoning_summary_text.delta" and delta:
            part = data.get("summary_index")
            return [ReasoningDelta(str(delta), part=part if isinstance(part, int) else 0)]
        if kind == "response.output_item.added" and item.get("type") == "function_call":
            call = self._calls[where] = len(self._calls)
            name = _text_or_none(item.get("name"))
            return [ToolCallDelta(call, "", _text_or_none(item.get("call_id")), name)]
        if kind == "response.function_call_arguments.delta" and call is not None and delta:
            self._argued.add(where)
            return [ToolCallDelta(call, str(delta))]
        if (
            kind == "response.output_item.done"
            and call is not None
            and where not in self._argued
            and item.get("arguments")
        ):
            return [ToolCallDelta(call, str(item["arguments"]))]
        if kind in ("response.completed", "response.incomplete"):
            self.done = True
            return self._ending(data.get("response"))
        if kind == "response.failed":
            response = data.get("response")
            error = response.get("error") if isinstance(response, dict) else None
            raise _event_error(error or "the upstream response failed", "server_error")
        if kind == "error":
            raise _event_error(data, "server_error")
        return []

    def _ending(self, response: object) -> list[Event]:
        """The finish reason and usage of the upstream's final ``Response``."""
        if not isinstance(response, dict):
            return []
        reason: FinishReason = "tool_calls" if self._calls else "stop"
        if response.get("status") == "incomplete":
            details = response.get("incomplete_details")
            why = details.get("reason") if isinstance(details, dict) else None
            reason = "content_filter" if why == "content_filter" else "length"
        events: list[Event] = [Finish(reason)]
        usage = response.get("usage")
        if isinstance(usage, dict):
            events.append(
                Usage(
                    int(usage.get("input_tokens") or 0),
                    int(usage.get("output_tokens") or 0),
                    _reasoning_tokens(usage, "output_tokens_details"),
                )
            )
        return events


def _message_items(messages: list[Any]) -> list[dict[str, Any]]:
    """Chat messages -> Responses input items (the inverse of ``items_to_messages``)."""
    items: list[dict[str, Any]] = []
    for message in messages:
        if not isinstance(message, dict):
            continue
        if message.get("role") == "tool":
            items.append(
                {
                    "type": "function_call_output",
                    "call_id": message.get("tool_call_id", ""),
                    "output": message.get("content") or "",
                }
            )
            continue
        calls = [c for c in message.get("tool_calls") or () if isinstance(c, dict)]
        content = message.get("content")
        if content or not calls:
            items.append({"type": "message", "role": message.get("role"), "content": content or ""})
        for call in calls:
            function = call.get("function") or {}
            items.append(
                {
                    "type": "function_call",
                    "call_id": call.get("id", ""),
                    "name": function.get("name", ""),
                    "arguments": function.get("arguments", ""),
                }
            )
    return items


def chat_body(ctx: Turn) -> dict[str, Any]:
    """The ``/chat/completions`` (or ``/completions``) body sent upstream.

    Chat and legacy completion requests go as sent (validated, unset fields left out). The
    other families (Ollama, an Assistants run) send their canonical prompt in chat form:
    messages, function tools and ``tool_choice``, ``response_format``, ``seed``,
    ``temperature`` and ``max_tokens``.
    """
    if ctx.request is not None:
        return ctx.request.model_dump(by_alias=True, exclude_none=True)
    body: dict[str, Any] = {"model": ctx.model, "messages": [m.to_chat() for m in ctx.messages]}
    prompt = ctx.prompt
    if prompt.tools:
        body["tools"] = [
            {"type": "function", "function": {k: v for k, v in f.items() if v is not None}}
            for f in (t.to_chat()["function"] for t in prompt.tools)
        ]
        choice = prompt.tool_choice
        if choice is not None and choice.function is not None:
            body["tool_choice"] = {"type": "function", "function": {"name": choice.function}}
        elif choice is not None:
            body["tool_choice"] = choice.mode
        if prompt.parallel_tool_calls is not None:
            body["parallel_tool_calls"] = prompt.parallel_tool_calls
    output = prompt.output
    if output.kind == "json_schema":
        spec = {"name": output.name or "response", "schema": output.schema}
        body["response_format"] = {"type": "json_schema", "json_schema": spec}
    elif output.kind == "json_object":
        body["response_format"] = {"type": "json_object"}
    if ctx.seed:
        body["seed"] = ctx.seed
    if ctx.temperature is not None:
        body["temperature"] = ctx.temperature
    if ctx.max_tokens is not None:
        body["max_tokens"] = ctx.max_tokens
    return body


def responses_body(ctx: Turn) -> dict[str, Any]:
    """The ``/responses`` body sent upstream for a Responses API request.

    The client's fields as sent, as a stream. A chained request (``previous_response_id``
    or ``conversation``) refers to mockgpt's store, which the upstream does not share: its
    ``input`` becomes the earlier turns (from ``ctx.messages``, the whole conversation)
    followed by the request's own input items. An input with a
    compaction item mockgpt made (``/responses/compact``) is sent as that whole conversation.
    """
    body: dict[str, Any] = {k: v for k, v in ctx.body.items() if k not in _ANSWERED_HERE}
    body["stream"] = True
    raw = ctx.body.get("input")
    messages = [m.to_chat() for m in ctx.messages]
    # [instructions as a developer message] + earlier turns + own input
    first = 1 if ctx.body.get("instructions") else 0
    if isinstance(raw, list) and any(
        isinstance(i, dict) and decode_compaction(i.get("encrypted_content")) is not None
        for i in raw
    ):
        body["input"] = _message_items(messages[first:])
        return body
    if not (ctx.body.get("previous_response_id") or ctx.body.get("conversation")):
        return body
    own: list[Any] = (
        [{"type": "message", "role": "user", "content": raw}]
        if isinstance(raw, str)
        else list(raw)
        if isinstance(raw, list)
        else []
    )
    last = len(messages) - len(items_to_messages([i for i in own if isinstance(i, dict)]))
    body["input"] = [*_message_items(messages[first:last]), *own]
    return body
