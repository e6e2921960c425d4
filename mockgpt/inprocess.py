"""The in-process transports: HTTP clients that call the ASGI app directly, with no socket.

``MockServer`` (``mockgpt.server``) hands these out for ``transport="asgi"``. This module is
the only one that knows which HTTP library the installed ``openai`` client sends with
(``httpx2`` since openai 3.0, ``httpx`` before); ``mockgpt.server`` re-exports
``http_library`` and everything else asks the server for clients.

What in-process serving cannot show: the transport buffers the whole response, so a stream
arrives in one piece when it ends (pacing, ``ttft_ms`` and ``tokens_per_second`` only add to
the wall time), and the chunks sent before a dropped connection or a stall arrive together
with the error (for a stall, when the client's read timeout runs out), not one by one. Test
those over the socket.

``SERVING`` tells code that runs while mockgpt answers a request (in process, or on a
``MockServer``'s thread) from the test's own code: the leak guard
(``mockgpt.testing.guard``) lets mockgpt's own upstream requests (the proxy backend, a
cassette being recorded) go out as they are.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import importlib
import sys
import threading
from collections.abc import Callable, Coroutine, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, Literal, TypeVar

import anyio
import anyio.from_thread
from starlette.types import ASGIApp, Message, Scope

from mockgpt.faults import ConnectionDropped

T = TypeVar("T")

SERVING: contextvars.ContextVar[bool] = contextvars.ContextVar("mockgpt_serving", default=False)
"""True while mockgpt's app handles a request: in process, or on a ``MockServer`` thread."""

HTTP_LIBRARIES = ("httpx2", "httpx")
"""The libraries whose default transports ``MockServer.interceptions`` reroutes, when installed."""


def http_library() -> ModuleType:
    """The HTTP library the installed ``openai`` client sends with.

    Returns:
        The ``httpx2`` module for openai >= 3, ``httpx`` for openai 1.x and 2.x (the base
        class of ``openai.DefaultHttpxClient`` says which); without openai, ``httpx2`` when
        installed, else ``httpx``.

    Raises:
        ImportError: neither library is installed.
    """
    try:
        import openai
    except ImportError:
        pass
    else:
        for base in openai.DefaultHttpxClient.__mro__:
            root = base.__module__.partition(".")[0]
            if root in HTTP_LIBRARIES and base.__name__ == "Client":
                return sys.modules[root]
    for name in HTTP_LIBRARIES:
        try:
            return importlib.import_module(name)
        except ImportError:
            continue
    raise ImportError("mockgpt's clients need httpx2 or httpx: pip install 'mockgpt[client]'")


def _libraries() -> list[ModuleType]:
    found = []
    for name in HTTP_LIBRARIES:
        try:
            found.append(importlib.import_module(name))
        except ImportError:
            continue
    return found


# -- serving one request in process -------------------------------------------------------


@dataclass
class _Exchange:
    """What the app sent for one in-process request."""

    status: int | None = None
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    parts: list[bytes] = field(default_factory=list)
    complete: bool = False
    failure: Literal["dropped", "timeout"] | None = None


def _scope(request: Any) -> Scope:
    url = request.url
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": request.method,
        "headers": [(k.lower(), v) for k, v in request.headers.raw],
        "scheme": url.scheme,
        "path": url.path,
        "raw_path": url.raw_path.split(b"?")[0],
        "query_string": url.query,
        "server": (url.host, url.port or (443 if url.scheme == "https" else 80)),
        "client": ("127.0.0.1", 0),
        "root_path": "",
    }


def _read_timeout_s(request: Any) -> float | None:
    timeout = request.extensions.get("timeout") or {}
    value = timeout.get("read")
    return float(value) if value is not None else None


async def _call_app(app: ASGIApp, scope: Scope, body: bytes, exchange: _Exchange) -> None:
    """Call ``app`` for one request, collecting the response in ``exchange`` (buffered).

    A ``ConnectionDropped`` fault is noted in ``exchange.failure`` rather than raised, so the
    transport can fail the way a socket does.
    """
    ended: list[anyio.Event] = []  # made on demand: most requests never wait for it
    body_sent = False

    async def receive() -> Message:
        nonlocal body_sent
        if not body_sent:
            body_sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        if not exchange.complete:  # the client is there until the response ends
            if not ended:
                ended.append(anyio.Event())
            await ended[0].wait()
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            exchange.status = message["status"]
            exchange.headers = list(message.get("headers", ()))
        elif message["type"] == "http.response.body":
            chunk = message.get("body", b"")
            if chunk:
                exchange.parts.append(chunk)
            if not message.get("more_body", False):
                exchange.complete = True
                if ended:
                    ended[0].set()

    serving = SERVING.set(True)
    try:
        await app(scope, receive, send)
    except ConnectionDropped:
        exchange.failure = "dropped"
    finally:
        SERVING.reset(serving)
        if ended:
            ended[0].set()


async def _timed(fn: Callable[[], Coroutine[Any, Any, T]], timeout_s: float | None) -> T:
    """``await fn()``; TimeoutError after ``timeout_s`` seconds."""
    with anyio.fail_after(timeout_s):
        return await fn()


class _LoopRunner:
    """Runs coroutines for sync callers.

    On a private event loop in the calling thread (no thread hop, so a call costs little),
    or on a portal thread when the calling thread already runs an event loop (a sync client
    used inside an async test).
    """

    def __init__(self) -> None:
        self._local = threading.local()
        self._lock = threading.Lock()
        self._loops: list[asyncio.AbstractEventLoop] = []
        self._portal_cm: AbstractContextManager[anyio.from_thread.BlockingPortal] | None = None
        self._portal: anyio.from_thread.BlockingPortal | None = None

    def run(self, fn: Callable[[], Coroutine[Any, Any, T]], timeout_s: float | None = None) -> T:
        """Run ``fn()`` to completion and return its result.

        Raises:
            TimeoutError: it took longer than ``timeout_s`` seconds (it is cancelled).
        """
        if _in_event_loop():
            result: T = self._portal_for_thread().call(_timed, fn, timeout_s)
            return result
        loop: asyncio.AbstractEventLoop | None = getattr(self._local, "loop", None)
        if loop is None or loop.is_closed():
            loop = asyncio.new_event_loop()
            self._local.loop = loop
            with self._lock:
                self._loops.append(loop)
        if timeout_s is None:
            return loop.run_until_complete(fn())
        # a timer on the task: cheaper than a cancel scope, and this loop runs nothing else
        task = loop.create_task(fn())
        expired: list[bool] = []

        def expire() -> None:
            expired.append(True)
            task.cancel()

        timer = loop.call_later(timeout_s, expire)
        try:
            return loop.run_until_complete(task)
        except asyncio.CancelledError:
            if expired:
                raise TimeoutError(f"no answer within {timeout_s} s") from None
            raise
        finally:
            timer.cancel()

    def _portal_for_thread(self) -> anyio.from_thread.BlockingPortal:
        with self._lock:
            if self._portal is None:
                self._portal_cm = anyio.from_thread.start_blocking_portal()
                self._portal = self._portal_cm.__enter__()
            return self._portal

    def close(self) -> None:
        """Close the private loops and stop the portal thread."""
        with self._lock:
            loops, self._loops = self._loops, []
            portal_cm, self._portal_cm, self._portal = self._portal_cm, None, None
        for loop in loops:
            if not loop.is_running() and not loop.is_closed():
                loop.run_until_complete(loop.shutdown_asyncgens())
                loop.close()
        if portal_cm is not None:
            portal_cm.__exit__(None, None, None)


def _in_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        trio = sys.modules.get("trio")
        if trio is None:
            return False
        try:
            trio.lowlevel.current_trio_token()
        except RuntimeError:
            return False
    return True


@dataclass(frozen=True)
class _Classes:
    """The transport and stream classes for one HTTP library (they subclass its bases)."""

    in_process: type[Any]
    async_in_process: type[Any]
    shared: type[Any]
    cut_body: type[Any]


@functools.cache
def _classes(lib: Any) -> _Classes:
    """Build the in-process transports for ``lib`` (``httpx2`` or ``httpx``: the same API)."""

    def failure_error(failure: str | None, request: Any, started: bool) -> Exception:
        error: Exception
        if failure == "timeout":
            error = lib.ReadTimeout("mockgpt (in process): the read timed out", request=request)
        elif started:
            error = lib.RemoteProtocolError(
                "peer closed connection without sending complete message body "
                "(mockgpt in process: the response was cut off)",
                request=request,
            )
        else:
            error = lib.RemoteProtocolError(
                "Server disconnected without sending a response (mockgpt in process).",
                request=request,
            )
        return error

    class CutBody(lib.SyncByteStream, lib.AsyncByteStream):  # type: ignore[misc]
        """The body parts sent before a fault, then the error a socket would give."""

        def __init__(self, parts: list[bytes], error: Exception) -> None:
            self.parts = parts
            self.error = error

        def __iter__(self) -> Iterator[bytes]:
            yield from self.parts
            raise self.error

        async def __aiter__(self) -> Any:
            for part in self.parts:
                yield part
            raise self.error

    def response(exchange: _Exchange, request: Any) -> Any:
        if exchange.status is None:
            raise failure_error(exchange.failure, request, started=False)
        if exchange.complete:
            stream = lib.ByteStream(b"".join(exchange.parts))
        else:
            stream = CutBody(exchange.parts, failure_error(exchange.failure, request, True))
        return lib.Response(exchange.status, headers=exchange.headers, stream=stream)

    class InProcess(lib.BaseTransport):  # type: ignore[misc]
        """A sync transport that calls the ASGI app (buffered; see the module docstring)."""

        def __init__(self, app: ASGIApp, runner: _LoopRunner) -> None:
            self.app = app
            self.runner = runner

        def handle_request(self, request: Any) -> Any:
            body, scope, exchange = request.read(), _scope(request), _Exchange()
            try:
                self.runner.run(
                    lambda: _call_app(self.app, scope, body, exchange), _read_timeout_s(request)
                )
            except TimeoutError:
                exchange.failure = "timeout"
            return response(exchange, request)

    class AsyncInProcess(lib.AsyncBaseTransport):  # type: ignore[misc]
        """An async transport that calls the ASGI app on the caller's event loop (buffered)."""

        def __init__(self, app: ASGIApp) -> None:
            self.app = app

        async def handle_async_request(self, request: Any) -> Any:
            body, exchange = await request.aread(), _Exchange()
            try:
                with anyio.fail_after(_read_timeout_s(request)):
                    await _call_app(self.app, _scope(request), body, exchange)
            except TimeoutError:
                exchange.failure = "timeout"
            return response(exchange, request)

    class Shared(lib.BaseTransport):  # type: ignore[misc]
        """A session's transport lent to one client: closing the client leaves it open."""

        def __init__(self, inner: Any) -> None:
            self.inner = inner

        def handle_request(self, request: Any) -> Any:
            return self.inner.handle_request(request)

        def close(self) -> None:
            pass

    return _Classes(InProcess, AsyncInProcess, Shared, CutBody)
