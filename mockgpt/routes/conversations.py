"""The Conversations API: ``/v1/conversations`` and their items (spec: ``Conversation``)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from mockgpt.errors import RequestRejected
from mockgpt.http.pages import cursor_page
from mockgpt.models import validate_request
from mockgpt.models.common import RequestModel
from mockgpt.routes.common import engine_of, json_response, read_json
from mockgpt.store import Conversation, with_item_ids
from mockgpt.types import JSONValue


def not_found(kind: str, value: str, param: str | None = None) -> RequestRejected:
    """A 404 error: ``<kind> with id '<value>' not found.``."""
    return RequestRejected(404, f"{kind} with id '{value}' not found.", param=param)


def conversation_of(request: Request, conversation_id: str) -> Conversation:
    """The stored conversation.

    Raises:
        RequestRejected: 404 for an unknown id (``param``: ``conversation``).
    """
    conversation = engine_of(request).store.conversations.get(conversation_id)
    if conversation is None:
        raise not_found("Conversation", conversation_id, "conversation")
    return conversation


class CreateConversation(RequestModel):
    """The body of ``POST /v1/conversations``."""

    items: list[dict[str, Any]] | None = None
    metadata: dict[str, str] | None = None


class UpdateConversation(RequestModel):
    """The body of ``POST /v1/conversations/{id}``."""

    metadata: dict[str, str]


class AddItems(RequestModel):
    """The body of ``POST /v1/conversations/{id}/items``."""

    items: list[dict[str, Any]]


async def create_conversation(request: Request) -> Response:
    """``POST /v1/conversations``: a new conversation, optionally with items."""
    engine = engine_of(request)
    body = await read_json(request, engine.config.max_body_bytes)
    req = validate_request(CreateConversation, body)
    conversation = engine.store.new_conversation(req.metadata, req.items or [])
    return json_response(conversation.to_object())


async def conversation_endpoint(request: Request) -> Response:
    """``GET`` / ``POST`` (update metadata) / ``DELETE`` ``/v1/conversations/{id}``."""
    conversation = conversation_of(request, request.path_params["conversation_id"])
    if request.method == "DELETE":
        engine_of(request).store.conversations.pop(conversation.id, None)
        return json_response(
            {"id": conversation.id, "object": "conversation.deleted", "deleted": True}
        )
    if request.method == "POST":
        body = await read_json(request, engine_of(request).config.max_body_bytes)
        conversation.metadata = dict(validate_request(UpdateConversation, body).metadata)
    return json_response(conversation.to_object())


async def conversation_items(request: Request) -> Response:
    """``GET`` (list, newest first) / ``POST`` (add) ``/v1/conversations/{id}/items``."""
    conversation = conversation_of(request, request.path_params["conversation_id"])
    if request.method == "POST":
        body = await read_json(request, engine_of(request).config.max_body_bytes)
        added = with_item_ids(validate_request(AddItems, body).items)
        conversation.items += added
        data: list[JSONValue] = list(added)
        return json_response(
            {
                "object": "list",
                "data": data,
                "first_id": added[0]["id"] if added else None,
                "last_id": added[-1]["id"] if added else None,
                "has_more": False,
            }
        )
    return cursor_page(request, conversation.items)


async def conversation_item(request: Request) -> Response:
    """``GET`` / ``DELETE`` ``/v1/conversations/{id}/items/{item_id}``."""
    conversation = conversation_of(request, request.path_params["conversation_id"])
    item_id = request.path_params["item_id"]
    for item in conversation.items:
        if item.get("id") == item_id:
            if request.method == "DELETE":
                conversation.items.remove(item)
                return json_response(conversation.to_object())
            return json_response(item)
    raise not_found("Item", item_id)
