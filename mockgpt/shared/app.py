"""``SharedApp``: the ASGI layer that makes several processes one mock (``--state``).

It wraps the ``Dispatcher`` of one process and adds, per request, only what the shared
state needs: a 503 while the store is away; for an admin request, the store's journal
before and this process's stub changes announced before its last byte; for a request of a
family with stored objects (``stores.KINDS``), those objects read before and written back
before its last byte; for every API request, its journal entry written (batched) before its
last byte, so that a client that has the answer finds the entry on any process.

Stream events are sent by the process that serves them; only the journal entry is shared.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from starlette.types import Message, Receive, Scope, Send

from mockgpt.app import PAGE_PATHS, Dispatcher
from mockgpt.batches_store import StoredBatch
from mockgpt.errors import RequestRejected
from mockgpt.http.body import error_response
from mockgpt.journal import endpoint_of
from mockgpt.shared.objects import Loaded, ObjectSync
from mockgpt.shared.redis_state import RedisState
from mockgpt.shared.stores import kinds_of
from mockgpt.shared.unreachable import StateUnreachable

logger = logging.getLogger(__name__)


class SharedApp:
    """``app`` with its state shared through ``state`` (see the module doc).

    Attributes:
        app: the process's own ``Dispatcher``.
        engine: its engine.
        shared: the shared state.
    """

    def __init__(self, app: Dispatcher, state: RedisState) -> None:
        self.app = app
        self.engine = app.engine
        self.shared = state
        self.objects = ObjectSync(state)
        self._journal_on = app.engine.config.journal_size > 0
        app.engine.state.batches.shared_end = self._end_batch

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one ASGI scope."""
        if scope["type"] == "http":
            await self._http(scope, receive, send)
        elif scope["type"] == "lifespan":
            await self.app(scope, self._lifespan(receive), send)
        else:
            await self.app(scope, receive, send)

    def _lifespan(self, receive: Receive) -> Receive:
        async def receive_and_connect() -> Message:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await self.shared.start()
            elif message["type"] == "lifespan.shutdown":
                await self.shared.close()
            return message

        return receive_and_connect

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        state, path = self.shared, scope["path"]
        await state.start()  # at once when the lifespan has run
        if not state.up:
            await _refuse(StateUnreachable(state.shown), path, send)
            return
        if path.startswith("/_mockgpt/"):
            await self._admin(scope, receive, send)
            return
        kinds = kinds_of(endpoint_of(path))
        loaded: Loaded | None = None
        if kinds:
            body, receive = await _buffered(receive, self.engine.config.max_body_bytes)
            try:
                loaded = await self.objects.load(kinds, path, scope["method"], body)
            except StateUnreachable as exc:
                await _refuse(exc, path, send)
                return
        written = False

        async def send_shared(message: Message) -> None:
            nonlocal written
            if message["type"] == "http.response.body" and not message.get("more_body"):
                written = True
                await self._write(scope, loaded)
            await send(message)

        try:
            await self.app(scope, receive, send_shared)
        finally:
            if not written and loaded is not None:  # the client went away: keep the objects
                await self._write_back(scope, loaded)
            if loaded is not None:
                self.objects.release(loaded)

    async def _write(self, scope: Scope, loaded: Loaded | None) -> None:
        """Write back the request's stored objects; queue its journal entry.

        An entry that never gets here (a client gone mid-answer, a WebSocket) is queued when
        the journal settles it.
        """
        if loaded is not None:
            await self._write_back(scope, loaded)
        entry = scope.get("mockgpt.entry")
        if entry is not None and self._journal_on:
            self.shared.journal_append(entry, before_settle=True)

    async def _write_back(self, scope: Scope, loaded: Loaded) -> None:
        try:
            await self.objects.write_back(loaded)
        except StateUnreachable:
            logger.error("stored objects of %s were not shared", scope["path"])

    async def _end_batch(
        self, stored: StoredBatch, end: Callable[[StoredBatch], Awaitable[None]]
    ) -> None:
        """End a batch by time (its creator's timer) on the store's copy, and write it back."""
        path = f"/v1/batches/{stored.id}"
        try:
            loaded = await self.objects.load(kinds_of("batches"), path, "GET", b"")
        except StateUnreachable:
            logger.error("batch %s did not end: the store is away", stored.id)
            return
        try:
            fresh = self.engine.state.batches.batches.get(stored.id)
            if fresh is not None:
                fresh.app = fresh.app or stored.app
                await end(fresh)
            await self._write_back({"path": path}, loaded)
        finally:
            self.objects.release(loaded)

    async def _admin(self, scope: Scope, receive: Receive, send: Send) -> None:
        """An admin request: it reads the store's journal; its changes reach every process."""
        state, path = self.shared, scope["path"]
        if PAGE_PATHS.fullmatch(path) is None:
            try:
                await state.refresh_journal()
            except StateUnreachable as exc:
                await _refuse(exc, path, send)
                return
        refused: list[StateUnreachable] = []

        async def send_published(message: Message) -> None:
            if message["type"] == "http.response.start":
                try:  # before the answer: once it has it, the client may ask another process
                    await state.publish()
                except StateUnreachable as exc:
                    refused.append(exc)
                    await _refuse(exc, path, send)
            if not refused:
                await send(message)

        await self.app(scope, receive, send_published)


async def _refuse(error: RequestRejected, path: str, send: Send) -> None:
    status, headers, body = error_response(error, frozenset(), path)
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})


async def _buffered(receive: Receive, limit: int) -> tuple[bytes, Receive]:
    """The request body (up to ``limit`` bytes read), and a ``receive`` that gives it again."""
    messages: list[Message] = []
    size = 0
    while size <= limit:
        message = await receive()
        messages.append(message)
        size += len(message.get("body", b""))
        if message["type"] != "http.request" or not message.get("more_body"):
            break
    body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.request")

    async def replay() -> Message:
        if messages:
            return messages.pop(0)
        return await receive()

    return body, replay
