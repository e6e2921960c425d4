"""A webhook receiver for the tests: a Starlette app on uvicorn, 127.0.0.1, a free port.

It keeps every request it gets (body bytes and headers) and answers each with the next
status of its plan (then 200), so a test can make it fail a few times first.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mockgpt.engine import Engine
from mockgpt.webhooks import WebhookTarget

WAIT_S = 20.0
"""The longest a test waits for deliveries before it fails (a bound, not a timing check)."""


@dataclass(frozen=True)
class Delivery:
    """One request the receiver got."""

    body: bytes
    headers: dict[str, str]


class Receiver:
    """The deliveries so far, and the statuses the next ones get."""

    def __init__(self) -> None:
        self.deliveries: list[Delivery] = []
        self.plan: list[int] = []
        self.changed = threading.Condition()
        self.url = ""

    async def hook(self, request: Request) -> Response:
        body = await request.body()
        with self.changed:
            self.deliveries.append(Delivery(body, dict(request.headers)))
            status = self.plan.pop(0) if self.plan else 200
            self.changed.notify_all()
        return Response(f"status {status}", status_code=status)

    def wait_for(self, count: int, timeout_s: float = WAIT_S) -> list[Delivery]:
        """The first ``count`` deliveries, once they arrived (AssertionError if they do not)."""
        with self.changed:
            arrived = self.changed.wait_for(lambda: len(self.deliveries) >= count, timeout_s)
            got = list(self.deliveries)
        assert arrived, f"expected {count} webhook deliveries within {timeout_s} s, got {got}"
        return got[:count]


@contextmanager
def receiving() -> Iterator[Receiver]:
    """A running receiver at ``receiver.url`` (``http://127.0.0.1:<port>/hook``)."""
    receiver = Receiver()
    app = Starlette(routes=[Route("/hook", receiver.hook, methods=["POST"])])
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    receiver.url = f"http://127.0.0.1:{sock.getsockname()[1]}/hook"
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + WAIT_S
    while not server.started:
        assert time.monotonic() < deadline, "the webhook receiver did not start"
        time.sleep(0.01)
    try:
        yield receiver
    finally:
        server.should_exit = True
        thread.join(WAIT_S)
        sock.close()


@contextmanager
def webhooks_to(engine: Engine, secret: str) -> Iterator[Receiver]:
    """A running receiver that ``engine`` sends its webhooks to (signed with ``secret``, no
    backoff) until the block ends; the engine's target is then what it was."""
    before = engine.webhooks.target
    with receiving() as receiver:
        engine.webhooks.target = WebhookTarget(
            url=receiver.url, secret=secret, attempts=5, backoff_ms=0
        )
        try:
            yield receiver
        finally:
            engine.webhooks.target = before
