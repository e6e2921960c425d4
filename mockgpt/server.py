"""``MockServer``: a real uvicorn server in a background thread, and the in-process transports.

The server listens on 127.0.0.1 and a free port. The same app can also be served *in process*:
an HTTP client gets a transport that calls the ASGI app directly, with no socket. This module
is the only one that knows which HTTP library the installed ``openai`` client sends with
(``httpx2`` since openai 3.0, ``httpx`` before); everything else asks it for clients.

What in-process serving cannot show: the transport buffers the whole response, so a stream
arrives in one piece when it ends (pacing, ``ttft_ms`` and ``tokens_per_second`` only add to
the wall time), and the chunks sent before a dropped connection or a stall arrive together
with the error (for a stall, when the client's read timeout runs out), not one by one. Test
those over the socket.
"""

from __future__ import annotations

import asyncio
import functools
import importlib
import socket
import sys
import threading
import time
from collections.abc import Callable, Coroutine, Iterable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from types import ModuleType, TracebackType
from typing import Any, Literal, TypeVar

import anyio
import anyio.from_thread
import uvicorn
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mockgpt.app import create_app
from mockgpt.config import ServerConfig
from mockgpt.engine import Engine
from mockgpt.errors import ServerStartError
from mockgpt.faults import ConnectionDropped
from mockgpt.scenarios import Scenario

T = TypeVar("T")

Transport = Literal["socket", "asgi"]
"""How a client reaches the mock: a real TCP socket, or the ASGI app called in process."""

TRANSPORTS: tuple[Transport, ...] = ("socket", "asgi")

IN_PROCESS_HOST = "mockgpt.test"
"""Host name of in-process requests (a reserved TLD: it never resolves, so nothing leaks)."""

IN_PROCESS_URL = f"http://{IN_PROCESS_HOST}"
"""Base URL of the app served in process; ``/v1`` is the OpenAI base URL."""

KEEP_ALIVE_S = 120
"""Seconds an idle keep-alive connection stays open."""
STOP_GRACE_S = 1
"""How long ``MockServer.stop`` lets open requests finish before cancelling them, seconds."""

HTTP_LIBRARIES = ("httpx2", "httpx")
"""The HTTP libraries whose default transports ``interceptions`` reroutes, when installed."""


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

    try:
        await app(scope, receive, send)
    except ConnectionDropped:
        exchange.failure = "dropped"
    finally:
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


class _InFlight:
    """Counts the socket requests being served, so a reader can wait until each is journalled.

    The journal records a request when its handler returns, a moment after the client has
    read the last byte. ``finishing`` counts the responses whose last byte has been sent but
    whose handler has not returned yet: waiting for it to be 0 closes that gap without
    waiting for streams still under way.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.count = 0
        self.finishing = 0
        self.idle = threading.Condition()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one connection scope, counting HTTP requests."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        finishing = False

        async def send_counted(message: Message) -> None:
            nonlocal finishing
            last = message["type"] == "http.response.body" and not message.get("more_body")
            if last and not finishing:
                finishing = True
                with self.idle:
                    self.finishing += 1
            await send(message)

        with self.idle:
            self.count += 1
        try:
            await self.app(scope, receive, send_counted)
        finally:
            with self.idle:
                self.count -= 1
                self.finishing -= finishing
                self.idle.notify_all()

    def wait(self, timeout_s: float, *, finishing_only: bool) -> bool:
        with self.idle:
            if finishing_only:
                return self.idle.wait_for(lambda: self.finishing == 0, timeout_s)
            return self.idle.wait_for(lambda: self.count == 0, timeout_s)


class MockServer:
    """A mockgpt server over a real socket, and HTTP clients bound to it or to its app in process.

    Args:
        config: server settings; ``config.port`` 0 (the default here) picks a free port.
        scenarios: more scenarios, tried after those of ``config.scenarios``.
        start_timeout_s: how long ``start`` waits for the server to listen, seconds.

    Raises:
        ScenarioError: a scenario in ``config.scenarios`` is missing or invalid.

    Usage::

        with MockServer() as server:
            client = OpenAI(base_url=server.base_url, api_key="x")

    HTTP clients made by ``http_client`` / ``async_http_client`` share one connection pool
    per server (building an ``OpenAI()`` without a shared HTTP client costs about 20 ms, for
    the TLS certificates). ``stop`` closes the pool.
    """

    def __init__(
        self,
        config: ServerConfig | None = None,
        *,
        scenarios: Iterable[Scenario] = (),
        start_timeout_s: float = 10.0,
    ) -> None:
        self.config = config or ServerConfig(port=0)
        self.engine = Engine(self.config)
        self.app = create_app(engine=self.engine)
        self.scenarios: tuple[Scenario, ...] = (*self.engine.registry.scenarios, *scenarios)
        """The server's own scenarios (``config.scenarios``, then ``scenarios``), in order."""
        if scenarios:
            self.engine.registry.replace_base(self.scenarios)
        self.start_timeout_s = start_timeout_s
        self._served = _InFlight(self.app)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self._runner = _LoopRunner()
        self._pools: dict[str, Any] = {}
        self.port = 0

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://{self.config.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """The ``/v1`` base URL an OpenAI client takes."""
        return f"{self.url}/v1"

    @property
    def running(self) -> bool:
        """Whether the socket server is serving."""
        return self._server is not None and self._server.started

    def base_url_for(self, transport: Transport) -> str:
        """The ``/v1`` base URL for ``transport``: the socket's, or ``http://mockgpt.test/v1``."""
        return self.base_url if transport == "socket" else f"{IN_PROCESS_URL}/v1"

    def start(self) -> MockServer:
        """Bind, serve in a daemon thread and wait until it accepts connections.

        Does nothing if the server is already running.

        Raises:
            ServerStartError: the port could not be bound, or the server did not start
                within ``start_timeout_s``.
        """
        if self._server is not None:
            return self
        # IPPROTO_TCP: asyncio turns Nagle off (TCP_NODELAY) only on sockets whose protocol
        # says TCP; with Nagle on, each keep-alive response waits ~40 ms for a delayed ACK.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.config.host, self.config.port))
        except OSError as exc:
            sock.close()
            raise ServerStartError(
                f"cannot bind {self.config.host}:{self.config.port}: {exc}"
            ) from exc
        sock.listen(2048)
        self._socket = sock
        self.port = sock.getsockname()[1]
        uv_config = uvicorn.Config(
            self._served,
            log_level="warning",
            lifespan="on",
            access_log=False,
            timeout_graceful_shutdown=STOP_GRACE_S,
            # a test session's clients keep connections idle between tests; uvicorn's 5 s
            # default closes them under the client's feet on a busy machine
            timeout_keep_alive=KEEP_ALIVE_S,
        )
        server = uvicorn.Server(uv_config)
        self._server = server

        def run() -> None:
            asyncio.run(server.serve(sockets=[sock]))

        self._thread = threading.Thread(target=run, name="mockgpt-server", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + self.start_timeout_s
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise ServerStartError(
                    f"mockgpt did not start on {self.url} within {self.start_timeout_s} s"
                )
            time.sleep(0.001)
        return self

    def stop(self) -> None:
        """Close the shared HTTP clients, stop serving and wait for the thread to end.

        Open requests get up to ``STOP_GRACE_S`` to finish; then the app's lifespan shuts
        down (closing what the backends hold open).
        """
        for pool in self._pools.values():
            pool.close()
        self._pools.clear()
        self._runner.close()
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=STOP_GRACE_S + 5)
            if self._thread.is_alive() and self._server is not None:
                self._server.force_exit = True
                self._thread.join(timeout=5)
        if self._socket is not None:
            self._socket.close()
        self._server = self._thread = self._socket = None

    def wait_journalled(self, timeout_s: float = 5.0) -> bool:
        """Wait until every socket response already sent in full is in the journal.

        Streams still under way are not waited for.

        Args:
            timeout_s: the longest wait, seconds.

        Returns:
            False if a response was still being journalled after ``timeout_s``.
        """
        return self._served.wait(timeout_s, finishing_only=True)

    def wait_idle(self, timeout_s: float = 5.0) -> bool:
        """Wait until no socket request is being served at all.

        Args:
            timeout_s: the longest wait, seconds.

        Returns:
            False if requests were still being served after ``timeout_s``.
        """
        return self._served.wait(timeout_s, finishing_only=False)

    # -- clients ---------------------------------------------------------------------------

    def http_client(self, transport: Transport = "socket") -> Any:
        """A new sync HTTP client (``httpx2.Client`` or ``httpx.Client``, as openai uses).

        It shares the server's connection pool (socket) or in-process transport (asgi), so
        making one costs microseconds, and closing it leaves the shared one open. Pass it as
        ``OpenAI(http_client=...)``.

        Args:
            transport: ``socket`` (TCP to ``base_url``) or ``asgi`` (the app in process).
        """
        lib = http_library()
        classes = _classes(lib)
        inner: Any
        if transport == "socket":
            key = f"{lib.__name__}.socket"
            inner = self._pools.get(key)
            if inner is None:
                inner = self._pools[key] = lib.HTTPTransport(verify=False)
        else:
            inner = classes.in_process(self.app, self._runner)
        return lib.Client(transport=classes.shared(inner), trust_env=False)

    def async_http_client(self, transport: Transport = "socket") -> Any:
        """A new async HTTP client (``httpx2.AsyncClient`` or ``httpx.AsyncClient``).

        Over the socket it keeps no idle connection, so a client that is never closed
        leaves no socket open when the test's event loop ends. In process it runs the app on
        the caller's event loop.

        Args:
            transport: ``socket`` or ``asgi``.
        """
        lib = http_library()
        if transport == "socket":
            inner = lib.AsyncHTTPTransport(
                verify=False, limits=lib.Limits(max_keepalive_connections=0)
            )
        else:
            inner = _classes(lib).async_in_process(self.app)
        return lib.AsyncClient(transport=inner, trust_env=False)

    def interceptions(self) -> list[tuple[type[Any], str, Callable[..., Any]]]:
        """Patches that serve requests to ``http://mockgpt.test`` in process, for any client.

        Each is ``(class, method name, replacement)`` for the default transports of httpx2
        and httpx (those installed): ``HTTPTransport.handle_request`` and
        ``AsyncHTTPTransport.handle_async_request``. A replacement sends requests for
        ``mockgpt.test`` to this server's app and every other request on as before, so an
        application that builds its own ``OpenAI()`` is served in process. Apply them with
        ``pytest.MonkeyPatch.setattr`` so they are undone.
        """
        patches: list[tuple[type[Any], str, Callable[..., Any]]] = []
        for lib in _libraries():
            classes = _classes(lib)
            sync_target = classes.in_process(self.app, self._runner)
            async_target = classes.async_in_process(self.app)
            sync_original = lib.HTTPTransport.handle_request
            async_original = lib.AsyncHTTPTransport.handle_async_request

            def handle_request(
                transport: Any,
                request: Any,
                _original: Callable[..., Any] = sync_original,
                _target: Any = sync_target,
            ) -> Any:
                if request.url.host == IN_PROCESS_HOST:
                    return _target.handle_request(request)
                return _original(transport, request)

            async def handle_async_request(
                transport: Any,
                request: Any,
                _original: Callable[..., Any] = async_original,
                _target: Any = async_target,
            ) -> Any:
                if request.url.host == IN_PROCESS_HOST:
                    return await _target.handle_async_request(request)
                return await _original(transport, request)

            patches.append((lib.HTTPTransport, "handle_request", handle_request))
            patches.append((lib.AsyncHTTPTransport, "handle_async_request", handle_async_request))
        return patches

    def __enter__(self) -> MockServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
