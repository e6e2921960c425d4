"""The quirks of chat completions, legacy completions, embeddings, models and errors.

Each stage function applies the quirks of its stage (``mockgpt.quirks.QUIRKS`` names them):
the request (rewrite or refuse the body before it is validated), the chunks of a stream, the
stream's bytes, the non-streamed body and the error envelope. Nothing here runs unless a
scenario or stub names the quirk.
"""

from __future__ import annotations

import copy
import json
from collections.abc import AsyncIterator
from typing import Protocol

from mockgpt.errors import RequestRejected
from mockgpt.events import Event
from mockgpt.sse import DONE, encode_sse
from mockgpt.types import JSONObject, JSONValue


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


def _objects(value: JSONValue) -> list[JSONObject]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


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
        legacy = bool(closing) and closing[0].get("object") == "text_completion"
        if legacy and "completions-usage-never" in self.quirks:
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
        _chunk_quirks(chunk, self._count - 1, self.quirks)
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


def _total_wrong(usage: JSONValue, quirks: frozenset[str]) -> None:
    if "usage-total-wrong" in quirks and isinstance(usage, dict):
        usage["total_tokens"] = int(str(usage.get("total_tokens", 0))) + 1


def _chunk_quirks(chunk: JSONObject, position: int, quirks: frozenset[str]) -> None:
    """The quirks that change one chunk of a chat or legacy stream (``position`` from 0)."""
    if chunk.get("object") == "chat.completion.chunk":
        _total_wrong(chunk.get("usage"), quirks)
        if "chunk-id-empty" in quirks:
            chunk["id"] = ""
        if "usage-chunk-no-choices" in quirks and chunk.get("usage") and chunk["choices"] == []:
            del chunk["choices"]
        created = chunk.get("created")
        if "created-changes" in quirks and isinstance(created, int):
            chunk["created"] = created + position
        for choice in _choices(chunk):
            if "logprobs-ignored" in quirks:
                choice["logprobs"] = None
            if "tool-parallel-same-index" in quirks:
                for fragment in _tool_fragments(choice):
                    fragment["index"] = 0
    elif chunk.get("object") == "text_completion":
        if "completions-stream-finish-empty" in quirks:
            for choice in _choices(chunk):
                if choice.get("finish_reason") is None:
                    choice["finish_reason"] = ""
        if "completions-object-wrong" in quirks:
            chunk["object"] = "completion"


def quirk_completion(body: JSONObject, quirks: frozenset[str]) -> JSONObject:
    """Applies the quirks that concern a non-streamed ``chat.completion`` / ``text_completion``."""
    if body.get("object") == "chat.completion":
        _total_wrong(body.get("usage"), quirks)
        for choice in _choices(body):
            message = choice.get("message")
            if "logprobs-ignored" in quirks:
                choice["logprobs"] = None
            calls = message.get("tool_calls") if isinstance(message, dict) else None
            if "tool-id-missing" in quirks and isinstance(calls, list):
                for call in calls:
                    if isinstance(call, dict):
                        call.pop("id", None)
    if body.get("object") == "text_completion" and "completions-object-wrong" in quirks:
        body["object"] = "completion"
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


def quirk_status(status: int, quirks: frozenset[str]) -> int:
    """``validation-422`` and ``auth-403``: the status an error is sent with."""
    if status == 400 and "validation-422" in quirks:
        return 422
    if status == 401 and "auth-403" in quirks:
        return 403
    return status


def quirk_headers(
    status: int, headers: dict[str, str] | None, quirks: frozenset[str]
) -> dict[str, str] | None:
    """``retry-after-missing``: a 429's headers without ``retry-after`` / ``retry-after-ms``."""
    if status == 429 and headers and "retry-after-missing" in quirks:
        return {k: v for k, v in headers.items() if not k.lower().startswith("retry-after")}
    return headers


_IN_BAND_PATHS = ("/chat/completions", "/completions")


def quirk_stream_error(
    error: RequestRejected, quirks: frozenset[str], path: str, body: bytes
) -> bytes | None:
    """``stream-validation-in-band``: a refused chat or legacy stream as a 200 stream's body.

    The body is ``data: {"error": {...}}`` then ``data: [DONE]``; None answers with the
    error status, as the spec says (a 400 of a request without ``stream: true``, say).
    """
    if "stream-validation-in-band" not in quirks or error.status != 400:
        return None
    if not path.endswith(_IN_BAND_PATHS) or b'"stream"' not in body:
        return None
    try:
        decoded = json.loads(body)
    except ValueError:
        return None
    if not isinstance(decoded, dict) or decoded.get("stream") is not True:
        return None
    return encode_sse(error.envelope()) + DONE


def quirk_chat_request(body: JSONValue, quirks: frozenset[str]) -> None:
    """The chat quirks that change a request before it is validated (accepting bad values).

    Raises:
        RequestRejected: 500 for ``content-parts-500`` and a message given as parts.
    """
    if not isinstance(body, dict):
        return
    messages = body.get("messages")
    parts = isinstance(messages, list) and any(
        isinstance(m, dict) and isinstance(m.get("content"), list) for m in messages
    )
    if "content-parts-500" in quirks and parts:
        raise RequestRejected(
            500, "The server had an error processing your request.", type="server_error"
        )
    top = body.get("top_logprobs")
    if "top-logprobs-unbounded" in quirks and isinstance(top, int) and top > 20:
        body["top_logprobs"] = 20
    temperature = body.get("temperature")
    if (
        "invalid-temperature-accepted" in quirks
        and isinstance(temperature, int | float)
        and not isinstance(temperature, bool)
        and not 0 <= temperature <= 2
    ):
        body["temperature"] = 1


def quirk_valid_chat_request(body: JSONObject, quirks: frozenset[str]) -> bool:
    """The chat quirks that ignore valid parameters; True when ``body`` was changed."""
    before = copy.deepcopy(body)
    if "stop-ignored" in quirks:
        body.pop("stop", None)
    if "n-ignored" in quirks:
        body.pop("n", None)
    choice = body.get("tool_choice")
    if "tool-choice-required-ignored" in quirks and choice == "required":
        del body["tool_choice"]
    if "tool-choice-none-ignored" in quirks and choice == "none":
        body["tool_choice"] = "required"
    if "tool-choice-named-ignored" in quirks and isinstance(choice, dict):
        function = choice.get("function")
        named = function.get("name") if isinstance(function, dict) else None
        tools = body.get("tools")
        functions = [t.get("function") for t in _objects(tools)]
        names = [f.get("name") for f in functions if isinstance(f, dict)]
        others = [n for n in names if n != named]
        if others:
            body["tool_choice"] = {"type": "function", "function": {"name": others[0]}}
    return body != before


def quirk_embeddings(body: JSONObject, quirks: frozenset[str]) -> None:
    """``embeddings-usage-missing`` and ``embeddings-index-zero`` on an embeddings answer."""
    if "embeddings-usage-missing" in quirks:
        body.pop("usage", None)
    data = body.get("data")
    if "embeddings-index-zero" in quirks and isinstance(data, list):
        for item in data:
            if isinstance(item, dict):
                item["index"] = 0


async def quirk_frames(
    frames: AsyncIterator[bytes], quirks: frozenset[str], *, chat: bool
) -> AsyncIterator[bytes]:
    """The frame stage: ``frames`` (one SSE event each) with the quirks acting on bytes.

    ``ping-event``, ``stream-error-dropped`` (chat only), ``no-done`` and
    ``no-trailing-blank-line``.
    """
    if chat and "ping-event" in quirks:
        yield b"event: ping\n\n"
    last: bytes | None = None
    async for frame in frames:
        if chat and "stream-error-dropped" in quirks and frame.startswith(b'data: {"error"'):
            break
        if frame == DONE and "no-done" in quirks:
            continue
        if last is not None:
            yield last
        last = frame
    if last is not None:
        if "no-trailing-blank-line" in quirks and last.endswith(b"\n\n"):
            last = last[:-1]
        yield last
