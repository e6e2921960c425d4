"""The Responses API: ``/v1/responses`` and ``/v1/conversations``.

A request's input (with the turns of ``previous_response_id`` or ``conversation`` before it)
becomes a chat conversation that the stubs and backends answer; ``ResponseRenderer`` turns the
events into a ``Response`` or its event stream (``event: <type>`` + ``data: <json>``).
"""

from __future__ import annotations

import math
import secrets
from collections.abc import AsyncIterator, Callable
from typing import Any

import anyio
from starlette.requests import Request
from starlette.responses import Response

from mockgpt.backends import RequestContext
from mockgpt.engine import chat_prompt_tokens, prime
from mockgpt.errors import RequestRejected
from mockgpt.events import Event
from mockgpt.faults import DropResponse, break_stream, error_from_spec, stream_breaks
from mockgpt.limits import Limiter
from mockgpt.models import CreateChatCompletionRequest, validate_request
from mockgpt.models.common import RequestModel
from mockgpt.models.responses import (
    CreateResponse,
    chat_body,
    encode_compaction,
    input_items,
)
from mockgpt.render.responses import ResponseMeta, ResponseRenderer, new_item_id
from mockgpt.responses_quirks import (
    ResponseEventQuirks,
    error_frame,
    quirk_request,
    quirk_response,
    reject_request,
    stale_response,
)
from mockgpt.routes.common import (
    SSE_MEDIA_TYPE,
    SSEBody,
    SSEStream,
    annotate,
    engine_of,
    json_response,
    now,
    read_json,
)
from mockgpt.scenarios.schema import ErrorSpec, Fault
from mockgpt.sse import AsyncioClock, dumps, encode_sse, pace
from mockgpt.store import (
    Conversation,
    StoredResponse,
    output_messages,
    with_item_ids,
)
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
)


def _not_found(kind: str, value: str, param: str | None = None) -> RequestRejected:
    return RequestRejected(404, f"{kind} with id '{value}' not found.", param=param)


def _responses_error_frames(
    error: RequestRejected, sequence_number: int, quirks: frozenset[str] = frozenset()
) -> list[bytes]:
    """A Responses stream's error: an ``error`` event (``ResponseErrorEvent``)."""
    event: JSONObject = {
        "type": "error",
        "code": error.code or error.type,
        "message": error.message,
        "param": error.param,
        "sequence_number": sequence_number,
    }
    chat_style = error_frame(event, error.type, quirks)
    if chat_style is not None:
        return [encode_sse(chat_style)]
    if "responses-sequence-number-missing" in quirks:
        del event["sequence_number"]
    named = "responses-no-event-field" not in quirks
    return [encode_sse(event, event="error" if named else None)]


class _EventFrames:
    """The SSE frames (``event: <type>`` + ``data:``) of one streamed response.

    The response is remembered (stored, added to its conversation) as its terminal event goes
    out, so a client that has read ``response.completed`` can retrieve it at once, and a stream
    a fault cut short is not remembered. A fault's ``error`` event takes the sequence number of
    the event it replaces, so sequence numbers keep increasing (spec: ``sequence_number``).

    Args:
        renderer: renders the events.
        events: the answer's events.
        remember: called once, as the terminal event is sent.
        quirks: the active quirks (``mockgpt.responses_quirks``).
    """

    def __init__(
        self,
        renderer: ResponseRenderer,
        events: AsyncIterator[Event],
        remember: Callable[[], None],
        quirks: frozenset[str] = frozenset(),
    ) -> None:
        self.renderer = renderer
        self.events = events
        self.remember = remember
        self.quirks = quirks
        self._quirked = ResponseEventQuirks(quirks) if quirks else None
        self._numbered = 0
        self._pulled = 0
        self._terminal: bytes | None = None

    def _encode(self, items: list[JSONObject]) -> list[tuple[int, bytes]]:
        named = True
        if self._quirked is not None:
            items = self._quirked.apply(items)
            named = "responses-no-event-field" not in self.quirks
        out = []
        for item in items:
            out.append(
                (self._numbered, encode_sse(item, event=str(item["type"]) if named else None))
            )
            self._numbered += 1
        return out

    async def frames(self) -> AsyncIterator[bytes]:
        """Every event's frame, in order."""
        try:
            async for event in self.events:
                for number, frame in self._encode(self.renderer.feed(event)):
                    self._pulled = number
                    yield frame
        except RequestRejected as error:  # a live backend (a proxy) failed after the 200
            for frame in _responses_error_frames(error, self._numbered, self.quirks):
                yield frame
            return
        closing = self._encode(self.renderer.close())
        self._terminal = closing[-1][1]
        for number, frame in closing:
            self._pulled = number
            yield frame

    def error_frames(self, error: RequestRejected) -> list[bytes]:
        """The ``error`` event replacing the frame ``break_stream`` took last."""
        return _responses_error_frames(error, self._pulled, self.quirks)

    async def sent(self, frames: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
        """``frames`` as they go out; the terminal one first remembers the response."""
        async for frame in frames:
            if frame is self._terminal:
                self.remember()
            yield frame


async def _json_answer(
    final: JSONObject, fault: Fault | None, remember: Callable[[], None]
) -> Response | DropResponse:
    """The non-streamed ``Response``, broken as a stream fault says (as chat completions are).

    Raises:
        RequestRejected: the fault's error, for ``error_after_chunks``.
    """
    encoded = dumps(final)
    if fault is not None and stream_breaks(fault):
        if fault.error_after_chunks is not None:
            raise error_from_spec(fault.error_event or ErrorSpec(status=500))
        if fault.drop_after_chunks is not None:
            return DropResponse(b"application/json", encoded[: len(encoded) // 2], len(encoded))
        if fault.malformed_after_chunks is not None:
            return Response(encoded[: len(encoded) // 2], media_type="application/json")
        if fault.stall_after_chunks is not None:
            await anyio.sleep(fault.stall_ms / 1000)
    remember()
    return Response(encoded, media_type="application/json")


def _conversation(request: Request, conversation_id: str) -> Conversation:
    conversation = engine_of(request).store.conversations.get(conversation_id)
    if conversation is None:
        raise _not_found("Conversation", conversation_id, "conversation")
    return conversation


def _as_chat(
    request: Request, req: CreateResponse
) -> tuple[dict[str, Any], CreateChatCompletionRequest, Conversation | None]:
    """The chat body that answers ``req``, validated, and the conversation it continues.

    The body's messages are the instructions (a ``developer`` message first, when given), the
    earlier turns of ``previous_response_id`` or ``conversation``, then the input.

    Raises:
        RequestRejected: 400 for both ``previous_response_id`` and ``conversation``; 404 for an
            unknown response or conversation.
    """
    history, conversation = _history(request, req)
    chat = chat_body(req, history)
    return chat, validate_request(CreateChatCompletionRequest, chat), conversation


def _history(
    request: Request, req: CreateResponse
) -> tuple[list[dict[str, Any]], Conversation | None]:
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
            raise _not_found("Previous response", req.previous_response_id, "previous_response_id")
        return previous.messages, None
    if req.conversation_id:
        conversation = _conversation(request, req.conversation_id)
        return conversation.messages(), conversation
    return [], None


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
    _, chat_request, _ = _as_chat(request, req)
    return json_response(
        {"object": "response.input_tokens", "input_tokens": chat_prompt_tokens(chat_request)}
    )


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
    chat, chat_request, _ = _as_chat(request, req)
    messages = chat["messages"]
    conversation = messages[1:] if req.instructions else messages  # instructions are not kept
    kept: list[JSONValue] = [
        {
            "id": new_item_id("msg"),
            "type": "message",
            "status": "completed",
            "role": "user",
            "content": [{"type": "input_text", "text": str(m.get("content") or "")}],
        }
        for m in conversation
        if m.get("role") == "user"
    ]
    compaction: JSONObject = {
        "id": new_item_id("cmp"),
        "type": "compaction",
        "encrypted_content": encode_compaction(conversation),
    }
    input_tokens = chat_prompt_tokens(chat_request)
    return json_response(
        {
            "id": f"resp_{secrets.token_hex(24)}",
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


async def create_response(request: Request) -> Response | SSEBody | SSEStream | DropResponse:
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
    chat, chat_request, conversation = _as_chat(request, req)
    ctx = RequestContext(
        endpoint="responses",
        request=chat_request,
        body={**body, "messages": chat["messages"]},
        headers=request.headers,
        request_id=request.scope.get("mockgpt.request_id", ""),
        choices=1,
    )
    limiter = Limiter(
        n=1,
        max_tokens=req.max_output_tokens,
        stops=(),
        prompt_tokens=chat_prompt_tokens(chat_request),
    )
    selection = engine.select(ctx)
    annotate(request, selection)
    fault = selection.fault
    if fault is not None and fault.delay_ms:
        await anyio.sleep(fault.delay_ms / 1000)
    error = selection.error or (fault.http_error if fault is not None else None)
    if error is not None:
        raise error_from_spec(error)
    if fault is not None and fault.reset:
        return DropResponse(SSE_MEDIA_TYPE.encode() if req.stream else b"application/json")
    echoed = {k: body[k] for k in _ECHOED if k in body}
    if conversation is not None:
        echoed["conversation"] = {"id": conversation.id}
    meta = ResponseMeta(
        id=f"resp_{secrets.token_hex(24)}",
        created_at=now(),
        model=selection.model or req.model,
        request=echoed,
    )
    renderer = ResponseRenderer(meta)
    answer = engine.answer(selection, ctx, limiter=limiter)
    if answer.live:
        answer = await prime(answer)
    items = with_item_ids(input_items(req))

    def remember() -> None:
        final = renderer.final
        assert final is not None
        if conversation is not None:
            outputs = [i for i in final.get("output") or [] if isinstance(i, dict)]  # type: ignore[union-attr]
            conversation.items += items + outputs
        if req.store is not False:
            messages = [*chat["messages"], *output_messages(final)]
            if req.instructions:
                messages = messages[1:]  # instructions do not carry over to the next turn
            engine.store.save(StoredResponse(final, items, messages, renderer.events))

    quirks = selection.quirks
    if not req.stream or "responses-json-when-stream" in quirks:
        async for event in answer.events:
            renderer.feed(event)
        renderer.close()
        assert renderer.final is not None
        return await _json_answer(quirk_response(renderer.final, quirks), fault, remember)

    stream = _EventFrames(renderer, answer.events, remember, quirks)

    ttft_ms = selection.ttft_ms if selection.ttft_ms is not None else engine.config.ttft_ms
    tps = (
        selection.tokens_per_second
        if selection.tokens_per_second is not None
        else engine.config.tokens_per_second
    )
    paced = ttft_ms > 0 or not math.isinf(tps)
    source = stream.frames()
    if not answer.live and not paced and not stream_breaks(fault):
        return SSEBody(b"".join([frame async for frame in stream.sent(source)]))
    clock = AsyncioClock()
    if fault is not None and stream_breaks(fault):
        source = break_stream(source, fault, clock, stream.error_frames)
    if paced:
        source = pace(source, ttft_ms=ttft_ms, tokens_per_second=tps, clock=clock)
    return SSEStream(stream.sent(source))


def _stored(request: Request) -> StoredResponse:
    response_id = request.path_params["response_id"]
    stored = engine_of(request).store.responses.get(response_id)
    if stored is None:
        raise _not_found("Response", response_id)
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


def _page(request: Request, items: list[dict[str, Any]], default_order: str = "desc") -> Response:
    """A cursor page: ``{"object": "list", "data", "first_id", "last_id", "has_more"}``."""
    params = request.query_params
    order = params.get("order", default_order)
    if order not in ("asc", "desc"):
        raise RequestRejected(
            400,
            f"Invalid value for 'order': expected one of 'asc' or 'desc', got {order!r}.",
            param="order",
            code="invalid_value",
        )
    try:
        limit = int(params.get("limit", "20"))
    except ValueError:
        raise RequestRejected(400, "Invalid 'limit': expected an integer.", param="limit") from None
    if not 1 <= limit <= 100:
        raise RequestRejected(
            400,
            f"Invalid 'limit': expected an integer from 1 to 100, got {limit}.",
            param="limit",
            code="invalid_value",
        )
    ordered = list(reversed(items)) if order == "desc" else list(items)
    after = params.get("after")
    if after:
        ids = [str(i.get("id")) for i in ordered]
        ordered = ordered[ids.index(after) + 1 :] if after in ids else []
    data: list[JSONValue] = list(ordered[:limit])
    return json_response(
        {
            "object": "list",
            "data": data,
            "first_id": ordered[0]["id"] if data else None,
            "last_id": ordered[: len(data)][-1]["id"] if data else None,
            "has_more": len(ordered) > limit,
        }
    )


async def list_input_items(request: Request) -> Response:
    """``GET /v1/responses/{id}/input_items``: the response's input items, newest first."""
    return _page(request, _stored(request).input_items)


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
    conversation = _conversation(request, request.path_params["conversation_id"])
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
    conversation = _conversation(request, request.path_params["conversation_id"])
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
    return _page(request, conversation.items)


async def conversation_item(request: Request) -> Response:
    """``GET`` / ``DELETE`` ``/v1/conversations/{id}/items/{item_id}``."""
    conversation = _conversation(request, request.path_params["conversation_id"])
    item_id = request.path_params["item_id"]
    for item in conversation.items:
        if item.get("id") == item_id:
            if request.method == "DELETE":
                conversation.items.remove(item)
                return json_response(conversation.to_object())
            return json_response(item)
    raise _not_found("Item", item_id)
