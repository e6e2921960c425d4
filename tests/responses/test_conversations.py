"""``/v1/conversations``: the conversation object, its items, and responses that read and
extend it (``conversation=``)."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import openai
import pytest

from tests.responses.clients import ResponsesApi
from tests.responses.conftest import MODEL
from tests.responses.wire import assert_lifecycle, split_frames

HELLO = {"type": "message", "role": "user", "content": "hello, I am Ada"}
PARTS = {
    "type": "message",
    "role": "user",
    "content": [{"type": "input_text", "text": "I like tea"}],
}


def _texts(items: list[object]) -> list[str]:
    return [item.content[0].text for item in items]  # type: ignore[attr-defined]


def test_conversations_create_retrieve_update_delete(rapi: ResponsesApi) -> None:
    created = rapi.call("conversations.create", metadata={"topic": "demo"})

    retrieved = rapi.call("conversations.retrieve", created.id)
    updated = rapi.call("conversations.update", created.id, metadata={"topic": "new", "x": "1"})
    after_update = rapi.call("conversations.retrieve", created.id)
    deleted = rapi.call("conversations.delete", created.id)

    assert created.object == "conversation"
    assert created.id.startswith("conv_")
    assert isinstance(created.created_at, int)
    assert created.metadata == {"topic": "demo"}
    assert retrieved.to_dict() == created.to_dict()
    assert updated.id == created.id
    assert updated.metadata == {"topic": "new", "x": "1"}
    assert after_update.metadata == {"topic": "new", "x": "1"}
    assert (deleted.id, deleted.object, deleted.deleted) == (
        created.id,
        "conversation.deleted",
        True,
    )
    with pytest.raises(openai.NotFoundError):
        rapi.call("conversations.retrieve", created.id)


def test_conversations_create_with_items_lists_them(rapi: ResponsesApi) -> None:
    conversation = rapi.call("conversations.create", items=[HELLO, PARTS])

    newest_first = rapi.call("conversations.items.list", conversation.id)
    oldest_first = rapi.call("conversations.items.list", conversation.id, order="asc")

    assert _texts(newest_first.data) == ["I like tea", "hello, I am Ada"]
    assert _texts(oldest_first.data) == ["hello, I am Ada", "I like tea"]
    assert newest_first.object == "list"
    assert newest_first.has_more is False
    assert newest_first.first_id == newest_first.data[0].id
    assert newest_first.last_id == newest_first.data[-1].id
    for item in oldest_first.data:
        assert item.type == "message"
        assert item.role == "user"
        assert item.status == "completed"
        assert item.content[0].type == "input_text"


def test_conversations_items_create_retrieve_delete(rapi: ResponsesApi) -> None:
    conversation = rapi.call("conversations.create", items=[HELLO])

    added = rapi.call("conversations.items.create", conversation.id, items=[PARTS])
    [item] = added.data
    fetched = rapi.call("conversations.items.retrieve", item.id, conversation_id=conversation.id)
    after_delete = rapi.call("conversations.items.delete", item.id, conversation_id=conversation.id)

    assert _texts(added.data) == ["I like tea"]
    assert added.first_id == added.last_id == item.id
    assert fetched.id == item.id
    assert _texts([fetched]) == ["I like tea"]
    assert after_delete.id == conversation.id
    assert after_delete.object == "conversation"
    assert _texts(rapi.collect("conversations.items.list", conversation.id)) == ["hello, I am Ada"]
    with pytest.raises(openai.NotFoundError):
        rapi.call("conversations.items.retrieve", item.id, conversation_id=conversation.id)


def test_conversations_items_page_with_limit(rapi: ResponsesApi) -> None:
    items = [{"role": "user", "content": f"item {i}"} for i in range(5)]
    conversation = rapi.call("conversations.create", items=items)

    page = rapi.call("conversations.items.list", conversation.id, limit=2)
    every = rapi.collect("conversations.items.list", conversation.id, limit=2, order="asc")

    assert _texts(page.data) == ["item 4", "item 3"]
    assert page.has_more is True
    assert _texts(every) == [f"item {i}" for i in range(5)]


def test_conversations_unknown_ids_are_404(rapi: ResponsesApi) -> None:
    conversation = rapi.call("conversations.create")

    with pytest.raises(openai.NotFoundError):
        rapi.call("conversations.retrieve", "conv_nope")
    with pytest.raises(openai.NotFoundError):
        rapi.call("conversations.items.list", "conv_nope")
    with pytest.raises(openai.NotFoundError):
        rapi.call("conversations.items.retrieve", "msg_nope", conversation_id=conversation.id)
    with pytest.raises(openai.NotFoundError) as caught:
        rapi.call("responses.create", model=MODEL, input="hi", conversation="conv_nope")
    assert caught.value.param == "conversation"


def test_conversations_response_sees_the_items_and_extends_them(
    rapi: ResponsesApi, stub: Callable[..., None]
) -> None:
    stub(
        {
            "match": {"any_message": "I am Ada", "last_user": "who am I"},
            "respond": {"content": "You are Ada."},
        },
        {
            "match": {"any_message": "You are Ada.", "last_user": "sure?"},
            "respond": {"content": "Quite sure."},
        },
    )
    conversation = rapi.call("conversations.create", items=[HELLO])

    first = rapi.call(
        "responses.create", model=MODEL, input="who am I?", conversation=conversation.id
    )
    second = rapi.call(
        "responses.create", model=MODEL, input="sure?", conversation={"id": conversation.id}
    )
    items = rapi.collect("conversations.items.list", conversation.id, order="asc")

    assert first.output_text == "You are Ada."
    assert first.conversation is not None
    assert first.conversation.id == conversation.id
    assert second.output_text == "Quite sure."
    assert [(i.role, i.content[0].text) for i in items] == [
        ("user", "hello, I am Ada"),
        ("user", "who am I?"),
        ("assistant", "You are Ada."),
        ("user", "sure?"),
        ("assistant", "Quite sure."),
    ]
    assert items[2].id == first.output[0].id  # the output item itself is appended
    assert items[4].id == second.output[0].id


def test_conversations_streamed_response_extends_it(
    rapi: ResponsesApi, raw: Callable[..., httpx.Response]
) -> None:
    conversation = rapi.call("conversations.create")

    events = rapi.events(model=MODEL, input="blue giraffe", conversation=conversation.id)
    frames = split_frames(raw(input="again", conversation=conversation.id, stream=True).content)
    items = rapi.collect("conversations.items.list", conversation.id, order="asc")

    final = assert_lifecycle(frames)
    for event in (events[0], events[-1]):
        assert event.response.conversation is not None
        assert event.response.conversation.id == conversation.id
    assert final["conversation"] == {"id": conversation.id}
    assert [i.content[0].text for i in items] == ["blue giraffe", "blue giraffe", "again", "again"]


def test_conversations_tool_round_trip(rapi: ResponsesApi, stub: Callable[..., None]) -> None:
    tool = {"type": "function", "name": "lookup", "parameters": {"type": "object"}}
    stub(
        {
            "match": {"tool_result": {"name": "lookup"}},
            "respond": {"content": "Found {{ messages[-1].content }}."},
        },
        {"match": {"last_user": "find"}, "respond": {"tool_calls": [{"name": "lookup"}]}},
    )
    conversation = rapi.call("conversations.create")

    first = rapi.call(
        "responses.create", model=MODEL, input="find it", tools=[tool], conversation=conversation.id
    )
    [call] = first.output
    second = rapi.call(
        "responses.create",
        model=MODEL,
        input=[{"type": "function_call_output", "call_id": call.call_id, "output": "42"}],
        tools=[tool],
        conversation=conversation.id,
    )
    items = rapi.collect("conversations.items.list", conversation.id, order="asc")

    assert second.output_text == "Found 42."
    assert [i.type for i in items] == [
        "message",
        "function_call",
        "function_call_output",
        "message",
    ]
    assert items[2].call_id == call.call_id
    assert items[2].status == "completed"


def test_conversations_exclude_previous_response_id(rapi: ResponsesApi) -> None:
    conversation = rapi.call("conversations.create")
    earlier = rapi.call("responses.create", model=MODEL, input="hi")

    with pytest.raises(openai.BadRequestError) as caught:
        rapi.call(
            "responses.create",
            model=MODEL,
            input="hi",
            conversation=conversation.id,
            previous_response_id=earlier.id,
        )

    assert caught.value.param == "conversation"
