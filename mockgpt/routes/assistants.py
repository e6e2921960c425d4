"""The Assistants API: assistants, threads and messages (runs: ``assistants_runs``).

Every path is served under ``/v1`` and without the prefix. State lives in the engine's
``AssistantsStore`` (``mockgpt.assistants_store``); lists are cursor pages
(``{"object": "list", "data", "first_id", "last_id", "has_more"}``, newest first by default).

Spec: ``createAssistant``, ``listAssistants``, ``getAssistant``, ``modifyAssistant``,
``deleteAssistant``, ``createThread``, ``getThread``, ``modifyThread``, ``deleteThread``,
``createMessage``, ``listMessages``, ``getMessage``, ``modifyMessage``, ``deleteMessage``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from mockgpt.assistants_store import AssistantsStore, StoredThread
from mockgpt.errors import RequestRejected
from mockgpt.models import validate_request
from mockgpt.models.assistants import (
    CreateAssistant,
    CreateMessage,
    CreateThread,
    ModifyAssistant,
    ModifyMetadata,
    ModifyThread,
)
from mockgpt.models.common import ModelT
from mockgpt.render.assistants import (
    ASSISTANT_DEFAULTS,
    THREAD_DEFAULTS,
    WireObject,
    apply_fields,
    assistant_object,
    deleted,
    message_content,
    message_object,
    new_object_id,
    thread_object,
)
from mockgpt.routes.common import engine_of, json_response, now, read_json
from mockgpt.types import JSONValue


def store_of(request: Request) -> AssistantsStore:
    """The Assistants API state of the app's engine."""
    return engine_of(request).state.assistants


async def read_body(request: Request, model: type[ModelT]) -> tuple[ModelT, dict[str, Any]]:
    """The JSON body validated as ``model``, and as sent; no body at all counts as ``{}``.

    Raises:
        RequestRejected: 400 when it is not JSON or not valid; 413 when too large.
    """
    body: JSONValue = {}
    if request.headers.get("content-length") != "0":
        body = await read_json(request, engine_of(request).config.max_body_bytes)
    req = validate_request(model, body)
    assert isinstance(body, dict)  # validate_request refuses anything else
    return req, body


def _is_int(text: str) -> bool:
    """Whether ``text`` is a decimal integer in ASCII digits (``"²".isdigit()`` is true)."""
    digits = text[1:] if text.startswith("-") else text
    return digits.isascii() and digits.isdigit()


def cursor_page(request: Request, items: Sequence[WireObject]) -> Response:
    """A cursor page of ``items`` (given oldest first), as the query asks.

    Shape: ``{"object": "list", "data", "first_id", "last_id", "has_more"}``.

    ``order`` is ``desc`` (newest first) by default; ``limit`` is 1..100, default 20; ``after``
    and ``before`` are ids of the listed objects (an unknown one gives an empty page).

    Raises:
        RequestRejected: 400 for a bad ``limit`` or ``order``, naming it in ``param``.
    """
    params = request.query_params
    order = params.get("order", "desc")
    if order not in ("asc", "desc"):
        raise RequestRejected(
            400,
            f"Invalid value for 'order': '{order}'. Supported values are: 'asc' and 'desc'.",
            param="order",
            code="invalid_value",
        )
    raw_limit = params.get("limit", "20")
    if not _is_int(raw_limit) or not 1 <= int(raw_limit) <= 100:
        raise RequestRejected(
            400,
            f"Invalid 'limit': expected an integer between 1 and 100, but got '{raw_limit}'.",
            param="limit",
            code="invalid_value",
        )
    limit = int(raw_limit)
    ordered = list(items) if order == "asc" else list(reversed(items))
    ids = [str(item["id"]) for item in ordered]
    after, before = params.get("after"), params.get("before")
    start, end = 0, len(ordered)
    if after:
        start = ids.index(after) + 1 if after in ids else end
    if before:
        end = ids.index(before) if before in ids else start
    window = ordered[start:end]
    page = window[-limit:] if before and not after else window[:limit]
    data: list[JSONValue] = list(page)
    return json_response(
        {
            "object": "list",
            "data": data,
            "first_id": page[0]["id"] if page else None,
            "last_id": page[-1]["id"] if page else None,
            "has_more": len(window) > limit,
        }
    )


# -- assistants ---------------------------------------------------------------------------
async def create_assistant(request: Request) -> Response:
    """``POST /v1/assistants``: a new ``assistant`` (spec: ``createAssistant``).

    Raises:
        RequestRejected: 400 for an invalid body; 404 for an unlisted model (``--models``).
    """
    req, body = await read_body(request, CreateAssistant)
    engine_of(request).check_model(req.model)
    assistant = assistant_object(new_object_id("asst"), now(), req.model, body)
    store_of(request).assistants[assistant["id"]] = assistant
    return json_response(assistant)


async def list_assistants(request: Request) -> Response:
    """``GET /v1/assistants``: a cursor page of assistants (spec: ``listAssistants``)."""
    return cursor_page(request, list(store_of(request).assistants.values()))


async def assistant_endpoint(request: Request) -> Response:
    """``GET`` / ``POST`` (modify) / ``DELETE`` ``/v1/assistants/{assistant_id}``.

    Raises:
        RequestRejected: 404 for an unknown id; 400 for an invalid modification.
    """
    store = store_of(request)
    assistant = store.assistant(request.path_params["assistant_id"])
    if request.method == "DELETE":
        store.assistants.pop(assistant["id"], None)
        return json_response(deleted(assistant["id"], "assistant"))
    if request.method == "POST":
        req, body = await read_body(request, ModifyAssistant)
        if req.model is not None:
            engine_of(request).check_model(req.model)
            assistant["model"] = req.model
        apply_fields(assistant, body, ASSISTANT_DEFAULTS)
    return json_response(assistant)


# -- threads ------------------------------------------------------------------------------
def add_messages(thread: StoredThread, messages: Sequence[dict[str, Any]]) -> list[WireObject]:
    """Add ``CreateMessageRequest`` bodies (already validated) to ``thread``; the new messages."""
    added = [
        message_object(
            thread_id=thread.id,
            created_at=now(),
            role=str(message["role"]),
            content=message_content(message["content"]),
            attachments=message.get("attachments"),
            metadata=message.get("metadata"),
        )
        for message in messages
    ]
    for message in added:
        thread.add_message(message)
    return added


def new_thread(store: AssistantsStore, body: dict[str, Any]) -> StoredThread:
    """A new thread from a ``CreateThreadRequest`` body (already validated), with its messages."""
    thread = StoredThread(thread_object(new_object_id("thread"), now(), body))
    add_messages(thread, body.get("messages") or [])
    store.threads[thread.id] = thread
    return thread


def thread_of(request: Request) -> StoredThread:
    """The thread named by the ``thread_id`` path parameter.

    Raises:
        RequestRejected: 404 for an unknown id.
    """
    return store_of(request).thread(request.path_params["thread_id"])


async def create_thread(request: Request) -> Response:
    """``POST /v1/threads``: a new ``thread``, with messages if given (spec: ``createThread``)."""
    _, body = await read_body(request, CreateThread)
    return json_response(new_thread(store_of(request), body).thread)


async def thread_endpoint(request: Request) -> Response:
    """``GET`` / ``POST`` (modify) / ``DELETE`` ``/v1/threads/{thread_id}``.

    Deleting a thread deletes its messages and runs.

    Raises:
        RequestRejected: 404 for an unknown id; 400 for an invalid modification.
    """
    thread = thread_of(request)
    if request.method == "DELETE":
        store_of(request).threads.pop(thread.id, None)
        return json_response(deleted(thread.id, "thread"))
    if request.method == "POST":
        _, body = await read_body(request, ModifyThread)
        apply_fields(thread.thread, body, THREAD_DEFAULTS)
    return json_response(thread.thread)


# -- messages -----------------------------------------------------------------------------
async def messages_endpoint(request: Request) -> Response:
    """``GET`` (list; ``run_id`` filters) / ``POST`` (create) ``/v1/threads/{id}/messages``.

    Raises:
        RequestRejected: 404 for an unknown thread; 400 for an invalid message, or while a
            run of the thread is active.
    """
    thread = thread_of(request)
    if request.method == "POST":
        _, body = await read_body(request, CreateMessage)
        thread.check_idle("add messages to")
        return json_response(add_messages(thread, [body])[0])
    messages = list(thread.messages.values())
    run_id = request.query_params.get("run_id")
    if run_id:
        messages = [m for m in messages if m["run_id"] == run_id]
    return cursor_page(request, messages)


async def message_endpoint(request: Request) -> Response:
    """``GET`` / ``POST`` (modify metadata) / ``DELETE`` ``/v1/threads/{id}/messages/{id}``.

    Raises:
        RequestRejected: 404 for an unknown thread or message; 400 for invalid metadata.
    """
    thread = thread_of(request)
    message = thread.message(request.path_params["message_id"])
    if request.method == "DELETE":
        thread.messages.pop(message["id"], None)
        return json_response(deleted(message["id"], "thread.message"))
    if request.method == "POST":
        _, body = await read_body(request, ModifyMetadata)
        if "metadata" in body:
            message["metadata"] = dict(body["metadata"] or {})
    return json_response(message)
