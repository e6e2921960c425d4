"""WebSocket connections: the handshake, the key, and ``Socket``, what a session reads and writes.

``serve_socket`` answers an ASGI ``websocket`` scope: a path no WebSocket route serves, a
foreign ``Host`` or a foreign web page's ``Origin`` is refused before the handshake (an HTTP
error envelope when the server supports the ASGI denial response, else a plain 403); then the
connection is accepted and a wrong or missing API key gets an ``error`` event
(``invalid_api_key``) and the close code 1008, as the OpenAI Realtime API answers a bad key.
The key is read from ``Authorization: Bearer`` (the official client) or, for browsers, the
``openai-insecure-api-key.<key>`` subprotocol.

Spec: RFC 6455; the ASGI WebSocket spec (``websocket.accept``, ``websocket.send``,
``websocket.close``, the ``websocket.http.response`` extension).
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import secrets
from collections.abc import Awaitable, Callable, Mapping
from typing import Protocol
from urllib.parse import parse_qsl

import anyio
from starlette.types import Receive, Scope, Send

from mockgpt import ids
from mockgpt.config import LOCAL_ORIGINS
from mockgpt.engine import Engine
from mockgpt.errors import RequestRejected
from mockgpt.http.body import error_response
from mockgpt.http.inflight import InFlight
from mockgpt.render.realtime import error_event
from mockgpt.sse import dumps
from mockgpt.types import JSONObject

logger = logging.getLogger(__name__)

POLICY_VIOLATION = 1008
"""Close code for a refused key or model (RFC 6455 §7.4.1)."""
INTERNAL_ERROR = 1011
"""Close code for a fault that resets the connection, or a bug in mockgpt."""
_KEY_PROTOCOL = "openai-insecure-api-key."


class SocketGone(Exception):
    """The client closed the WebSocket (or the connection broke): no one is left to answer."""


class SocketApp(Protocol):
    """What ``serve_socket`` needs of the app (``mockgpt.app.Dispatcher``)."""

    engine: Engine
    api_key: str | None
    hosts: frozenset[str] | None
    in_flight: InFlight


class Socket:
    """One accepted WebSocket: JSON text messages in and out.

    Attributes:
        engine: the engine that answers.
        in_flight: the app's count of answers under way (a Realtime response counts).
        path: the URL path, e.g. ``/v1/realtime``.
        query: the query parameters (the last value of each name).
        raw_headers: the handshake's headers as ASGI gives them.
        headers: the same, lower-case names, decoded.
    """

    def __init__(
        self, scope: Scope, receive: Receive, send: Send, engine: Engine, in_flight: InFlight
    ) -> None:
        self.engine = engine
        self.in_flight = in_flight
        self.path: str = scope["path"]
        self.query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
        self.raw_headers: list[tuple[bytes, bytes]] = list(scope["headers"])
        self.headers = {
            k.decode("latin-1").lower(): v.decode("latin-1") for k, v in self.raw_headers
        }
        self._receive = receive
        self._send = send
        self._lock = anyio.Lock()
        self.closed = False

    async def receive(self) -> str:
        """The next message's text (a binary message decoded as UTF-8, errors replaced).

        Raises:
            SocketGone: the client closed the connection.
        """
        message = await self._receive()
        if message["type"] != "websocket.receive":
            self.closed = True
            raise SocketGone("the client closed the WebSocket")
        text = message.get("text")
        if text is None:
            text = (message.get("bytes") or b"").decode("utf-8", "replace")
        return str(text)

    async def send_text(self, text: str) -> None:
        """Send one text message.

        Raises:
            SocketGone: the connection is closed.
        """
        async with self._lock:
            if self.closed:
                raise SocketGone("the WebSocket is closed")
            try:
                await self._send({"type": "websocket.send", "text": text})
            except (OSError, anyio.BrokenResourceError, anyio.ClosedResourceError) as exc:
                self.closed = True
                raise SocketGone("the client closed the WebSocket") from exc

    async def send(self, event: JSONObject) -> None:
        """Send ``event`` as one compact JSON text message.

        Raises:
            SocketGone: the connection is closed.
        """
        await self.send_text(dumps(event).decode())

    async def close(self, code: int = 1000, reason: str = "") -> None:
        """Close the connection with ``code`` (nothing when it is closed already)."""
        async with self._lock:
            if self.closed:
                return
            self.closed = True
            with contextlib.suppress(OSError, anyio.BrokenResourceError, anyio.ClosedResourceError):
                await self._send({"type": "websocket.close", "code": code, "reason": reason})


SocketHandler = Callable[[Socket], Awaitable[None]]
"""A WebSocket route: serves one accepted connection until it closes."""


async def serve_socket(
    app: SocketApp,
    handlers: Mapping[str, SocketHandler],
    scope: Scope,
    receive: Receive,
    send: Send,
) -> None:
    """Answer one ASGI ``websocket`` scope (see the module doc).

    Args:
        app: the app's engine, key, served hosts and in-flight count.
        handlers: path -> the route serving it.
        scope: the ASGI connection scope (``type: websocket``).
        receive: its ASGI receive.
        send: its ASGI send.
    """
    engine = app.engine
    ids.use(engine.ids)
    if (await receive())["type"] != "websocket.connect":
        return
    path: str = scope["path"]
    handler = handlers.get(path)
    refused = _refused(app, scope) or (
        RequestRejected(404, f"Invalid URL (WEBSOCKET {path})") if handler is None else None
    )
    if refused is not None or handler is None:
        await _deny(scope, send, refused or RequestRejected(404, "Invalid URL"))
        return
    request_id = f"req_{engine.ids.hex(32)}"
    offered = list(scope.get("subprotocols") or ())
    await send(
        {
            "type": "websocket.accept",
            "subprotocol": "realtime" if "realtime" in offered else None,
            "headers": [(b"x-request-id", request_id.encode())],
        }
    )
    socket = Socket(scope, receive, send, engine, app.in_flight)
    try:
        if app.api_key is not None and not _authorized(scope, offered, app.api_key):
            message = (
                "Incorrect API key provided. You can find your API key in your mockgpt "
                "settings (--api-key or MOCKGPT_API_KEY)."
            )
            await socket.send(
                error_event(f"event_{engine.ids.hex(24)}", message, code="invalid_api_key")
            )
            await socket.close(POLICY_VIOLATION, "invalid_api_key")
            return
        await handler(socket)
        await socket.close()
    except SocketGone:
        pass
    except Exception as exc:
        logger.exception("mockgpt failed on WEBSOCKET %s", path)
        engine.state.record_error(exc, request_id)
        try:
            message = f"mockgpt failed: {type(exc).__name__}: {exc}. This is a bug in mockgpt."
            await socket.send(
                error_event(f"event_{engine.ids.hex(24)}", message, type="server_error")
            )
        except SocketGone:
            pass
        await socket.close(INTERNAL_ERROR, "server_error")


def _refused(app: SocketApp, scope: Scope) -> RequestRejected | None:
    """The error for a foreign ``Host`` (DNS rebinding) or a foreign page's ``Origin``."""
    config = app.engine.config
    for key, value in scope["headers"]:
        text = value.decode("latin-1")
        if key == b"host" and app.hosts is not None:
            host = text.lower()
            host = host[1 : host.find("]")] if host.startswith("[") else host.rpartition(":")[0]
            if (host or text.lower()) not in app.hosts:
                return RequestRejected(403, f"Host {text!r} is not served.", code="invalid_host")
        elif key == b"origin":
            origins = config.cors_origins
            allowed = (
                text in origins or "*" in origins
                if origins
                else re.fullmatch(LOCAL_ORIGINS, text) is not None
            )
            if not allowed:
                return RequestRejected(
                    403,
                    f"A web page from {text!r} may not open a WebSocket to the mock (allowed: "
                    "localhost origins and --cors-origin).",
                    code="foreign_origin",
                )
    return None


async def _deny(scope: Scope, send: Send, error: RequestRejected) -> None:
    """Refuse the handshake: the error envelope and its status, or a plain close (403)."""
    if "websocket.http.response" in scope.get("extensions", {}):
        status, headers, body = error_response(error, frozenset(), scope["path"])
        await send({"type": "websocket.http.response.start", "status": status, "headers": headers})
        await send({"type": "websocket.http.response.body", "body": body})
    else:
        await send({"type": "websocket.close", "code": POLICY_VIOLATION})


def _authorized(scope: Scope, offered: list[str], api_key: str) -> bool:
    """Whether the handshake carries ``api_key`` (``Authorization: Bearer``, or subprotocol)."""
    expected = f"bearer {api_key}".encode()
    for key, value in scope["headers"]:
        if key == b"authorization":
            return secrets.compare_digest(value.lower()[:7] + value[7:], expected)
    for protocol in offered:
        if protocol.startswith(_KEY_PROTOCOL):
            return secrets.compare_digest(protocol[len(_KEY_PROTOCOL) :], api_key)
    return False


def client_event(text: str) -> JSONObject:
    """A client message decoded: a JSON object with a string ``type``.

    Raises:
        RequestRejected: 400 ``invalid_json`` when it is not JSON, or not such an object.
    """
    try:
        event = json.loads(text)
    except (ValueError, RecursionError):
        raise RequestRejected(
            400,
            "The server failed to parse the event: it is not valid JSON.",
            code="invalid_json",
        ) from None
    if not isinstance(event, dict) or not isinstance(event.get("type"), str):
        raise RequestRejected(
            400,
            "The event must be a JSON object with a string 'type'.",
            param="type",
            code="invalid_json",
        )
    return event
