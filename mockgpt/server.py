"""``MockServer``: a real uvicorn server in a background thread, on 127.0.0.1 and a free port."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from types import TracebackType

import uvicorn

from mockgpt.app import create_app
from mockgpt.config import ServerConfig
from mockgpt.engine import Engine
from mockgpt.errors import ServerStartError


class MockServer:
    """A mockgpt server over a real socket, started and stopped from the calling thread.

    Args:
        config: server settings; ``config.port`` 0 (the default here) picks a free port.
        start_timeout_s: how long ``start`` waits for the server to listen, seconds.

    Usage::

        with MockServer() as server:
            client = OpenAI(base_url=server.base_url, api_key="x")
    """

    def __init__(
        self, config: ServerConfig | None = None, *, start_timeout_s: float = 10.0
    ) -> None:
        self.config = config or ServerConfig(port=0)
        self.engine = Engine(self.config)
        self.app = create_app(engine=self.engine)
        self.start_timeout_s = start_timeout_s
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self.port = 0

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://{self.config.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """The ``/v1`` base URL an OpenAI client takes."""
        return f"{self.url}/v1"

    def start(self) -> MockServer:
        """Bind, serve in a daemon thread and wait until it accepts connections.

        Raises:
            ServerStartError: the port could not be bound, or the server did not start
                within ``start_timeout_s``.
        """
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
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
            lifespan="off",
            access_log=False,
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
        """Stop serving and wait for the thread to end (open streams are closed)."""
        if self._server is not None:
            self._server.should_exit = True
            self._server.force_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._socket is not None:
            self._socket.close()
        self._server = self._thread = self._socket = None

    def __enter__(self) -> MockServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
