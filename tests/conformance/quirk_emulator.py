"""An executable spec of the extra quirks the conformance twins need, until mockgpt has them.

``QuirkEmulator(app, quirks)`` wraps mockgpt's ASGI app and rewrites requests and answers to
depart from the spec in the named ways (the table below). It buffers each answer whole (and
sends a stream without a length, as it came), which is enough for the checks (none of them
times a stream). When ``mockgpt.quirks.QUIRKS`` has a
quirk, the real one is tested by ``test_twins.py``; this module proves the check against the
behaviour the quirk is specified to have.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

EXTRA_QUIRKS: dict[str, str] = {
    "models-owned-by-missing": "Model objects in GET /v1/models lack `owned_by`",
    "model-retrieve-404": "GET /v1/models/{model} answers 404 for every model",
    "model-retrieve-any": "GET /v1/models/{model} answers 200 with a Model for any id",
    "usage-total-wrong": "usage.total_tokens is prompt + completion + 1 (chat, both modes)",
    "stop-ignored": "`stop` is ignored (the answer runs past the stop sequence)",
    "n-ignored": "`n` is ignored: one choice",
    "ping-event": "streams start with `event: ping` and a blank line (no data)",
    "usage-chunk-no-choices": "the usage chunk has no `choices` key",
    "created-changes": "`created` grows by one on every chunk",
    "tool-id-missing": "non-streamed tool calls have no `id`",
    "tool-choice-required-ignored": "`tool_choice: required` is treated as `auto`",
    "tool-choice-named-ignored": "a named tool_choice calls the first other function",
    "tool-choice-none-ignored": "`tool_choice: none` is treated as `required`",
    "tool-parallel-same-index": "streamed fragments of every tool call carry index 0",
    "logprobs-ignored": "`logprobs: true` is accepted and ignored (logprobs null)",
    "top-logprobs-unbounded": "`top_logprobs` above 20 is answered as if 20",
    "completions-object-wrong": 'legacy completions say `object: "completion"`',
    "completions-stream-finish-empty": 'streamed legacy chunks carry `finish_reason: ""`',
    "embeddings-usage-missing": "embeddings answers have no `usage`",
    "embeddings-index-zero": "every embedding has `index: 0`",
    "embeddings-dimensions-ignored": "`dimensions` is ignored",
    "validation-422": "request validation errors use status 422",
    "unknown-model-400": "an unknown model gets 400 instead of 404",
    "auth-403": "a wrong or missing API key gets 403 instead of 401",
    "retry-after-missing": "429 answers carry no retry-after headers",
    "stream-error-dropped": "a mid-stream error ends the stream without the error event",
    "content-parts-500": "message content given as an array of parts gets a 500",
    "invalid-temperature-accepted": "`temperature` outside 0..2 is answered as if 1",
}
"""The extra quirks, as the twins in fixtures/broken/ name them."""

JSONObject = dict[str, Any]


def _error(status: int, message: str, type_: str, code: str | None = None) -> tuple[int, bytes]:
    body = {"error": {"message": message, "type": type_, "param": None, "code": code}}
    return status, json.dumps(body).encode()


class _Answer:
    def __init__(self, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body

    @property
    def is_stream(self) -> bool:
        return any(k == b"content-type" and b"event-stream" in v for k, v in self.headers)

    def json(self) -> Any:
        return json.loads(self.body)

    def set_json(self, value: Any) -> None:
        self.body = json.dumps(value).encode()

    def map_chunks(self, edit: Callable[[int, JSONObject], JSONObject | None]) -> None:
        frames = self.body.split(b"\n\n")
        out = []
        position = 0
        for frame in frames:
            if frame.startswith(b"data: {"):
                chunk = json.loads(frame[6:])
                edited = edit(position, chunk)
                position += 1
                if edited is None:
                    continue
                frame = b"data: " + json.dumps(edited).encode()
            out.append(frame)
        self.body = b"\n\n".join(out)


class QuirkEmulator:
    """ASGI middleware that applies ``quirks`` (names of ``EXTRA_QUIRKS``) to ``app``."""

    def __init__(self, app: ASGIApp, quirks: frozenset[str]) -> None:
        unknown = quirks - EXTRA_QUIRKS.keys()
        if unknown:
            raise ValueError(f"not emulated: {sorted(unknown)}")
        self.app = app
        self.quirks = quirks

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        path = str(scope["path"]).removeprefix("/v1")
        request: Any = json.loads(body) if body.strip().startswith(b"{") else None
        early = self._request(path, scope, request)
        if early is not None:
            status, payload = early
            await _send(send, _Answer(status, [(b"content-type", b"application/json")], payload))
            return
        if isinstance(request, dict):
            body = json.dumps(request).encode()
        answer = await _call(self.app, scope, body)
        self._answer(path, scope, request, answer)
        await _send(send, answer)

    def _request(self, path: str, scope: Scope, request: Any) -> tuple[int, bytes] | None:
        q = self.quirks
        if scope["method"] == "GET" and path.startswith("/models/"):
            model = path.removeprefix("/models/")
            if "model-retrieve-404" in q:
                return _error(
                    404,
                    f"The model '{model}' does not exist",
                    "invalid_request_error",
                    "model_not_found",
                )
        if not isinstance(request, dict):
            return None
        if path == "/chat/completions":
            if "content-parts-500" in q and any(
                isinstance(m, dict) and isinstance(m.get("content"), list)
                for m in request.get("messages") or []
            ):
                return _error(
                    500, "The server had an error processing your request.", "server_error"
                )
            # Ignored, once validated: an invalid value still gets its 400.
            stop = request.get("stop")
            valid_stop = isinstance(stop, str) or (
                isinstance(stop, list) and len(stop) <= 4 and all(isinstance(s, str) for s in stop)
            )
            if "stop-ignored" in q and valid_stop:
                request.pop("stop")
            n = request.get("n")
            if "n-ignored" in q and isinstance(n, int) and 1 <= n <= 128:
                request.pop("n")
            top = request.get("top_logprobs")
            if "top-logprobs-unbounded" in q and isinstance(top, int) and top > 20:
                request["top_logprobs"] = 20
            temperature = request.get("temperature")
            if (
                "invalid-temperature-accepted" in q
                and isinstance(temperature, (int, float))
                and not 0 <= temperature <= 2
            ):
                request["temperature"] = 1
            choice = request.get("tool_choice")
            names = [
                t.get("function", {}).get("name")
                for t in request.get("tools") or []
                if isinstance(t, dict)
            ]
            if "tool-choice-required-ignored" in q and choice == "required":
                request.pop("tool_choice")
            if "tool-choice-none-ignored" in q and choice == "none":
                request["tool_choice"] = "required"
            if "tool-choice-named-ignored" in q and isinstance(choice, dict):
                named = choice.get("function", {}).get("name")
                others = [n for n in names if n != named]
                if others:
                    request["tool_choice"] = {"type": "function", "function": {"name": others[0]}}
        dimensions = request.get("dimensions")
        if (
            path == "/embeddings"
            and "embeddings-dimensions-ignored" in q
            and isinstance(dimensions, int)
            and dimensions >= 1
        ):
            request.pop("dimensions")
        return None

    def _answer(self, path: str, scope: Scope, request: Any, answer: _Answer) -> None:
        q = self.quirks
        if answer.status == 400 and "validation-422" in q:
            answer.status = 422
        if answer.status == 401 and "auth-403" in q:
            answer.status = 403
        if answer.status == 404 and "unknown-model-400" in q and scope["method"] == "POST":
            answer.status = 400
        if answer.status == 429 and "retry-after-missing" in q:
            answer.headers = [(k, v) for k, v in answer.headers if not k.startswith(b"retry-after")]
        if scope["method"] == "GET" and path.startswith("/models"):
            self._models(path, answer)
            return
        if answer.status != 200:
            return
        if path == "/chat/completions":
            self._chat(answer)
        elif path == "/completions":
            self._completions(answer)
        elif path == "/embeddings":
            data = answer.json()
            if "embeddings-usage-missing" in q:
                data.pop("usage", None)
            if "embeddings-index-zero" in q:
                for item in data["data"]:
                    item["index"] = 0
            answer.set_json(data)

    def _models(self, path: str, answer: _Answer) -> None:
        if path == "/models" and "models-owned-by-missing" in self.quirks:
            data = answer.json()
            for model in data["data"]:
                model.pop("owned_by", None)
            answer.set_json(data)
        if (
            path.startswith("/models/")
            and answer.status == 404
            and "model-retrieve-any" in self.quirks
        ):
            answer.status = 200
            model = path.removeprefix("/models/")
            answer.set_json(
                {"id": model, "object": "model", "created": 1700000000, "owned_by": "x"}
            )

    def _chat(self, answer: _Answer) -> None:
        q = self.quirks
        if not answer.is_stream:
            data = answer.json()
            usage = data.get("usage")
            if "usage-total-wrong" in q and isinstance(usage, dict):
                usage["total_tokens"] += 1
            if "logprobs-ignored" in q:
                for choice in data["choices"]:
                    choice["logprobs"] = None
            if "tool-id-missing" in q:
                for choice in data["choices"]:
                    for call in choice["message"].get("tool_calls") or []:
                        call.pop("id", None)
            answer.set_json(data)
            return
        if "stream-error-dropped" in q:
            cut = answer.body.find(b'data: {"error"')
            if cut >= 0:
                answer.body = answer.body[:cut]
        if "ping-event" in q:
            answer.body = b"event: ping\n\n" + answer.body

        def edit(position: int, chunk: JSONObject) -> JSONObject:
            usage = chunk.get("usage")
            if "usage-total-wrong" in q and isinstance(usage, dict):
                usage["total_tokens"] += 1
            if "usage-chunk-no-choices" in q and usage and chunk.get("choices") == []:
                del chunk["choices"]
            if "created-changes" in q and isinstance(chunk.get("created"), int):
                chunk["created"] += position
            if "logprobs-ignored" in q:
                for choice in chunk.get("choices") or []:
                    choice["logprobs"] = None
            if "tool-parallel-same-index" in q:
                for choice in chunk.get("choices") or []:
                    for fragment in choice.get("delta", {}).get("tool_calls") or []:
                        fragment["index"] = 0
            return chunk

        answer.map_chunks(edit)

    def _completions(self, answer: _Answer) -> None:
        q = self.quirks

        def edit(position: int, chunk: JSONObject) -> JSONObject:
            if "completions-object-wrong" in q:
                chunk["object"] = "completion"
            if "completions-stream-finish-empty" in q and answer.is_stream:
                for choice in chunk.get("choices") or []:
                    if choice.get("finish_reason") is None:
                        choice["finish_reason"] = ""
            return chunk

        if answer.is_stream:
            answer.map_chunks(edit)
        else:
            answer.set_json(edit(0, answer.json()))


async def _call(app: ASGIApp, scope: Scope, body: bytes) -> _Answer:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            await asyncio.Event().wait()  # the client stays: block until cancelled
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    answer = _Answer(0, [], b"")
    parts: list[bytes] = []

    async def collect(message: Message) -> None:
        if message["type"] == "http.response.start":
            answer.status = message["status"]
            answer.headers = [(k.lower(), v) for k, v in message.get("headers", [])]
        elif message["type"] == "http.response.body":
            parts.append(message.get("body", b""))

    headers = [(k, v) for k, v in scope["headers"] if k.lower() != b"content-length"]
    headers.append((b"content-length", str(len(body)).encode()))
    await app({**scope, "headers": headers}, receive, collect)
    answer.body = b"".join(parts)
    return answer


async def _send(send: Send, answer: _Answer) -> None:
    headers = [
        (k, v) for k, v in answer.headers if k not in (b"content-length", b"transfer-encoding")
    ]
    if not answer.is_stream:  # a stream keeps no length: it is buffered here, not by the quirk
        headers.append((b"content-length", str(len(answer.body)).encode()))
    await send({"type": "http.response.start", "status": answer.status, "headers": headers})
    await send({"type": "http.response.body", "body": answer.body, "more_body": False})
