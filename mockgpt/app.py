"""``create_app(config)``: the one ASGI layer in front of the route adapters.

``Dispatcher`` finds the route (a dict for fixed paths, a short compiled list for paths with
ids), gives the request an id, checks the API key, journals the exchange, adds CORS headers
only when the request has an ``Origin`` (Starlette's ``CORSMiddleware`` does the rules),
counts requests in flight and runs the lifespan (``--watch``, closing backends).

Every error a client can cause is answered with the OpenAI error envelope
``{"error": {"message", "type", "param", "code"}}`` (spec: ``ErrorResponse``) and a 4xx status,
or Ollama's ``{"error": "message"}`` under ``/api/``; a bug in mockgpt gets a 500 envelope and
is kept in ``Engine.errors``, never a traceback.

Spec: OpenAI "Debugging requests" (``x-request-id``, ``openai-processing-ms``);
``securitySchemes.ApiKeyAuth`` (``Authorization: Bearer``).
"""

from __future__ import annotations

import logging
import re
import secrets
import time
from collections.abc import Awaitable, Callable
from types import SimpleNamespace

import anyio
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.types import Message, Receive, Scope, Send

from mockgpt import ids
from mockgpt.config import LOCAL_ORIGINS, ServerConfig
from mockgpt.engine import Engine
from mockgpt.errors import RequestRejected
from mockgpt.faults import ConnectionDropped
from mockgpt.http.body import error_response
from mockgpt.http.inflight import InFlight
from mockgpt.http.send import SSEBody
from mockgpt.journal import JournalEntry
from mockgpt.lifespan import lifespan
from mockgpt.quirks import request_id_header
from mockgpt.quirks.chat import quirk_stream_error
from mockgpt.routes.table import Routes, routes, serve_websocket

logger = logging.getLogger(__name__)

OPEN_PATHS = ("/health", "/_mockgpt/")
"""Paths served without an API key and left out of the journal."""
PAGE_PATHS = re.compile(r"/_mockgpt/(static/[^/]+)?")
"""The inspector page and its files: served without the admin token, since they hold no data
(the page asks for the token and sends it to the admin API, which stays locked)."""
STREAM_TYPES = (b"text/event-stream", b"application/x-ndjson")
"""Content types of streamed responses (SSE, and Ollama's NDJSON)."""
_VERSION_HEADER = (b"openai-version", b"2020-10-01")


class Dispatcher:
    """The mockgpt ASGI application (see the module doc).

    Args:
        engine: what answers the requests; ``.engine`` and ``.state.engine`` give it back.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.state = SimpleNamespace(engine=engine)
        self.routes = Routes(routes())
        self.in_flight = InFlight()
        config = engine.config
        self.api_key = config.api_key
        self.admin_secret = config.admin_secret
        self.hosts = config.served_hosts
        self.body_cap = config.journal_body_bytes
        self.test_header = config.test_header.lower().encode("latin-1")
        origins = list(config.cors_origins)
        self._origins = frozenset(origins)
        self._local_origin = re.compile(LOCAL_ORIGINS)
        self._cors = CORSMiddleware(
            self._http,
            allow_origins=origins,
            allow_origin_regex=None if origins else LOCAL_ORIGINS,
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=["x-request-id", "openai-processing-ms"],
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one ASGI connection scope (HTTP, WebSocket or lifespan)."""
        kind = scope["type"]
        if kind == "http":
            for key, _ in scope["headers"]:
                if key == b"origin":
                    await self._cors(scope, receive, send)
                    return
            await self._http(scope, receive, send)
        elif kind == "lifespan":
            await lifespan(self.engine, receive, send)
        elif kind == "websocket":
            await serve_websocket(self, scope, receive, send)

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        ids.use(self.engine.ids)
        scope["mockgpt.body_timeout_s"] = self.engine.config.body_timeout_s
        if scope["path"].startswith(OPEN_PATHS):
            # not counted in flight: a test waiting for the API to be idle must not wait
            # for the admin API (its live journal feed stays open as long as its reader)
            await self._admin(scope, receive, send)
            return
        in_flight = self.in_flight
        with in_flight.idle:
            in_flight.count += 1
        finishing = [False]  # set once the last byte went out (by the journal's send)
        try:
            refused = self._refused(scope)
            if refused is not None:
                await self._send_refusal(refused, scope, send)
            else:
                await self._journalled(scope, receive, send, finishing)
        finally:
            with in_flight.idle:
                in_flight.count -= 1
                in_flight.finishing -= finishing[0]
                in_flight.idle.notify_all()

    async def _send_refusal(self, refused: RequestRejected, scope: Scope, send: Send) -> None:
        refused.headers["x-request-id"] = _request_id(scope).decode()
        refused.headers["openai-version"] = _VERSION_HEADER[1].decode()
        await self._send_error(refused, frozenset(), scope["path"], send)

    def _refused(self, scope: Scope) -> RequestRejected | None:
        """The error for a request no one may make, or None.

        That is a foreign ``Host`` (DNS rebinding), an admin request without the admin token,
        or a state-changing admin request from a foreign web page.
        """
        if self.hosts is not None:
            host = _host_of(scope)
            if host is not None and host not in self.hosts:
                return RequestRejected(
                    403,
                    f"Host {host!r} is not served: mockgpt answers loopback names and its "
                    "--host only. Start it with --allowed-host NAME to serve another name.",
                    code="invalid_host",
                )
        path: str = scope["path"]
        if not path.startswith("/_mockgpt/"):
            return None
        page = scope["method"] in ("GET", "HEAD") and PAGE_PATHS.fullmatch(path) is not None
        if self.admin_secret is not None and not page and not _bearer(scope, self.admin_secret):
            return RequestRejected(
                401,
                "The admin API needs 'Authorization: Bearer <token>': the --admin-token, or "
                "the --api-key when no admin token is set.",
                code="invalid_api_key",
            )
        if scope["method"] not in ("GET", "HEAD", "OPTIONS"):
            for key, value in scope["headers"]:
                if key == b"origin" and not self._origin_allowed(value.decode("latin-1")):
                    return RequestRejected(
                        403,
                        f"A web page from {value.decode('latin-1')!r} may not change the "
                        "mock's state (allowed: localhost origins and --cors-origin).",
                        code="foreign_origin",
                    )
        return None

    def _origin_allowed(self, origin: str) -> bool:
        if self._origins:
            return origin in self._origins or "*" in self._origins
        return self._local_origin.fullmatch(origin) is not None

    def _finishing(self, finishing: list[bool]) -> None:
        """The last byte of a response is going out; its handler has not returned yet."""
        if not finishing[0]:
            finishing[0] = True
            with self.in_flight.idle:
                self.in_flight.finishing += 1

    async def _admin(self, scope: Scope, receive: Receive, send: Send) -> None:
        """``/health`` and ``/_mockgpt/``: no API key (the admin lock instead), no journal."""
        refused = self._refused(scope)
        if refused is not None:
            await self._send_refusal(refused, scope, send)
            return
        extra = [(b"x-request-id", _request_id(scope)), _VERSION_HEADER]
        started = False

        async def send_open(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message["headers"] = [*message.get("headers", ()), *extra]
            await send(message)

        await self._serve(scope, receive, send_open, lambda: started)

    async def _journalled(
        self, scope: Scope, receive: Receive, send: Send, finishing: list[bool]
    ) -> None:
        """An API request: key checked, journalled with the bytes of its response."""
        started = time.perf_counter()
        request_id = _request_id(scope, self.engine.ids)
        entry = JournalEntry(
            request_id.decode(),
            scope["method"],
            scope["path"],
            scope["headers"],
            b"",
            test_header=self.test_header,
        )
        scope["mockgpt.entry"] = entry
        quirks = self.engine.quirks
        # journalled on arrival, so an entry is complete by the time its client has the answer
        self.engine.journal.record(entry)
        body_parts: list[bytes] = []
        sent_parts: list[bytes] = []
        cap = self.body_cap
        kept = [0, 0]  # bytes of the request body and of the response the entry holds

        def keep(chunk: bytes, which: int, part: str) -> bytes:
            """``chunk`` as far as the journal's per-body cap allows (the rest is dropped)."""
            if kept[which] + len(chunk) > cap:
                chunk = chunk[: cap - kept[which]]
                _truncated(entry, part)
            kept[which] += len(chunk)
            return chunk

        async def receive_logged() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                body_parts.append(keep(message.get("body", b""), 0, "body"))
                if not message.get("more_body", False):
                    entry.body = b"".join(body_parts)
            elif message["type"] == "http.disconnect" and not entry.complete:
                entry.disconnected = True
            return message

        async def send_logged(message: Message) -> None:
            if message["type"] == "http.response.start":
                elapsed_ms = int((time.perf_counter() - started) * 1000)
                entry.status = message["status"]
                headers = message.get("headers", ())
                entry.stream = any(
                    k == b"content-type" and v.startswith(STREAM_TYPES) for k, v in headers
                )
                message["headers"] = [
                    *headers,
                    (b"x-request-id", request_id),
                    _VERSION_HEADER,
                    (b"openai-processing-ms", str(elapsed_ms).encode()),
                ]
                if quirks and not request_id_header(quirks):
                    message["headers"] = [h for h in message["headers"] if h[0] != b"x-request-id"]
            elif message["type"] == "http.response.body":
                sent_parts.append(keep(message.get("body", b""), 1, "response_body"))
                if entry.stream and "response_body" not in entry.truncated:
                    entry.sent_ms.extend((kept[1], (time.perf_counter() - started) * 1000))
                if not message.get("more_body", False):
                    entry.complete = True
                    entry.response_body = b"".join(sent_parts)
                    entry.duration_ms = (time.perf_counter() - started) * 1000
                    self._finishing(finishing)
            await send(message)

        try:
            if self.api_key is not None and not self._authorized(scope):
                await self._unauthorized(scope, send_logged)
            else:
                await self._serve(scope, receive_logged, send_logged, lambda: entry.status != 0)
        finally:
            entry.body = b"".join(body_parts)
            entry.response_body = b"".join(sent_parts)
            entry.duration_ms = (time.perf_counter() - started) * 1000
            self.engine.journal.settle(entry)

    async def _serve(
        self, scope: Scope, receive: Receive, send: Send, response_started: Callable[[], bool]
    ) -> None:
        """Run the route's adapter and its answer; errors become envelopes."""
        path: str = scope["path"]
        try:
            methods, params = self.routes.find(path)
            what = f"({scope['method']} {path})"
            if methods is None:
                raise RequestRejected(404, f"Invalid URL {what}")
            handler = methods.get(scope["method"])
            if handler is None:
                allow = ", ".join(methods)
                raise RequestRejected(
                    405, f"Invalid method for URL {what}", headers={"allow": allow}
                )
            scope["app"] = self
            scope["path_params"] = params
            response: Callable[[Scope, Receive, Send], Awaitable[None]] = await handler(
                Request(scope, receive)
            )
            await response(scope, receive, send)
        except ConnectionDropped:
            raise  # a fault, or a client gone during a wait: the connection is closed
        except RequestRejected as exc:
            if response_started():
                return  # a stream was under way: its status can no longer change
            # the admin API is mockgpt's own: no quirk of a real server changes its errors
            quirks = frozenset() if path.startswith(OPEN_PATHS) else self.engine.quirks | exc.quirks
            if quirks:
                entry = scope.get("mockgpt.entry")
                in_band = quirk_stream_error(exc, quirks, path, entry.body if entry else b"")
                if in_band is not None:
                    await SSEBody(in_band)(scope, receive, send)
                    return
            await self._send_error(exc, quirks, path, send)
        except (OSError, anyio.BrokenResourceError, anyio.ClosedResourceError):
            entry = scope.get("mockgpt.entry")
            if entry is not None:
                entry.disconnected = True  # the client went away: not a bug of mockgpt
        except Exception as exc:
            logger.exception("mockgpt failed on %s %s", scope["method"], path)
            self.engine.state.record_error(exc, scope.get("mockgpt.request_id", ""))
            if response_started():
                return  # a stream was under way: its status can no longer change
            error = RequestRejected(
                500,
                f"mockgpt failed while handling this request: {type(exc).__name__}: {exc}. "
                "This is a bug in mockgpt; the server log has the traceback.",
                type="server_error",
            )
            admin = path.startswith(OPEN_PATHS)
            await self._send_error(error, frozenset() if admin else self.engine.quirks, path, send)

    @staticmethod
    async def _send_error(
        error: RequestRejected, quirks: frozenset[str], path: str, send: Send
    ) -> None:
        status, headers, body = error_response(error, quirks, path)
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body, "more_body": False})

    def _authorized(self, scope: Scope) -> bool:
        return _bearer(scope, self.api_key or "")

    async def _unauthorized(self, scope: Scope, send: Send) -> None:
        has_header = any(k == b"authorization" for k, _ in scope["headers"])
        message = (
            "Incorrect API key provided. You can find your API key in your mockgpt settings "
            "(--api-key or MOCKGPT_API_KEY)."
            if has_header
            else "You didn't provide an API key. You need to provide your API key in an "
            "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."
        )
        error = RequestRejected(401, message, code="invalid_api_key")
        await self._send_error(error, self.engine.quirks, scope["path"], send)


def _truncated(entry: JournalEntry, part: str) -> None:
    if part not in entry.truncated:
        entry.truncated = (*entry.truncated, part)


def _host_of(scope: Scope) -> str | None:
    """The ``Host`` header's name, lower case, without the port; None without one."""
    for key, value in scope["headers"]:
        if key == b"host":
            host: str = value.decode("latin-1").lower()
            if host.startswith("["):  # [::1]:8000
                return host[1 : host.find("]")] if "]" in host else host
            return host.rpartition(":")[0] if host.count(":") == 1 else host
    return None


def _bearer(scope: Scope, secret: str) -> bool:
    expected = b"bearer " + secret.encode()
    for key, value in scope["headers"]:
        if key == b"authorization":
            return secrets.compare_digest(value.lower()[:7] + value[7:], expected)
    return False


def _request_id(scope: Scope, source: ids.IdSource = ids.UNSEEDED) -> bytes:
    """A fresh ``req_<32 hex>``, noted in ``scope``.

    A seeded server gives its API requests reproducible ones; health probes and admin calls
    take theirs from ``ids.UNSEEDED``, so how many there were changes no later id.
    """
    request_id = b"req_" + source.hex(32).encode()
    scope["mockgpt.request_id"] = request_id.decode()
    return request_id


def create_app(config: ServerConfig | None = None, *, engine: Engine | None = None) -> Dispatcher:
    """Build the mockgpt ASGI app.

    Args:
        config: server settings; the defaults when None.
        engine: an existing engine to serve (its config wins); a new one when None.

    Returns:
        The ``Dispatcher``; ``.engine`` (and ``.state.engine``) is the engine (journal,
        errors, state).
    """
    return Dispatcher(engine or Engine(config or ServerConfig()))
