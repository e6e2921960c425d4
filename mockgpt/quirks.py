"""Quirks: switches that make answers depart from the spec in exactly one way.

Real OpenAI-compatible servers have shipped each of these (see the profiles in
``mockgpt/scenarios/builtin/``). They let users test their clients against real-world
servers, and they are the broken twins that prove each conformance check can fail. Nothing
here runs unless a scenario or stub names the quirk.
"""

from __future__ import annotations

import copy
import json
from typing import Protocol

from mockgpt.events import Event
from mockgpt.types import JSONObject, JSONValue

QUIRKS: dict[str, str] = {
    "no-done": "the stream ends without `data: [DONE]`",
    "no-trailing-blank-line": "the last SSE event ends with one newline, not a blank line",
    "chunk-id-changes": "every chunk of a stream has a different `id`",
    "created-float": "`created` is a float, not an integer",
    "role-every-delta": "`delta.role` is repeated in every chunk, not only the first",
    "missing-finish-reason": "`finish_reason` is never set (stays null)",
    "finish-reason-twice": "the chunk with `finish_reason` is sent twice",
    "finish-stop-for-tool-calls": "`finish_reason` is `stop` when the answer is tool calls",
    "finish-stop-for-length": "`finish_reason` is `stop` when `max_tokens` cut the answer",
    "usage-on-content-chunk": "usage rides on the last chunk with choices, no `choices: []` chunk",
    "usage-always": "the usage chunk is sent even without `stream_options.include_usage`",
    "usage-never": "no usage chunk even with `stream_options.include_usage`",
    "tool-index-missing": "streamed tool-call fragments have no `index`",
    "tool-arguments-object": "tool-call `arguments` is a JSON object, not a JSON string",
    "tool-id-missing-stream": "the first streamed fragment of a tool call has no `id`",
    "tool-name-missing-stream": "the first streamed fragment of a tool call has no name",
    "error-not-wrapped": "error bodies are `{message, type, param, code}` without `error`",
    "error-code-int": "`error.code` is the HTTP status as an integer",
    "ndjson-content-type": "streams are sent as `Content-Type: application/x-ndjson`",
    "json-when-stream": "`stream: true` is answered with one JSON object, not SSE",
    "response-format-ignored": "`response_format` is ignored: the answer is plain text",
    "embeddings-ignore-encoding-format": "embeddings are floats even when base64 is asked",
}
"""Every quirk by name, with the one way it departs from the spec."""


class ChunkSource(Protocol):
    """A stream renderer: chunks per event, then closing chunks."""

    def feed(self, event: Event) -> list[JSONObject]:
        """The chunks for one event."""
        ...

    def close(self) -> list[JSONObject]:
        """The chunks after the last event."""
        ...


def _choices(chunk: JSONObject) -> list[JSONObject]:
    choices = chunk.get("choices")
    return [c for c in choices if isinstance(c, dict)] if isinstance(choices, list) else []


def _tool_fragments(choice: JSONObject) -> list[JSONObject]:
    delta = choice.get("delta")
    calls = delta.get("tool_calls") if isinstance(delta, dict) else None
    return [c for c in calls if isinstance(c, dict)] if isinstance(calls, list) else []


def _arguments_object(arguments: JSONValue) -> JSONValue:
    if not isinstance(arguments, str):
        return arguments
    try:
        value: JSONValue = json.loads(arguments or "{}")
    except ValueError:
        return {"raw": arguments}
    return value


class QuirkedChunks:
    """Applies the stream quirks to the chunks of ``inner`` (chat or legacy completions).

    Args:
        inner: the renderer of the well-formed stream.
        quirks: the active quirk names.
        usage_requested: whether the request asked for ``include_usage`` (``usage-always``
            renders the usage chunk regardless, and this strips ``usage: null`` again).
    """

    def __init__(
        self, inner: ChunkSource, quirks: frozenset[str], *, usage_requested: bool
    ) -> None:
        self.inner = inner
        self.quirks = quirks
        self.usage_requested = usage_requested
        self._count = 0
        self._held: list[JSONObject] = []
        self._tool_buffer: dict[tuple[int, int], JSONObject] = {}

    def feed(self, event: Event) -> list[JSONObject]:
        """The quirked chunks for one event."""
        return self._apply(self.inner.feed(event))

    def close(self) -> list[JSONObject]:
        """The quirked closing chunks (usage)."""
        closing = self.inner.close()
        out = self._apply([])
        if "usage-never" in self.quirks:
            closing = []
        if "usage-on-content-chunk" in self.quirks and closing:
            with_choices = [c for c in self._held if _choices(c)]
            if with_choices:
                with_choices[-1]["usage"] = closing[0].get("usage")
                closing = []
        out += self._held
        self._held = []
        return out + [self._common(c) for c in closing]

    def _common(self, chunk: JSONObject) -> JSONObject:
        self._count += 1
        if "chunk-id-changes" in self.quirks:
            chunk["id"] = f"{chunk['id']}-{self._count}"
        if "created-float" in self.quirks and isinstance(chunk.get("created"), int):
            chunk["created"] = float(chunk["created"]) + 0.5  # type: ignore[arg-type]
        if not self.usage_requested and chunk.get("usage", 0) is None:
            del chunk["usage"]
        return chunk

    def _apply(self, chunks: list[JSONObject]) -> list[JSONObject]:
        out: list[JSONObject] = []
        q = self.quirks
        for chunk in chunks:
            duplicate = False
            for choice in _choices(chunk):
                reason = choice.get("finish_reason")
                if reason == "tool_calls" and "finish-stop-for-tool-calls" in q:
                    choice["finish_reason"] = "stop"
                if reason == "length" and "finish-stop-for-length" in q:
                    choice["finish_reason"] = "stop"
                if reason is not None and "missing-finish-reason" in q:
                    choice["finish_reason"] = None
                if reason is not None and "finish-reason-twice" in q:
                    duplicate = True
                delta = choice.get("delta")
                if "role-every-delta" in q and isinstance(delta, dict):
                    delta["role"] = "assistant"
                for fragment in _tool_fragments(choice):
                    self._tool_fragment(fragment)
            if "tool-arguments-object" in q and self._coalesce(chunk, out):
                continue
            if duplicate:
                out.append(self._common(copy.deepcopy(chunk)))
            out.append(self._common(chunk))
        if "usage-on-content-chunk" in q:
            # everything waits for close(): the usage has to ride on the last chunk
            self._held.extend(out)
            return []
        return out

    def _tool_fragment(self, fragment: JSONObject) -> None:
        q = self.quirks
        if "tool-index-missing" in q:
            fragment.pop("index", None)
        function = fragment.get("function")
        if "tool-id-missing-stream" in q and "id" in fragment:
            del fragment["id"]
        if "tool-name-missing-stream" in q and isinstance(function, dict):
            function.pop("name", None)

    def _coalesce(self, chunk: JSONObject, out: list[JSONObject]) -> bool:
        """``tool-arguments-object``: gather a call's fragments, send it whole with an object.

        Returns True when the chunk was absorbed into the buffer.
        """
        for choice in _choices(chunk):
            choice_index = int(str(choice.get("index", 0)))
            fragments = _tool_fragments(choice)
            if fragments:
                for position, fragment in enumerate(fragments):
                    key = (choice_index, int(str(fragment.get("index", position))))
                    held = self._tool_buffer.get(key)
                    if held is None:
                        self._tool_buffer[key] = copy.deepcopy(chunk)
                        continue
                    function = _tool_fragments(_choices(held)[0])[0].get("function")
                    extra = fragment.get("function")
                    if isinstance(function, dict) and isinstance(extra, dict):
                        function["arguments"] = f"{function.get('arguments', '')}" + str(
                            extra.get("arguments", "")
                        )
                return True
            for key in sorted(k for k in self._tool_buffer if k[0] == choice_index):
                held = self._tool_buffer.pop(key)
                for fragment in _tool_fragments(_choices(held)[0]):
                    function = fragment.get("function")
                    if isinstance(function, dict):
                        function["arguments"] = _arguments_object(function.get("arguments"))
                out.append(self._common(held))
        return False


def quirk_completion(body: JSONObject, quirks: frozenset[str]) -> JSONObject:
    """Applies the quirks that concern a non-streamed ``chat.completion`` / ``text_completion``."""
    if "created-float" in quirks and isinstance(body.get("created"), int):
        body["created"] = float(body["created"]) + 0.5  # type: ignore[arg-type]
    for choice in _choices(body):
        reason = choice.get("finish_reason")
        if reason == "tool_calls" and "finish-stop-for-tool-calls" in quirks:
            choice["finish_reason"] = "stop"
        if reason == "length" and "finish-stop-for-length" in quirks:
            choice["finish_reason"] = "stop"
        if "missing-finish-reason" in quirks:
            choice["finish_reason"] = None
        message = choice.get("message")
        calls = message.get("tool_calls") if isinstance(message, dict) else None
        if "tool-arguments-object" in quirks and isinstance(calls, list):
            for call in calls:
                function = call.get("function") if isinstance(call, dict) else None
                if isinstance(function, dict):
                    function["arguments"] = _arguments_object(function.get("arguments"))
    return body


def quirk_error(envelope: JSONObject, status: int, quirks: frozenset[str]) -> JSONObject:
    """Applies ``error-not-wrapped`` and ``error-code-int`` to an error envelope."""
    error = envelope.get("error")
    if not isinstance(error, dict):
        return envelope
    if "error-code-int" in quirks:
        error["code"] = status
    if "error-not-wrapped" in quirks:
        return {"object": "error", **error}
    return envelope
