"""The official client's Responses and Conversations calls, the same for sync and async.

Streams are read to the end and returned as lists, and pages are read through every page
(auto-pagination), so one test body checks both clients. Events and responses are typed
``Any``: tests read the fields the SDK types as a union of 58 event classes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar

import openai
from anyio.from_thread import BlockingPortal

T = TypeVar("T")


def _resolve(client: object, path: str) -> Callable[..., Any]:
    """``client.responses.input_items.list`` from ``"responses.input_items.list"``."""
    target: Any = client
    for name in path.split("."):
        target = getattr(target, name)
    return target  # type: ignore[no-any-return]


class ResponsesApi(Protocol):
    """What the tests call; ``path`` names a client method (``"conversations.items.list"``)."""

    kind: str

    def call(self, path: str, *args: Any, **kwargs: Any) -> Any: ...
    def collect(self, path: str, *args: Any, **kwargs: Any) -> list[Any]: ...
    def events(self, **kwargs: Any) -> list[Any]: ...
    def helper(self, **kwargs: Any) -> tuple[list[Any], Any]: ...


class SyncResponses:
    """``ResponsesApi`` over ``openai.OpenAI``."""

    kind = "sync"

    def __init__(self, client: openai.OpenAI) -> None:
        self.client = client

    def call(self, path: str, *args: Any, **kwargs: Any) -> Any:
        return _resolve(self.client, path)(*args, **kwargs)

    def collect(self, path: str, *args: Any, **kwargs: Any) -> list[Any]:
        return list(_resolve(self.client, path)(*args, **kwargs))

    def events(self, **kwargs: Any) -> list[Any]:
        with self.client.responses.create(stream=True, **kwargs) as stream:
            return list(stream)

    def helper(self, **kwargs: Any) -> tuple[list[Any], Any]:
        """``responses.stream(...)``: its events and ``get_final_response()`` (None if none)."""
        with self.client.responses.stream(**kwargs) as stream:
            events = list(stream)
            if not any(e.type == "response.completed" for e in events):
                return events, None
            return events, stream.get_final_response()


class AsyncResponses:
    """``ResponsesApi`` over ``openai.AsyncOpenAI``, driven on a blocking portal's loop."""

    kind = "async"

    def __init__(self, portal: BlockingPortal, client: openai.AsyncOpenAI) -> None:
        self.portal = portal
        self.client = client

    def _run(self, fn: Callable[[], Awaitable[T]]) -> T:
        async def call() -> T:
            return await fn()

        return self.portal.call(call)

    def call(self, path: str, *args: Any, **kwargs: Any) -> Any:
        return self._run(lambda: _resolve(self.client, path)(*args, **kwargs))

    def collect(self, path: str, *args: Any, **kwargs: Any) -> list[Any]:
        async def read() -> list[Any]:
            return [item async for item in _resolve(self.client, path)(*args, **kwargs)]

        return self._run(read)

    def events(self, **kwargs: Any) -> list[Any]:
        async def read() -> list[Any]:
            stream = await self.client.responses.create(stream=True, **kwargs)
            async with stream:
                return [event async for event in stream]

        return self._run(read)

    def helper(self, **kwargs: Any) -> tuple[list[Any], Any]:
        async def read() -> tuple[list[Any], Any]:
            async with self.client.responses.stream(**kwargs) as stream:
                events = [event async for event in stream]
                if not any(e.type == "response.completed" for e in events):
                    return events, None
                return events, await stream.get_final_response()

        return self._run(read)
