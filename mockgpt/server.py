"""``MockServer``: a real uvicorn server in a background thread, and HTTP clients bound to it.

The server listens on 127.0.0.1 and a free port. The same app can also be served *in process*:
an HTTP client gets a transport that calls the ASGI app directly, with no socket. Those
transports live in ``mockgpt.inprocess``, which also knows which HTTP library the installed
``openai`` client sends with (``http_library``, re-exported here); its docstring says what
in-process serving cannot show (a stream arrives in one piece; test pacing, drops and stalls
over the socket).
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Any, Literal

import uvicorn

from mockgpt.app import create_app
from mockgpt.config import IN_PROCESS_HOST, ServerConfig
from mockgpt.engine import Engine
from mockgpt.errors import ServerStartError
from mockgpt.inprocess import HTTP_LIBRARIES as HTTP_LIBRARIES  # re-exported
from mockgpt.inprocess import SERVING, _classes, _libraries, _LoopRunner
from mockgpt.inprocess import http_library as http_library  # re-exported
from mockgpt.scenarios import Scenario

Transport = Literal["socket", "asgi"]
"""How a client reaches the mock: a real TCP socket, or the ASGI app called in process."""

TRANSPORTS: tuple[Transport, ...] = ("socket", "asgi")


IN_PROCESS_URL = f"http://{IN_PROCESS_HOST}"
"""Base URL of the app served in process; ``/v1`` is the OpenAI base URL."""

KEEP_ALIVE_S = 120
"""Seconds an idle keep-alive connection stays open."""
STOP_GRACE_S = 1
"""How long ``MockServer.stop`` lets open requests finish before cancelling them, seconds."""


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
            self.app,
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
            SERVING.set(True)  # every task of this thread's loop copies it
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
        return self.app.in_flight.wait(timeout_s, finishing_only=True)

    def wait_idle(self, timeout_s: float = 5.0) -> bool:
        """Wait until no socket request is being served at all.

        Args:
            timeout_s: the longest wait, seconds.

        Returns:
            False if requests were still being served after ``timeout_s``.
        """
        return self.app.in_flight.wait(timeout_s, finishing_only=False)

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
