"""The route table: every ``(method, path)`` mockgpt answers, and the adapter that answers it.

OpenAI paths are served with and without the ``/v1`` prefix; Ollama's native API lives under
``/api/`` and answers errors in its own shape; ``/health`` and ``/_mockgpt/`` are open (no API
key, not journalled). ``{name}`` in a path is one segment, ``{name:path}`` the rest of it.
``SOCKETS`` lists the WebSocket routes (the Realtime API).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.types import Receive, Scope, Send

from mockgpt.http.websocket import SocketApp, SocketHandler, serve_socket
from mockgpt.routes import (
    admin,
    admin_journal,
    admin_openapi,
    admin_stubs,
    assistants,
    assistants_runs,
    audio,
    batches,
    chat,
    completions,
    conversations,
    embeddings,
    files,
    images,
    inspector,
    models,
    moderations,
    ollama,
    ollama_embed,
    ollama_models,
    realtime,
    responses,
)

Handler = Callable[[Request], Awaitable[Any]]
"""An adapter: the request in, an ASGI response out (``RequestRejected`` for an error)."""

RUN = "/threads/{thread_id}/runs/{run_id}"

OPENAI: list[tuple[str, str, Handler]] = [
    ("POST", "/chat/completions", chat.create_chat_completion),
    ("POST", "/completions", completions.create_completion),
    ("POST", "/embeddings", embeddings.create_embedding),
    ("POST", "/moderations", moderations.create_moderation),
    ("POST", "/images/generations", images.create_image),
    ("GET", "/images/files/{name}", images.image_file),
    ("POST", "/audio/speech", audio.create_speech),
    ("POST", "/audio/transcriptions", audio.create_transcription),
    ("POST", "/audio/translations", audio.create_translation),
    ("GET", "/models", models.list_models),
    ("GET", "/models/{model:path}", models.retrieve_model),
    ("POST", "/responses", responses.create_response),
    ("POST", "/responses/input_tokens", responses.count_input_tokens),
    ("POST", "/responses/compact", responses.compact_response),
    ("GET", "/responses/{response_id}", responses.retrieve_response),
    ("DELETE", "/responses/{response_id}", responses.delete_response),
    ("POST", "/responses/{response_id}/cancel", responses.cancel_response),
    ("GET", "/responses/{response_id}/input_items", responses.list_input_items),
    ("POST", "/conversations", conversations.create_conversation),
    ("GET", "/conversations/{conversation_id}", conversations.conversation_endpoint),
    ("POST", "/conversations/{conversation_id}", conversations.conversation_endpoint),
    ("DELETE", "/conversations/{conversation_id}", conversations.conversation_endpoint),
    ("GET", "/conversations/{conversation_id}/items", conversations.conversation_items),
    ("POST", "/conversations/{conversation_id}/items", conversations.conversation_items),
    (
        "GET",
        "/conversations/{conversation_id}/items/{item_id}",
        conversations.conversation_item,
    ),
    (
        "DELETE",
        "/conversations/{conversation_id}/items/{item_id}",
        conversations.conversation_item,
    ),
    ("POST", "/assistants", assistants.create_assistant),
    ("GET", "/assistants", assistants.list_assistants),
    ("GET", "/assistants/{assistant_id}", assistants.assistant_endpoint),
    ("POST", "/assistants/{assistant_id}", assistants.assistant_endpoint),
    ("DELETE", "/assistants/{assistant_id}", assistants.assistant_endpoint),
    ("POST", "/threads", assistants.create_thread),
    ("POST", "/threads/runs", assistants_runs.create_thread_and_run),
    ("GET", "/threads/{thread_id}", assistants.thread_endpoint),
    ("POST", "/threads/{thread_id}", assistants.thread_endpoint),
    ("DELETE", "/threads/{thread_id}", assistants.thread_endpoint),
    ("GET", "/threads/{thread_id}/messages", assistants.messages_endpoint),
    ("POST", "/threads/{thread_id}/messages", assistants.messages_endpoint),
    ("GET", "/threads/{thread_id}/messages/{message_id}", assistants.message_endpoint),
    ("POST", "/threads/{thread_id}/messages/{message_id}", assistants.message_endpoint),
    ("DELETE", "/threads/{thread_id}/messages/{message_id}", assistants.message_endpoint),
    ("POST", "/threads/{thread_id}/runs", assistants_runs.create_run),
    ("GET", "/threads/{thread_id}/runs", assistants_runs.list_runs),
    ("GET", RUN, assistants_runs.run_endpoint),
    ("POST", RUN, assistants_runs.run_endpoint),
    ("POST", f"{RUN}/cancel", assistants_runs.cancel),
    ("POST", f"{RUN}/submit_tool_outputs", assistants_runs.submit_tool_outputs),
    ("GET", f"{RUN}/steps", assistants_runs.list_steps),
    ("GET", f"{RUN}/steps/{{step_id}}", assistants_runs.retrieve_step),
    ("POST", "/files", files.create_file),
    ("GET", "/files", files.list_files),
    ("GET", "/files/{file_id}", files.retrieve_file),
    ("DELETE", "/files/{file_id}", files.delete_file),
    ("GET", "/files/{file_id}/content", files.file_content),
    ("POST", "/batches", batches.create_batch),
    ("GET", "/batches", batches.list_batches),
    ("GET", "/batches/{batch_id}", batches.retrieve_batch),
    ("POST", "/batches/{batch_id}/cancel", batches.cancel_batch),
]
"""The OpenAI API, served under ``/v1`` and without the prefix."""

OTHER: list[tuple[str, str, Handler]] = [
    ("POST", "/api/chat", ollama.chat),
    ("POST", "/api/generate", ollama.generate),
    ("POST", "/api/embed", ollama_embed.embed),
    ("POST", "/api/embeddings", ollama_embed.embeddings),
    ("GET", "/api/tags", ollama_models.tags),
    ("POST", "/api/show", ollama_models.show),
    ("GET", "/api/ps", ollama_models.ps),
    ("POST", "/api/pull", ollama_models.pull),
    ("POST", "/api/create", ollama_models.create),
    ("POST", "/api/copy", ollama_models.copy),
    ("DELETE", "/api/delete", ollama_models.delete),
    ("HEAD", "/api/blobs/{digest}", ollama_models.blob),
    ("POST", "/api/blobs/{digest}", ollama_models.blob),
    ("GET", "/api/version", ollama.version),
    ("GET", "/health", admin.health),
    ("GET", "/_mockgpt/stubs", admin_stubs.list_stubs),
    ("POST", "/_mockgpt/stubs", admin_stubs.add_stubs),
    ("DELETE", "/_mockgpt/stubs", admin_stubs.delete_stubs),
    ("PUT", "/_mockgpt/stubs/{stub_id:path}", admin_stubs.replace_stub),
    ("DELETE", "/_mockgpt/stubs/{stub_id:path}", admin_stubs.delete_stub),
    ("POST", "/_mockgpt/scenario", admin_stubs.load_scenario),
    ("POST", "/_mockgpt/reset", admin.reset),
    ("GET", "/_mockgpt/journal", admin_journal.journal),
    ("DELETE", "/_mockgpt/journal", admin_journal.clear_journal),
    ("GET", "/_mockgpt/journal/stream", admin_journal.journal_stream),
    ("GET", "/_mockgpt/journal/{entry_id}/near-miss", admin_journal.near_miss),
    ("GET", "/_mockgpt/openapi.json", admin_openapi.openapi),
    ("GET", "/_mockgpt/", inspector.page),
    ("GET", "/_mockgpt/static/{file}", inspector.static_file),
]
"""Ollama's native API, health, the admin API (``/_mockgpt/``) and the inspector page, each at
one path."""


SOCKETS: list[tuple[str, SocketHandler]] = [("/realtime", realtime.realtime)]
"""The OpenAI API's WebSocket routes, served under ``/v1`` and without the prefix."""


def socket_routes() -> dict[str, SocketHandler]:
    """Every WebSocket path -> its handler (``mockgpt.http.websocket.serve_socket`` runs it)."""
    return {prefix + path: handler for path, handler in SOCKETS for prefix in ("/v1", "")}


async def serve_websocket(app: SocketApp, scope: Scope, receive: Receive, send: Send) -> None:
    """Serve an ASGI ``websocket`` scope by its path's WebSocket route (``serve_socket``)."""
    await serve_socket(app, socket_routes(), scope, receive, send)


def routes() -> list[tuple[str, str, Handler]]:
    """Every ``(method, path, handler)``, the ``/v1`` ones first."""
    table = [(method, "/v1" + path, handler) for method, path, handler in OPENAI]
    table += OPENAI
    table += OTHER
    return table


_PARAM = re.compile(r"\{(\w+)(:path)?\}")


def _compile(template: str) -> re.Pattern[str]:
    pattern, last = "", 0
    for match in _PARAM.finditer(template):
        pattern += re.escape(template[last : match.start()])
        pattern += f"(?P<{match[1]}>.+)" if match[2] else f"(?P<{match[1]}>[^/]+)"
        last = match.end()
    return re.compile(pattern + re.escape(template[last:]) + "$")


class Routes:
    """``(method, path) -> handler``: fixed paths by dict, templated ones by regex, in order.

    A ``GET`` route answers ``HEAD`` too.

    Args:
        table: ``(method, path, handler)`` rows; the first row for a method and path wins.
    """

    def __init__(self, table: list[tuple[str, str, Handler]]) -> None:
        self.fixed: dict[str, dict[str, Handler]] = {}
        self.templated: list[tuple[re.Pattern[str], dict[str, Handler]]] = []
        by_template: dict[str, dict[str, Handler]] = {}
        for method, path, handler in table:
            methods = by_template.setdefault(path, {})
            methods.setdefault(method, handler)
            if method == "GET":
                methods.setdefault("HEAD", handler)
        for path, methods in by_template.items():
            if "{" in path:
                self.templated.append((_compile(path), methods))
            else:
                self.fixed[path] = methods

    def find(self, path: str) -> tuple[dict[str, Handler] | None, dict[str, str]]:
        """The handlers by method for ``path``, and its path parameters."""
        methods = self.fixed.get(path)
        if methods is not None:
            return methods, {}
        for pattern, methods in self.templated:
            match = pattern.match(path)
            if match is not None:
                return methods, match.groupdict()
        return None, {}
