"""``create_app(config)``: the Starlette application, its routes, CORS and error envelopes.

Every error a client can cause is answered with the OpenAI error envelope
``{"error": {"message", "type", "param", "code"}}`` (spec: ``ErrorResponse``) and a 4xx status;
a bug in mockgpt gets a 500 envelope and is kept in ``Engine.errors``, never a traceback.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import anyio
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from watchfiles import awatch

from mockgpt.config import LOCAL_ORIGINS, ServerConfig
from mockgpt.engine import Engine
from mockgpt.errors import RequestRejected, ScenarioError
from mockgpt.faults import ConnectionDropped
from mockgpt.journal import JournalEntry
from mockgpt.quirks import quirk_error, quirk_headers, quirk_status
from mockgpt.routes import admin, assistants, ollama, responses
from mockgpt.routes.chat import create_chat_completion
from mockgpt.routes.completions import create_completion
from mockgpt.routes.embeddings import create_embedding
from mockgpt.routes.models import list_models, retrieve_model
from mockgpt.scenarios import load_scenario, resolve_scenario
from mockgpt.sse import dumps

logger = logging.getLogger(__name__)

OPEN_PATHS = ("/health", "/_mockgpt/")
STREAM_TYPES = (b"text/event-stream", b"application/x-ndjson")
"""Content types of streamed responses (SSE, and Ollama's NDJSON)."""
"""Paths served without an API key and left out of the journal."""


def _api_routes() -> list[BaseRoute]:
    routes: list[BaseRoute] = []
    for prefix in ("/v1", ""):
        routes += [
            Route(f"{prefix}/chat/completions", create_chat_completion, methods=["POST"]),
            Route(f"{prefix}/completions", create_completion, methods=["POST"]),
            Route(f"{prefix}/embeddings", create_embedding, methods=["POST"]),
            Route(f"{prefix}/models", list_models, methods=["GET"]),
            Route(f"{prefix}/models/{{model:path}}", retrieve_model, methods=["GET"]),
            Route(f"{prefix}/responses", responses.create_response, methods=["POST"]),
            Route(
                f"{prefix}/responses/input_tokens",
                responses.count_input_tokens,
                methods=["POST"],
            ),
            Route(f"{prefix}/responses/compact", responses.compact_response, methods=["POST"]),
            Route(
                f"{prefix}/responses/{{response_id}}",
                responses.retrieve_response,
                methods=["GET"],
            ),
            Route(
                f"{prefix}/responses/{{response_id}}",
                responses.delete_response,
                methods=["DELETE"],
            ),
            Route(
                f"{prefix}/responses/{{response_id}}/cancel",
                responses.cancel_response,
                methods=["POST"],
            ),
            Route(
                f"{prefix}/responses/{{response_id}}/input_items",
                responses.list_input_items,
                methods=["GET"],
            ),
            Route(f"{prefix}/conversations", responses.create_conversation, methods=["POST"]),
            Route(
                f"{prefix}/conversations/{{conversation_id}}",
                responses.conversation_endpoint,
                methods=["GET", "POST", "DELETE"],
            ),
            Route(
                f"{prefix}/conversations/{{conversation_id}}/items",
                responses.conversation_items,
                methods=["GET", "POST"],
            ),
            Route(
                f"{prefix}/conversations/{{conversation_id}}/items/{{item_id}}",
                responses.conversation_item,
                methods=["GET", "DELETE"],
            ),
        ]
    return routes


class BrowserCORSMiddleware(CORSMiddleware):
    """Starlette's CORS, skipped for requests without an ``Origin``.

    SDKs and tests send none: they need no CORS headers, and skipping saves the work.
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve with CORS only when the request comes from a browser origin."""
        if scope["type"] == "http" and not any(k == b"origin" for k, _ in scope["headers"]):
            await self.app(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


class OpenAIEnvelopeMiddleware:
    """Adds the OpenAI response headers, checks the API key, journals API requests.

    Every response gets ``x-request-id`` and ``openai-processing-ms``; each API request is
    journalled with the bytes of its response.

    Spec: OpenAI "Debugging requests" (``x-request-id``, ``openai-processing-ms``);
    ``securitySchemes.ApiKeyAuth`` (``Authorization: Bearer``).
    """

    def __init__(self, app: ASGIApp, engine: Engine) -> None:
        self.app = app
        self.engine = engine
        self.api_key = engine.config.api_key

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one ASGI connection scope."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = "req_" + secrets.token_hex(16)
        scope["mockgpt.request_id"] = request_id
        path: str = scope["path"]
        open_path = path.startswith(OPEN_PATHS)
        extra = [(b"x-request-id", request_id.encode()), (b"openai-version", b"2020-10-01")]

        if open_path:

            async def send_open(message: Message) -> None:
                if message["type"] == "http.response.start":
                    message["headers"] = [*message.get("headers", ()), *extra]
                await send(message)

            started_flag: list[bool] = []

            async def send_open_tracked(message: Message) -> None:
                if message["type"] == "http.response.start":
                    started_flag.append(True)
                await send_open(message)

            await self._serve(scope, receive, send_open_tracked, lambda: bool(started_flag))
            return

        entry = JournalEntry(request_id, scope["method"], path, scope["headers"], b"")
        scope["mockgpt.entry"] = entry
        # journalled on arrival, so an entry is complete by the time its client has the answer
        self.engine.journal.record(entry)
        body_parts: list[bytes] = []
        sent_parts: list[bytes] = []

        def finish_entry() -> None:
            entry.response_body = b"".join(sent_parts)
            entry.duration_ms = (time.perf_counter() - started) * 1000

        async def receive_logged() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                body_parts.append(message.get("body", b""))
                if not message.get("more_body", False):
                    entry.body = b"".join(body_parts)
            elif message["type"] == "http.disconnect" and not entry.complete:
                entry.disconnected = True
            return message

        async def send_logged(message: Message) -> None:
            if message["type"] == "http.response.start":
                elapsed_ms = int((time.perf_counter() - started) * 1000)
                entry.status = message["status"]
                response_headers = message.get("headers", ())
                entry.stream = any(
                    k == b"content-type" and v.startswith(STREAM_TYPES) for k, v in response_headers
                )
                message["headers"] = [
                    *response_headers,
                    *extra,
                    (b"openai-processing-ms", str(elapsed_ms).encode()),
                ]
            elif message["type"] == "http.response.body":
                sent_parts.append(message.get("body", b""))
                if not message.get("more_body", False):
                    entry.complete = True
                    finish_entry()
            await send(message)

        try:
            if self.api_key is not None and not self._authorized(scope):
                await self._unauthorized(scope, receive_logged, send_logged)
            else:
                await self._serve(scope, receive_logged, send_logged, lambda: entry.status != 0)
        finally:
            entry.body = b"".join(body_parts)
            finish_entry()

    async def _serve(
        self, scope: Scope, receive: Receive, send: Send, response_started: Callable[[], bool]
    ) -> None:
        """Run the app; a bug becomes a journalled 500 envelope (or a closed stream)."""
        try:
            await self.app(scope, receive, send)
        except ConnectionDropped:
            raise  # a fault: the server closes the connection on purpose
        except Exception as exc:
            self.engine.errors.append(exc)
            logger.exception("mockgpt failed on %s %s", scope["method"], scope["path"])
            if response_started():
                return  # a stream was under way: its status can no longer change
            error = RequestRejected(
                500,
                f"mockgpt failed while handling this request: {type(exc).__name__}: {exc}. "
                "This is a bug in mockgpt; the server log has the traceback.",
                type="server_error",
            )
            await _envelope_response(error, self.engine.quirks, scope["path"])(scope, receive, send)

    def _authorized(self, scope: Scope) -> bool:
        expected = b"bearer " + (self.api_key or "").encode()
        for key, value in scope["headers"]:
            if key == b"authorization":
                return secrets.compare_digest(value.lower()[:7] + value[7:], expected)
        return False

    async def _unauthorized(self, scope: Scope, receive: Receive, send: Send) -> None:
        has_header = any(k == b"authorization" for k, _ in scope["headers"])
        message = (
            "Incorrect API key provided. You can find your API key in your mockgpt settings "
            "(--api-key or MOCKGPT_API_KEY)."
            if has_header
            else "You didn't provide an API key. You need to provide your API key in an "
            "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."
        )
        error = RequestRejected(401, message, code="invalid_api_key")
        await _envelope_response(error, self.engine.quirks, scope["path"])(scope, receive, send)


def _envelope_response(
    exc: RequestRejected, quirks: frozenset[str] = frozenset(), path: str = ""
) -> Response:
    if path.startswith("/api/"):  # Ollama's native API has its own error shape
        return Response(
            dumps({"error": exc.message}),
            status_code=exc.status,
            headers=exc.headers or None,
            media_type="application/json",
        )
    body = exc.envelope()
    status, headers = exc.status, exc.headers or None
    if quirks:
        status = quirk_status(status, quirks)
        headers = quirk_headers(status, headers, quirks)
        body = quirk_error(body, status, quirks)
    return Response(dumps(body), status_code=status, headers=headers, media_type="application/json")


def _lifespan(engine: Engine) -> Callable[[Starlette], AbstractAsyncContextManager[None]]:
    """Start and stop what a server runs beside its requests.

    With ``--watch``, the scenario files are reloaded when they change (an invalid new version
    is logged and the last good one keeps serving); at shutdown the backends are closed.
    """
    paths = [resolve_scenario(s) for s in engine.config.scenarios] if engine.config.watch else []

    async def reload_on_change() -> None:
        async for _changes in awatch(*{p.parent for p in paths}):
            try:
                scenarios = [load_scenario(p) for p in paths]
            except ScenarioError as exc:
                logger.error("scenario not reloaded, keeping the last good version: %s", exc)
                continue
            engine.registry.replace_base(scenarios)
            logger.info("scenarios reloaded: %s", ", ".join(str(p) for p in paths))

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with anyio.create_task_group() as group:
            if paths:
                group.start_soon(reload_on_change)
            try:
                yield
            finally:
                group.cancel_scope.cancel()
                with anyio.CancelScope(shield=True):
                    await engine.aclose()

    return lifespan


def create_app(config: ServerConfig | None = None, *, engine: Engine | None = None) -> Starlette:
    """Build the mockgpt ASGI app.

    Args:
        config: server settings; the defaults when None.
        engine: an existing engine to serve (its config wins); a new one when None.

    Returns:
        A Starlette app; ``app.state.engine`` is the engine (journal, errors, state).
    """
    engine = engine or Engine(config or ServerConfig())
    config = engine.config

    async def rejected(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestRejected)
        return _envelope_response(exc, engine.quirks | exc.quirks, request.url.path)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        what = f"({request.method} {request.url.path})"
        if exc.status_code == 405:
            error = RequestRejected(405, f"Invalid method for URL {what}", headers=exc.headers)
        elif exc.status_code == 404:
            error = RequestRejected(404, f"Invalid URL {what}")
        else:
            error = RequestRejected(exc.status_code, str(exc.detail))
        return _envelope_response(error, engine.quirks, request.url.path)

    routes: list[BaseRoute] = [
        *_api_routes(),  # first: routes are tried in order, and these get the traffic
        Route("/health", admin.health, methods=["GET"]),
        Route("/_mockgpt/journal", admin.journal, methods=["GET"]),
        Route("/_mockgpt/reset", admin.reset, methods=["POST"]),
        *ollama.routes(),
        *assistants.routes(),
    ]
    origins = list(config.cors_origins)
    cors = Middleware(
        BrowserCORSMiddleware,
        allow_origins=origins,
        allow_origin_regex=None if origins else LOCAL_ORIGINS,
        allow_methods=["*"],
        allow_headers=["*"],
        expose_headers=["x-request-id", "openai-processing-ms"],
    )
    app = Starlette(
        routes=routes,
        lifespan=_lifespan(engine),
        middleware=[cors, Middleware(OpenAIEnvelopeMiddleware, engine=engine)],
        exception_handlers={
            RequestRejected: rejected,
            HTTPException: http_error,
        },
    )
    app.state.engine = engine
    return app
