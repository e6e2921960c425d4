"""``JournalFeed``: the journal as server-sent events, each entry sent as its response ends.

The feed lasts as long as its reader: it ends when the client goes away, when the reader is
too slow (``FEED_BUFFER`` entries waiting; it can reconnect with ``since``), and when the
server shuts down. uvicorn waits for open responses before it shuts down, and tells the app
nothing; the feed sees it from uvicorn's signal handler (a Ctrl+C or SIGTERM sets its
server's ``should_exit``), or is cancelled after the server's grace period (``MockServer``).
"""

from __future__ import annotations

import asyncio
import signal
from collections import deque
from collections.abc import Callable

import anyio
from starlette.types import Receive, Scope, Send

from mockgpt.journal import Journal, JournalEntry
from mockgpt.sse import dumps

FEED_BUFFER = 10_000
"""Entries waiting to be sent to one reader before its feed ends (it is too slow)."""
POLL_S = 1.0
"""How often an idle feed checks whether the server is shutting down, seconds."""
KEEP_ALIVE_S = 15.0
"""An idle feed sends an SSE comment this often, seconds (so proxies keep it open)."""
HEADERS = [
    (b"content-type", b"text/event-stream; charset=utf-8"),
    (b"cache-control", b"no-cache"),
    (b"x-accel-buffering", b"no"),
]


def server_exiting() -> bool:
    """Whether the uvicorn server running in this process has been told to stop.

    uvicorn's handler of SIGINT and SIGTERM is its ``Server.handle_exit``, which sets the
    server's ``should_exit``; a server run outside the main thread installs none.
    """
    for sig in (signal.SIGINT, signal.SIGTERM):
        owner = getattr(signal.getsignal(sig), "__self__", None)
        if getattr(owner, "should_exit", False) is True:
            return True
    return False


def frame(entry: JournalEntry) -> bytes:
    """One entry as an SSE event: ``id: <seq>``, ``event: entry``, ``data: <entry JSON>``."""
    return b"id: %d\nevent: entry\ndata: %s\n\n" % (entry.seq, dumps(entry.to_dict()))


class JournalFeed:
    """An ASGI response: ``backlog``, then each entry ``chosen`` accepts as it settles.

    Args:
        journal: the journal followed.
        chosen: which settled entries are sent.
        backlog: entries sent first (an entry already complete in it is not sent again).
    """

    def __init__(
        self,
        journal: Journal,
        chosen: Callable[[JournalEntry], bool],
        backlog: list[JournalEntry],
    ) -> None:
        self.journal = journal
        self.chosen = chosen
        self.backlog = backlog

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Send the feed until the client leaves, falls behind or the server stops."""
        loop = asyncio.get_running_loop()
        pending: deque[JournalEntry] = deque()
        wake = asyncio.Event()
        overflow = [False]

        def heard(entry: JournalEntry) -> None:  # from the thread that settled the entry
            if len(pending) >= FEED_BUFFER:
                overflow[0] = True
            else:
                pending.append(entry)
            try:
                loop.call_soon_threadsafe(wake.set)
            except RuntimeError:  # the feed's event loop has closed: the feed is over
                return

        stop = self.journal.listen(heard)
        try:
            await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
            sent = {e.seq for e in self.backlog if e.complete}
            for entry in self.backlog:
                await _body(send, frame(entry))
            async with anyio.create_task_group() as group:
                group.start_soon(_until_disconnect, receive, group.cancel_scope)
                await self._follow(pending, wake, overflow, sent, send)
                group.cancel_scope.cancel()
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            stop()

    async def _follow(
        self,
        pending: deque[JournalEntry],
        wake: asyncio.Event,
        overflow: list[bool],
        sent: set[int],
        send: Send,
    ) -> None:
        idle_s = 0.0
        while not overflow[0]:
            with anyio.move_on_after(POLL_S):
                await wake.wait()
            wake.clear()
            if server_exiting():
                return
            if not pending:
                idle_s += POLL_S
                if idle_s >= KEEP_ALIVE_S:
                    idle_s = 0.0
                    await _body(send, b": keep-alive\n\n")
                continue
            idle_s = 0.0
            while pending:
                entry = pending.popleft()
                if entry.seq not in sent and self.chosen(entry):
                    await _body(send, frame(entry))


async def _body(send: Send, data: bytes) -> None:
    await send({"type": "http.response.body", "body": data, "more_body": True})


async def _until_disconnect(receive: Receive, scope: anyio.CancelScope) -> None:
    """Cancel ``scope`` once the client has gone away."""
    while (await receive())["type"] != "http.disconnect":
        pass
    scope.cancel()
