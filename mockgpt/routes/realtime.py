"""The Realtime API over a WebSocket: ``/v1/realtime?model=...`` (and ``/realtime``).

A session starts with ``session.created``; then each client event is answered as the GA API
answers it, and anything else (not JSON, no ``type``, an unknown type, a bad field) gets an
``error`` event naming it while the session stays open:

- ``session.update`` -> ``session.updated`` with the whole session;
- ``conversation.item.create`` (a user, assistant or system message, a ``function_call``,
  a ``function_call_output``) -> ``conversation.item.added`` + ``conversation.item.done``;
  ``conversation.item.retrieve`` / ``.delete`` -> ``.retrieved`` / ``.deleted``;
- ``input_audio_buffer.append`` (base64 audio, only counted), ``.commit`` ->
  ``input_audio_buffer.committed`` and a user item holding the audio (its transcript null:
  mockgpt transcribes nothing), ``.clear`` -> ``input_audio_buffer.cleared``;
- ``response.create`` -> one response (``mockgpt.http.realtime``), answered through the one
  pipeline: a ``Turn`` with endpoint ``realtime`` (the instructions as a system message, the
  items as messages, the session's function tools as tools) that ``Engine.serve`` answers from
  the stubs or the fallback; each response is one journal entry (``GET /v1/realtime``, its
  body the ``Turn`` in chat terms, its response the events sent);
- ``response.cancel`` -> the response under way ends with ``response.done``, ``cancelled``.

One response runs at a time, beside the reading of client events; a client that disconnects
cancels it.

Spec: ``RealtimeClientEvent*`` / ``RealtimeServerEvent*`` in the OpenAPI description.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import anyio
from anyio.abc import TaskGroup

from mockgpt import ids
from mockgpt.errors import RequestRejected
from mockgpt.http.realtime import ResponseSender
from mockgpt.http.websocket import POLICY_VIOLATION, Socket, SocketGone, client_event
from mockgpt.journal import JournalEntry
from mockgpt.models.realtime import (
    DEFAULT_MODEL,
    Session,
    check_response_fields,
    checked_item,
    default_session,
    prompt_of,
    updated_session,
)
from mockgpt.render.realtime import RealtimeRenderer, error_event
from mockgpt.routes.realtime_items import Conversation, Item
from mockgpt.sse import dumps
from mockgpt.turn import Turn
from mockgpt.types import JSONObject

SESSION_LIFETIME_S = 3600
"""A session's ``expires_at`` is this many seconds after it starts."""
_RESPONSE_FIELDS = (
    "instructions",
    "tools",
    "tool_choice",
    "output_modalities",
    "max_output_tokens",
    "metadata",
)
"""The session fields a ``response.create`` may replace for one response."""


def new_id(prefix: str) -> str:
    """A fresh Realtime id such as ``item_<24 hex>`` (``mockgpt.ids``: seeded or random)."""
    return f"{prefix}_{ids.new_hex(24)}"


class RealtimeSession:
    """One Realtime connection's state and its answers to client events (see the module doc).

    Args:
        socket: the accepted connection.
    """

    def __init__(self, socket: Socket) -> None:
        self.socket = socket
        self.engine = socket.engine
        model = socket.query.get("model") or DEFAULT_MODEL
        self.session = default_session(new_id("sess"), model, ids.now() + SESSION_LIFETIME_S)
        self.conversation_id = new_id("conv")
        config = self.engine.config
        self.conversation = Conversation(config.max_stored, config.max_answer_bytes)
        self.active: ResponseSender | None = None
        self._active_scope: anyio.CancelScope | None = None
        self._group: TaskGroup | None = None

    def event(self, kind: str, **fields: Any) -> JSONObject:
        """A server event of ``kind`` with a fresh ``event_id``."""
        return {"type": kind, "event_id": new_id("event"), **fields}

    async def run(self) -> None:
        """Serve the connection until the client closes it.

        Raises:
            SocketGone: the client left while an event was being sent.
        """
        model = str(self.session["model"])
        try:
            self.engine.check_model(model)
        except RequestRejected as error:
            await self.error(error, None)
            await self.socket.close(POLICY_VIOLATION, "model_not_found")
            return
        await self.socket.send(self.event("session.created", session=self.session))
        async with anyio.create_task_group() as group:
            self._group = group
            try:
                while True:
                    await self.answer(await self.socket.receive())
            except SocketGone:
                group.cancel_scope.cancel()

    async def answer(self, text: str) -> None:
        """Answer one client message (an ``error`` event for a bad one)."""
        client_id: str | None = None
        try:
            limit = self.engine.config.max_body_bytes
            if len(text) > limit:
                raise RequestRejected(
                    400, f"The event is larger than {limit} bytes (--max-body-bytes)."
                )
            event = client_event(text)
            given = event.get("event_id")
            client_id = given if isinstance(given, str) else None
            handler = _HANDLERS.get(str(event["type"]))
            if handler is None:
                raise RequestRejected(
                    400,
                    f"Invalid value: {event['type']!r}. Supported values are: "
                    + ", ".join(f"'{name}'" for name in _HANDLERS)
                    + ".",
                    param="type",
                    code="invalid_value",
                )
            await handler(self, event, len(text))
        except RequestRejected as error:
            await self.error(error, client_id)

    async def error(self, error: RequestRejected, client_id: str | None) -> None:
        """Send ``error`` as an ``error`` event, naming the client event that caused it."""
        await self.socket.send(
            error_event(
                new_id("event"),
                error.message,
                type=error.type,
                code=error.code,
                param=error.param,
                client_event_id=client_id,
            )
        )

    async def session_update(self, event: JSONObject, size: int) -> None:
        """``session.update`` -> ``session.updated``."""
        self.session = updated_session(self.session, event.get("session"))
        await self.socket.send(self.event("session.updated", session=self.session))

    async def add_item(self, item: Item, previous: object = None, size: int = 0) -> None:
        """Put ``item`` in the conversation; ``conversation.item.added`` and ``.done``."""
        before = self.conversation.add(item, previous, size)
        for kind in ("conversation.item.added", "conversation.item.done"):
            await self.socket.send(self.event(kind, previous_item_id=before, item=item))

    async def item_create(self, event: JSONObject, size: int) -> None:
        """``conversation.item.create``."""
        item = checked_item(event.get("item"), new_id("item"))
        await self.add_item(item, event.get("previous_item_id"), size)

    async def item_retrieve(self, event: JSONObject, size: int) -> None:
        """``conversation.item.retrieve`` -> ``conversation.item.retrieved``."""
        _, item = self.conversation.find(event.get("item_id"))
        await self.socket.send(self.event("conversation.item.retrieved", item=item))

    async def item_delete(self, event: JSONObject, size: int) -> None:
        """``conversation.item.delete`` -> ``conversation.item.deleted``."""
        item = self.conversation.delete(event.get("item_id"))
        await self.socket.send(self.event("conversation.item.deleted", item_id=item["id"]))

    async def audio_append(self, event: JSONObject, size: int) -> None:
        """``input_audio_buffer.append``: the audio is checked and counted, not kept."""
        self.conversation.append_audio(event.get("audio"))

    async def audio_commit(self, event: JSONObject, size: int) -> None:
        """``input_audio_buffer.commit`` -> ``.committed`` and a user item with the audio."""
        item = self.conversation.commit_audio(new_id("item"))
        previous = self.conversation.last_id
        committed = self.event(
            "input_audio_buffer.committed", previous_item_id=previous, item_id=item["id"]
        )
        await self.socket.send(committed)
        await self.add_item(item)

    async def audio_clear(self, event: JSONObject, size: int) -> None:
        """``input_audio_buffer.clear`` -> ``input_audio_buffer.cleared``."""
        self.conversation.audio_bytes = 0
        await self.socket.send(self.event("input_audio_buffer.cleared"))

    async def response_cancel(self, event: JSONObject, size: int) -> None:
        """``response.cancel``: the response under way ends, ``cancelled``."""
        scope = self._active_scope
        if scope is None:
            raise RequestRejected(
                400,
                "Cancellation failed: no active response found.",
                code="response_cancel_not_active",
            )
        scope.cancel()

    async def response_create(self, event: JSONObject, size: int) -> None:
        """``response.create``: answer the conversation through the engine (a task)."""
        if self.active is not None:
            raise RequestRejected(
                400,
                "Conversation already has an active response in progress: "
                f"{self.active.renderer.id}. Wait until the response is finished before "
                "creating a new one.",
                code="conversation_already_has_active_response",
            )
        options = event.get("response") or {}
        if not isinstance(options, Mapping):
            raise RequestRejected(400, "Invalid 'response': expected an object.", param="response")
        check_response_fields(options, "response")
        fields: Session = {
            **self.session,
            **{k: options[k] for k in _RESPONSE_FIELDS if k in options},
        }
        in_band = options.get("conversation", "auto") != "none"
        given = options.get("input")
        items = self.conversation.items if given is None else self._input(given)
        sender = self._sender(fields, items)
        self.active = sender
        scope = self._active_scope = anyio.CancelScope()
        assert self._group is not None, "run() starts the task group"
        self._group.start_soon(self._respond, sender, scope, in_band)

    def _input(self, given: object) -> list[Item]:
        """A ``response.create``'s own ``input``: items, or references to the conversation's."""
        if not isinstance(given, list):
            raise RequestRejected(400, "Invalid 'response.input': expected an array.")
        items = []
        for entry in given:
            if isinstance(entry, Mapping) and entry.get("type") == "item_reference":
                items.append(self.conversation.find(entry.get("id"), "response.input.id")[1])
            else:
                items.append(checked_item(entry, new_id("item")))
        return items

    def _sender(self, fields: Session, items: list[Item]) -> ResponseSender:
        """Build the ``Turn``, have the engine answer it, and journal the exchange."""
        engine, socket = self.engine, self.socket
        prompt = prompt_of(fields, items)
        limit = fields.get("max_output_tokens")
        modalities = fields.get("output_modalities") or ["audio"]
        body: JSONObject = {
            "type": "response.create",
            "model": self.session["model"],
            "instructions": fields.get("instructions"),
            "messages": [m.to_chat() for m in prompt.messages if m.role != "system"],
            "tools": fields.get("tools") or [],
            "tool_choice": fields.get("tool_choice"),
            "output_modalities": modalities,
        }
        if isinstance(limit, int):
            body["max_output_tokens"] = limit
        raw = dumps(body)
        request_id = f"req_{engine.ids.hex(32)}"
        turn = Turn(
            endpoint="realtime",
            raw=raw,
            parsed=body,
            headers=socket.headers,
            request_id=request_id,
            prompt=prompt,
            model=str(self.session["model"]),
            stream=True,
            max_tokens=limit if isinstance(limit, int) else None,
            prompt_tokens=prompt.tokens,
        )
        reply = engine.serve(turn)
        entry = JournalEntry(
            request_id,
            "GET",
            socket.path,
            socket.raw_headers,
            raw,
            status=200,
            stream=True,
            test_header=engine.test_header.encode("latin-1"),
        )
        entry.stub, entry.misses = reply.stub_id, reply.misses
        entry.fallback = reply.stub_id is None
        engine.journal.record(entry)
        response: JSONObject = {
            "conversation_id": self.conversation_id,
            "output_modalities": modalities,
            "max_output_tokens": limit if limit is not None else "inf",
            "audio": {"output": (fields.get("audio") or {}).get("output")},
            "metadata": fields.get("metadata"),
        }
        renderer = RealtimeRenderer(new_id, str(modalities[0]), response)
        return ResponseSender(socket, reply, renderer, entry, engine.clock)

    async def _respond(
        self, sender: ResponseSender, scope: anyio.CancelScope, in_band: bool
    ) -> None:
        """Run one response; counted in flight; whatever ends it, nothing is left running."""
        in_flight = self.socket.in_flight
        with in_flight.idle:
            in_flight.count += 1
        try:
            with scope:
                await sender.run()
            if scope.cancelled_caught:
                await sender.cancel()
        except SocketGone:
            sender.entry.disconnected = True
        finally:
            if not sender.done:
                sender.entry.disconnected = True
                sender.finish(complete=False)
            with anyio.CancelScope(shield=True):
                await sender.reply.aclose()
            if in_band:
                self.conversation.extend(sender.renderer.output)
            self.active = self._active_scope = None
            with in_flight.idle:
                in_flight.count -= 1
                in_flight.idle.notify_all()


_Handler = Callable[[RealtimeSession, JSONObject, int], Awaitable[None]]
_HANDLERS: dict[str, _Handler] = {
    "session.update": RealtimeSession.session_update,
    "conversation.item.create": RealtimeSession.item_create,
    "conversation.item.retrieve": RealtimeSession.item_retrieve,
    "conversation.item.delete": RealtimeSession.item_delete,
    "input_audio_buffer.append": RealtimeSession.audio_append,
    "input_audio_buffer.commit": RealtimeSession.audio_commit,
    "input_audio_buffer.clear": RealtimeSession.audio_clear,
    "response.create": RealtimeSession.response_create,
    "response.cancel": RealtimeSession.response_cancel,
}
"""The client events a session answers, by ``type``."""


async def realtime(socket: Socket) -> None:
    """``/v1/realtime``: serve one Realtime session on ``socket`` (see the module doc).

    Raises:
        SocketGone: the client left while an event was being sent.
    """
    await RealtimeSession(socket).run()
