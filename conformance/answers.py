"""Answers whose outline is checked: a chat completion, a stream's data events, an error body.

``CheckContext``'s accessors send a request; the functions here read its answer. When the
basic shape is broken they raise a ``Violation`` owned by the check whose rule it is
(``chat.stream.sse`` for a stream request answered with JSON, ``errors.envelope`` for an error
body without ``error``), so the other checks report *blocked by* it instead of failing for
the same cause.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from conformance.failures import NOT_A_STREAM, Violation
from conformance.http import Exchange, HttpResult, StreamResult
from conformance.sse import SSEEvent

CHAT_SCHEMA = "chat.response.schema"
STREAM_SSE = "chat.stream.sse"
STREAM_DATA = "chat.stream.data-lines"
CHUNK_SCHEMA = "chat.stream.chunk-schema"
ERROR_ENVELOPE = "errors.envelope"
ERROR_FIELDS = "errors.field-types"
OWNER_IDS = (CHAT_SCHEMA, STREAM_SSE, STREAM_DATA, CHUNK_SCHEMA, ERROR_ENVELOPE, ERROR_FIELDS)
"""Checks that own the basic-shape rules the accessors enforce."""


@dataclass
class ChatAnswer:
    """A non-streamed chat completion whose outline holds (a JSON object with choices).

    Attributes:
        result: the HTTP answer.
        body: the decoded JSON object.
        choices: ``body["choices"]``, each a JSON object with an int ``index`` and a
            ``message`` object.
    """

    result: HttpResult
    body: dict[str, Any]
    choices: list[dict[str, Any]]

    @property
    def exchange(self) -> Exchange:
        """The request."""
        return self.result.exchange

    def message(self, position: int = 0) -> dict[str, Any]:
        """``choices[position].message``."""
        message: dict[str, Any] = self.choices[position]["message"]
        return message


@dataclass
class ChatStream:
    """A chat completion stream whose framing holds: SSE events whose data is JSON.

    Attributes:
        result: the HTTP answer.
        chunks: the JSON objects of the data events, ``[DONE]`` excluded, in order; each
            has a ``choices`` list of objects with an int ``index`` and a ``delta`` object.
        done: whether a ``[DONE]`` data event came (terminated or not).
    """

    result: StreamResult
    chunks: list[dict[str, Any]]
    done: bool
    deltas: dict[int, list[tuple[int, dict[str, Any]]]] = field(default_factory=dict)

    @property
    def exchange(self) -> Exchange:
        """The request."""
        return self.result.exchange

    @property
    def events(self) -> list[SSEEvent]:
        """Every SSE event."""
        return self.result.sse.events

    def choice_chunks(self) -> dict[int, list[tuple[int, dict[str, Any]]]]:
        """Choice index -> ``(chunk position, choice object)`` in stream order."""
        if not self.deltas:
            for position, chunk in enumerate(self.chunks):
                for choice in chunk["choices"]:
                    self.deltas.setdefault(choice["index"], []).append((position, choice))
        return self.deltas


def error_message(result: HttpResult) -> str:
    """The error message of an error answer, read leniently (any shape)."""
    body = result.json_or_none()
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message") is not None:
            return str(inner["message"])
        if isinstance(inner, str):
            return inner
        if "detail" in body:
            return json.dumps(body["detail"])[:200]
    return result.text(200)


def read_chat(result: HttpResult) -> ChatAnswer:
    """The chat completion of a 2xx answer, its outline checked.

    Raises:
        Violation: a body that is not a JSON object with a non-empty ``choices`` array of
            objects with an integer ``index`` and a ``message`` object (owned by
            ``chat.response.schema``).
    """
    data = result.json_or_none()
    if not isinstance(data, dict):
        raise Violation(
            "<body>",
            "a JSON object",
            result.text(),
            owner=CHAT_SCHEMA,
            exchange=result.exchange,
        )
    choices = data.get("choices")
    if not isinstance(choices, list) or not choices:
        raise Violation(
            "choices",
            "a non-empty array",
            json.dumps(choices),
            owner=CHAT_SCHEMA,
            exchange=result.exchange,
        )
    for position, choice in enumerate(choices):
        if (
            not isinstance(choice, dict)
            or not isinstance(choice.get("message"), dict)
            or not isinstance(choice.get("index"), int)
        ):
            raise Violation(
                f"choices[{position}]",
                "an object with an integer index and a message object",
                json.dumps(choice)[:200],
                owner=CHAT_SCHEMA,
                exchange=result.exchange,
            )
    return ChatAnswer(result, data, choices)


def read_data_chunks(result: StreamResult) -> tuple[list[dict[str, Any]], bool]:
    """``(JSON objects of the data events, whether [DONE] came)`` of a 2xx stream.

    Raises:
        Violation: no SSE events (owned by ``chat.stream.sse``); an event without JSON
            object data (``chat.stream.data-lines``); an error event.
    """
    events = result.sse.events
    if not result.sse.data_events:
        raise Violation(
            "<body>",
            "server-sent events (`data: <json>` lines) for `stream: true`",
            f"{result.headers.get('content-type', 'no content-type')}: {result.text(200)}",
            owner=STREAM_SSE,
            exchange=result.exchange,
            rule=NOT_A_STREAM,
        )
    chunks: list[dict[str, Any]] = []
    done = False
    for event in events:
        data = event.data
        where = f"events[{event.offset}]"
        if data is None or data.strip() == "":
            raise Violation(
                where,
                "a `data:` field with JSON (keep-alives must be `:` comments)",
                event.raw(),
                owner=STREAM_DATA,
                exchange=result.exchange,
            )
        if data.startswith("[DONE]"):
            done = True
            continue
        try:
            value = json.loads(data)
        except ValueError:
            raise Violation(
                where, "JSON data", data, owner=STREAM_DATA, exchange=result.exchange
            ) from None
        if not isinstance(value, dict):
            raise Violation(
                where, "a JSON object", data, owner=STREAM_DATA, exchange=result.exchange
            )
        if value.get("error"):
            raise Violation(
                where,
                "chunks of the answer",
                f"an error event: {data}",
                exchange=result.exchange,
            )
        chunks.append(value)
    return chunks, done


def read_chat_stream(result: StreamResult, chunks: list[dict[str, Any]], done: bool) -> ChatStream:
    """The chat completion stream of ``read_data_chunks``' chunks, their outline checked.

    Raises:
        Violation: a chunk without a ``choices`` array of objects with an integer ``index``
            and a ``delta`` object (owned by ``chat.stream.chunk-schema``); no chunk at all
            (``chat.stream.sse``).
    """
    for position, chunk in enumerate(chunks):
        choices = chunk.get("choices")
        if not isinstance(choices, list):
            raise Violation(
                f"chunks[{position}].choices",
                "an array (always present; [] on the usage chunk)",
                "no such key" if "choices" not in chunk else json.dumps(choices),
                owner=CHUNK_SCHEMA,
                exchange=result.exchange,
            )
        for i, choice in enumerate(choices):
            if (
                not isinstance(choice, dict)
                or not isinstance(choice.get("index"), int)
                or not isinstance(choice.get("delta"), dict)
            ):
                raise Violation(
                    f"chunks[{position}].choices[{i}]",
                    "an object with an integer index and a delta object",
                    json.dumps(choice)[:200],
                    owner=CHUNK_SCHEMA,
                    exchange=result.exchange,
                )
    if not chunks:
        raise Violation(
            "<stream>",
            "at least one chunk",
            "no chunk before the end of the stream",
            owner=STREAM_SSE,
            exchange=result.exchange,
        )
    return ChatStream(result, chunks, done)


def read_error(result: HttpResult, *, types: bool = True) -> dict[str, Any]:
    """The ``error`` object of an error answer, its envelope checked.

    Args:
        result: an error answer.
        types: also check the types of the four fields.

    Raises:
        Violation: not ``{"error": {message, type, param, code}}`` JSON (owned by
            ``errors.envelope``), or a field of the wrong type (``errors.field-types``).
    """
    body = result.json_or_none()
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        raise Violation(
            "<body>",
            '{"error": {"message", "type", "param", "code"}}',
            result.text(200),
            owner=ERROR_ENVELOPE,
            exchange=result.exchange,
        )
    missing = [k for k in ("message", "type", "param", "code") if k not in error]
    if missing:
        violation = Violation(
            f"error.{missing[0]}",
            "the key to be present (message, type, param and code are required)",
            "no such key",
            owner=ERROR_ENVELOPE,
            exchange=result.exchange,
        )
        if set(missing) <= {"param", "code"}:
            violation.severity = "should"  # nullable: clients read a missing one as null
        raise violation
    for key, nullable in (("message", False), ("type", False), ("param", True), ("code", True)):
        value = error[key]
        if not types:
            break
        if not isinstance(value, str) and not (nullable and value is None):
            raise Violation(
                f"error.{key}",
                "a string or null" if nullable else "a string",
                json.dumps(value),
                owner=ERROR_FIELDS,
                exchange=result.exchange,
            )
    return error
