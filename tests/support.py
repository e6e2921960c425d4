"""Helpers shared by the test suite: client adapters, the in-process client, wire assertions."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import httpx
import openai
from anyio.from_thread import BlockingPortal
from hypothesis import settings
from openai.lib.streaming.chat import ChatCompletionStreamEvent
from openai.types import Completion, CreateEmbeddingResponse, Model
from openai.types.chat import ChatCompletion, ChatCompletionChunk, ParsedChatCompletion
from starlette.types import ASGIApp

from mockgpt.tokens import split_tokens

T = TypeVar("T")

USER = [{"role": "user", "content": "blue giraffe"}]
"""The canonical one-message conversation: the echo backend answers "blue giraffe"."""

ERROR_KEYS = {"message", "type", "param", "code"}


def examples(count: int) -> int:
    """``count`` hypothesis examples, or more when the active profile asks for more.

    ``pytest --hypothesis-profile=thorough`` (registered in ``conftest.py``) raises it.
    """
    wanted = settings.default.max_examples
    return max(count, wanted) if wanted > 100 else count


class Api(Protocol):
    """The official client's calls, the same for the sync and the async client.

    Streams are read to the end and returned as lists, so one test body checks both clients.
    """

    kind: str

    def chat(self, **kwargs: Any) -> ChatCompletion: ...
    def chat_chunks(self, **kwargs: Any) -> list[ChatCompletionChunk]: ...
    def chat_helper(
        self, **kwargs: Any
    ) -> tuple[list[ChatCompletionStreamEvent[None]], ParsedChatCompletion[None]]: ...
    def completion(self, **kwargs: Any) -> Completion: ...
    def completion_chunks(self, **kwargs: Any) -> list[Completion]: ...
    def embed(self, **kwargs: Any) -> CreateEmbeddingResponse: ...
    def list_models(self) -> list[Model]: ...
    def retrieve_model(self, model: str) -> Model: ...
    def close(self) -> None: ...


class SyncApi:
    """``Api`` over ``openai.OpenAI``."""

    kind = "sync"

    def __init__(self, client: openai.OpenAI) -> None:
        self.client = client

    def chat(self, **kwargs: Any) -> ChatCompletion:
        return self.client.chat.completions.create(**kwargs)

    def chat_chunks(self, **kwargs: Any) -> list[ChatCompletionChunk]:
        with self.client.chat.completions.create(stream=True, **kwargs) as stream:
            return list(stream)

    def chat_helper(
        self, **kwargs: Any
    ) -> tuple[list[ChatCompletionStreamEvent[None]], ParsedChatCompletion[None]]:
        with self.client.chat.completions.stream(**kwargs) as stream:
            events = list(stream)
            return events, stream.get_final_completion()

    def completion(self, **kwargs: Any) -> Completion:
        return self.client.completions.create(**kwargs)

    def completion_chunks(self, **kwargs: Any) -> list[Completion]:
        with self.client.completions.create(stream=True, **kwargs) as stream:
            return list(stream)

    def embed(self, **kwargs: Any) -> CreateEmbeddingResponse:
        return self.client.embeddings.create(**kwargs)

    def list_models(self) -> list[Model]:
        return list(self.client.models.list())

    def retrieve_model(self, model: str) -> Model:
        return self.client.models.retrieve(model)

    def close(self) -> None:
        self.client.close()


class AsyncApi:
    """``Api`` over ``openai.AsyncOpenAI``, driven on a blocking portal's event loop."""

    kind = "async"

    def __init__(self, portal: BlockingPortal, client: openai.AsyncOpenAI) -> None:
        self.portal = portal
        self.client = client

    def _run(self, fn: Callable[[], Awaitable[T]]) -> T:
        async def call() -> T:
            return await fn()

        return self.portal.call(call)

    def chat(self, **kwargs: Any) -> ChatCompletion:
        return self._run(lambda: self.client.chat.completions.create(**kwargs))

    def chat_chunks(self, **kwargs: Any) -> list[ChatCompletionChunk]:
        async def read() -> list[ChatCompletionChunk]:
            stream = await self.client.chat.completions.create(stream=True, **kwargs)
            async with stream:
                return [chunk async for chunk in stream]

        return self._run(read)

    def chat_helper(
        self, **kwargs: Any
    ) -> tuple[list[ChatCompletionStreamEvent[None]], ParsedChatCompletion[None]]:
        async def read() -> tuple[
            list[ChatCompletionStreamEvent[None]], ParsedChatCompletion[None]
        ]:
            async with self.client.chat.completions.stream(**kwargs) as stream:
                events = [event async for event in stream]
                return events, await stream.get_final_completion()

        return self._run(read)

    def completion(self, **kwargs: Any) -> Completion:
        return self._run(lambda: self.client.completions.create(**kwargs))

    def completion_chunks(self, **kwargs: Any) -> list[Completion]:
        async def read() -> list[Completion]:
            stream = await self.client.completions.create(stream=True, **kwargs)
            async with stream:
                return [chunk async for chunk in stream]

        return self._run(read)

    def embed(self, **kwargs: Any) -> CreateEmbeddingResponse:
        return self._run(lambda: self.client.embeddings.create(**kwargs))

    def list_models(self) -> list[Model]:
        async def read() -> list[Model]:
            return [model async for model in self.client.models.list()]

        return self._run(read)

    def retrieve_model(self, model: str) -> Model:
        return self._run(lambda: self.client.models.retrieve(model))

    def close(self) -> None:
        self._run(self.client.close)


class InProcess:
    """A sync HTTP client for an ASGI app served in process (``httpx.ASGITransport``).

    The ``httpx.AsyncClient`` lives on a blocking portal's event loop; ASGITransport buffers
    each whole response, which is what raw-request tests and hypothesis properties want.
    """

    def __init__(self, portal: BlockingPortal, app: ASGIApp) -> None:
        self.portal = portal
        self.app = app
        self.client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://mockgpt.test"
        )

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: object = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        if content is None and json_body is not None:
            content = json.dumps(json_body).encode()
        merged = {"content-type": "application/json", **(headers or {})}

        async def send() -> httpx.Response:
            return await self.client.request(method, path, content=content, headers=merged)

        return self.portal.call(send)

    def post(self, path: str, body: object = None, **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, json_body=body, **kwargs)

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def close(self) -> None:
        self.portal.call(self.client.aclose)


def assert_envelope(
    response: httpx.Response, status: int, *, param: str | None, code: str | None = None
) -> dict[str, Any]:
    """Assert ``response`` is exactly the OpenAI error envelope with ``status`` and ``param``.

    ``code`` is checked when given; it must always be a string or null.
    """
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["x-request-id"].startswith("req_")
    body = response.json()
    assert isinstance(body, dict)
    assert set(body) == {"error"}, body
    error = body["error"]
    assert isinstance(error, dict)
    assert set(error) == ERROR_KEYS, error
    assert isinstance(error["message"], str)
    assert error["message"]
    assert isinstance(error["type"], str)
    assert error["code"] is None or isinstance(error["code"], str)
    assert error["param"] == param, error
    if code is not None:
        assert error["code"] == code, error
    return error


def is_envelope(body: object) -> bool:
    """Whether ``body`` is exactly ``{"error": {"message", "type", "param", "code"}}``."""
    if not isinstance(body, dict) or set(body) != {"error"}:
        return False
    error = body["error"]
    return (
        isinstance(error, dict)
        and set(error) == ERROR_KEYS
        and isinstance(error["message"], str)
        and isinstance(error["type"], str)
        and (error["param"] is None or isinstance(error["param"], str))
        and (error["code"] is None or isinstance(error["code"], str))
    )


@dataclass(frozen=True)
class SSEEvent:
    """One raw SSE event: its bytes without the blank line, and its decoded JSON (or None)."""

    raw: bytes
    data: Any


def split_sse(body: bytes) -> list[SSEEvent]:
    r"""Split a raw SSE body into events, asserting the framing on the way.

    Every event must be exactly ``data: <one-line JSON>\n\n`` (or ``data: [DONE]\n\n``), and
    nothing may follow the last blank line.
    """
    assert body.endswith(b"\n\n"), body[-80:]
    events: list[SSEEvent] = []
    for raw in body[:-2].split(b"\n\n"):
        assert raw.startswith(b"data: "), raw[:80]
        assert b"\n" not in raw, raw[:80]
        assert b"\r" not in raw, raw[:80]
        payload = raw[len(b"data: ") :]
        data = None if payload == b"[DONE]" else json.loads(payload)
        events.append(SSEEvent(raw, data))
    return events


def joined_content(chunks: list[ChatCompletionChunk], index: int = 0) -> str:
    """The ``delta.content`` of choice ``index``, joined over the chunks."""
    return "".join(
        choice.delta.content or ""
        for chunk in chunks
        for choice in chunk.choices
        if choice.index == index
    )


def reference_answer(text: str, max_tokens: int | None, stops: Sequence[str]) -> tuple[str, str]:
    """What a model generating ``text`` token by token returns: (text, finish_reason).

    It checks the stop sequences after each token and stops after ``max_tokens`` tokens, so a
    stop sequence counts only when it is complete within the first ``max_tokens`` tokens.
    """
    generated = ""
    for count, token in enumerate(split_tokens(text)):
        if max_tokens is not None and count == max_tokens:
            return generated, "length"
        generated += token
        found = [i for i in (generated.find(s) for s in stops if s) if i >= 0]
        if found:
            return generated[: min(found)], "stop"
    return generated, "stop"
