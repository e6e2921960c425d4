"""The Responses API: ``/v1/responses`` (conversations are in ``routes.conversations``).

A request's input (with the turns of ``previous_response_id`` or ``conversation`` before it)
becomes a chat conversation that the stubs and backends answer; ``ResponseRenderer`` turns the
events into a ``Response`` or its event stream (``event: <type>`` + ``data: <json>``).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from mockgpt.conversation import Message, Prompt
from mockgpt.errors import RequestRejected
from mockgpt.http.pages import cursor_page
from mockgpt.http.responses import ResponsesWire
from mockgpt.http.send import ReplySender, SSEBody
from mockgpt.ids import new_hex
from mockgpt.models import validate_request
from mockgpt.models.responses import (
    CreateResponse,
    encode_compaction,
    input_items,
    response_prompt,
)
from mockgpt.quirks.responses import quirk_request, reject_request, stale_response
from mockgpt.render.responses import ResponseMeta, ResponseRenderer, new_item_id
from mockgpt.routes.common import engine_of, json_response, now, read_json, serve
from mockgpt.routes.conversations import conversation_of, not_found
from mockgpt.sse import encode_sse
from mockgpt.store import (
    Conversation,
    StoredResponse,
    output_messages,
    with_item_ids,
)
from mockgpt.turn import Turn
from mockgpt.types import JSONObject, JSONValue

_ECHOED = (
    "instructions",
    "max_output_tokens",
    "parallel_tool_calls",
    "previous_response_id",
    "store",
    "temperature",
    "text",
    "tool_choice",
    "tools",
    "top_p",
    "user",
    "metadata",
    "background",
    "reasoning",
    "include",
)


def _prompt(request: Request, req: CreateResponse) -> tuple[Prompt, Conversation | None]:
    """The canonical prompt that answers ``req``, and the conversation it continues.

    The messages are the instructions (a ``developer`` message first, when given), the
    earlier turns of ``previous_response_id`` or ``conversation``, then the input.

    Raises:
        RequestRejected: 400 for both ``previous_response_id`` and ``conversation`` or an input
            message with an unknown role; 404 for an unknown response or conversation.
    """
    history, conversation = _history(request, req)
    return response_prompt(req, history), conversation


def _history(
    request: Request, req: CreateResponse
) -> tuple[tuple[Message, ...], Conversation | None]:
    """The earlier turns a request continues (``previous_response_id`` or ``conversation``).

    Raises:
        RequestRejected: 400 for both at once; 404 for an unknown response or conversation.
    """
    if req.previous_response_id and req.conversation_id:
        raise RequestRejected(
            400,
            "Mutually exclusive parameters: 'previous_response_id' and 'conversation'.",
            param="conversation",
            code="mutually_exclusive_parameters",
        )
    if req.previous_response_id:
        previous = engine_of(request).store.responses.get(req.previous_response_id)
        if previous is None:
            raise not_found("Previous response", req.previous_response_id, "previous_response_id")
        return previous.messages, None
    if req.conversation_id:
        conversation = conversation_of(request, req.conversation_id)
        return conversation.messages(), conversation
    return (), None


async def count_input_tokens(request: Request) -> Response:
    """``POST /v1/responses/input_tokens``: ``{"object": "response.input_tokens", "input_tokens"}``.

    Spec: ``TokenCountsBody`` -> ``TokenCountsResource``. The count is the ``usage.input_tokens``
    that ``POST /v1/responses`` reports for the same body (earlier turns included), in tokens.

    Raises:
        RequestRejected: 400 for an invalid body; 404 for an unknown model (fixed model list),
            previous response or conversation.
    """
    engine = engine_of(request)
    body = await read_json(request, engine.config.max_body_bytes)
    named = isinstance(body, dict) and body.get("model") is not None
    if isinstance(body, dict) and not named:
        body = {**body, "model": "mockgpt"}  # optional here: the count does not depend on it
    req = validate_request(CreateResponse, body)
    if named:
        engine.check_model(req.model)
    prompt, _ = _prompt(request, req)
    return json_response({"object": "response.input_tokens", "input_tokens": prompt.tokens})


async def compact_response(request: Request) -> Response:
    """``POST /v1/responses/compact``: the conversation as one compaction item.

    Spec: ``CompactResponseMethodPublicBody`` -> ``CompactResource`` ``{"id", "object":
    "response.compaction", "output", "created_at", "usage"}``. ``output`` lists every user
    message of the conversation (earlier turns of ``previous_response_id`` included), then one
    ``compaction`` item whose ``encrypted_content`` carries the whole conversation, so sending
    ``output`` as the next request's ``input`` continues it. ``usage.input_tokens`` counts the
    conversation; nothing is generated, so ``output_tokens`` is 0. ``instructions`` are not
    compacted (the next request gives its own, as with ``previous_response_id``).

    Raises:
        RequestRejected: 400 for an invalid body; 404 for an unknown model (fixed model list)
            or previous response.
    """
    engine = engine_of(request)
    body = await read_json(request, engine.config.max_body_bytes)
    req = validate_request(CreateResponse, body)
    engine.check_model(req.model)
    prompt, _ = _prompt(request, req)
    messages = prompt.messages
    conversation = messages[1:] if req.instructions else messages  # instructions are not kept
    kept: list[JSONValue] = [
        {
            "id": new_item_id("msg"),
            "type": "message",
            "status": "completed",
            "role": "user",
            "content": [{"type": "input_text", "text": m.text}],
        }
        for m in conversation
        if m.role == "user"
    ]
    compaction: JSONObject = {
        "id": new_item_id("cmp"),
        "type": "compaction",
        "encrypted_content": encode_compaction([m.to_chat() for m in conversation]),
    }
    input_tokens = prompt.tokens
    return json_response(
        {
            "id": f"resp_{new_hex(48)}",
            "object": "response.compaction",
            "output": [*kept, compaction],
            "created_at": now(),
            "usage": {
                "input_tokens": input_tokens,
                "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
                "output_tokens": 0,
                "output_tokens_details": {"reasoning_tokens": 0},
                "total_tokens": input_tokens,
            },
        }
    )


async def create_response(request: Request) -> ReplySender:
    """Answer ``POST /v1/responses`` (spec: ``createResponse``), streamed or not.

    Raises:
        RequestRejected: 400 for an invalid body or both ``previous_response_id`` and
            ``conversation``; 404 for an unknown previous response or conversation.
    """
    engine = engine_of(request)
    body = await read_json(request, engine.config.max_body_bytes)
    if engine.quirks:
        reject_request(body, engine.quirks)
        if isinstance(body, dict):
            body = quirk_request(body, engine.quirks)
    req = validate_request(CreateResponse, body)
    engine.check_model(req.model)
    assert isinstance(body, dict)
    prompt, conversation = _prompt(request, req)
    turn = Turn(
        endpoint="responses",
        prompt=prompt,
        parsed=body,
        headers=request.headers,
        request_id=request.scope.get("mockgpt.request_id", ""),
        model=req.model,
        stream=bool(req.stream),
        max_tokens=req.max_output_tokens,
        temperature=req.temperature,
        metadata=req.metadata,
        prompt_tokens=prompt.tokens,
    )
    echoed = {k: body[k] for k in _ECHOED if k in body}
    if conversation is not None:
        echoed["conversation"] = {"id": conversation.id}
    response_id, created_at = f"resp_{new_hex(48)}", now()
    items = with_item_ids(input_items(req))

    def renderer(model: str) -> ResponseRenderer:
        return ResponseRenderer(
            ResponseMeta(id=response_id, created_at=created_at, model=model, request=echoed)
        )

    def remember(renderer: ResponseRenderer) -> None:
        final = renderer.final
        assert final is not None
        if conversation is not None:
            outputs = [i for i in final.get("output") or [] if isinstance(i, dict)]  # type: ignore[union-attr]
            conversation.items += items + outputs
        if req.store is not False:
            messages = (*prompt.messages, *output_messages(final))
            if req.instructions:
                messages = messages[1:]  # instructions do not carry over to the next turn
            engine.store.save(StoredResponse(final, items, messages, renderer.events))

    wire = ResponsesWire(renderer, stream=bool(req.stream), remember=remember)
    return serve(request, turn, wire)


def _stored(request: Request) -> StoredResponse:
    response_id = request.path_params["response_id"]
    stored = engine_of(request).store.responses.get(response_id)
    if stored is None:
        raise not_found("Response", response_id)
    return stored


async def retrieve_response(request: Request) -> Response | SSEBody:
    """``GET /v1/responses/{id}``: a stored response, or its stream of events again.

    With ``?stream=true`` the events that rendered it are sent again as SSE, those after
    ``starting_after`` (a ``sequence_number``) only, as the official client's
    ``responses.retrieve(id, stream=True, starting_after=N)`` asks (spec: ``getResponse``).

    Raises:
        RequestRejected: 404 when no response has that id (or it was not stored); 400 for a
            ``starting_after`` that is not an integer.
    """
    stored = _stored(request)
    params = request.query_params
    if params.get("stream", "false").lower() != "true":
        return json_response(stale_response(stored.response, engine_of(request).quirks))
    try:
        after = int(params.get("starting_after", "-1"))
    except ValueError:
        raise RequestRejected(
            400, "Invalid 'starting_after': expected an integer.", param="starting_after"
        ) from None
    frames = [
        encode_sse(event, event=str(event["type"]))
        for event in stored.events
        if int(str(event["sequence_number"])) > after
    ]
    return SSEBody(b"".join(frames))


async def delete_response(request: Request) -> Response:
    """``DELETE /v1/responses/{id}``: ``{"id", "object": "response.deleted", "deleted": true}``."""
    stored = _stored(request)
    response_id = str(stored.response["id"])
    engine_of(request).store.responses.pop(response_id, None)
    return json_response({"id": response_id, "object": "response.deleted", "deleted": True})


async def cancel_response(request: Request) -> Response:
    """``POST /v1/responses/{id}/cancel``: only background responses can be cancelled.

    mockgpt answers background requests at once, so a cancel returns the finished response.

    Raises:
        RequestRejected: 400 for a response not created with ``background: true``.
    """
    stored = _stored(request)
    if not stored.response.get("background"):
        raise RequestRejected(
            400, "Only responses created with background=true can be cancelled.", code=None
        )
    return json_response(stored.response)


async def list_input_items(request: Request) -> Response:
    """``GET /v1/responses/{id}/input_items``: the response's input items, newest first."""
    return cursor_page(request, _stored(request).input_items)
