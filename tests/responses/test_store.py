"""Stored responses: ``previous_response_id`` chaining, retrieve, delete, cancel and
``input_items`` (R8)."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import openai
import pytest

from tests.responses.clients import ResponsesApi
from tests.responses.conftest import MODEL

REMEMBER_NAME = {
    "match": {"any_message": "my name is Ada", "last_user": "what is my name"},
    "respond": {"content": "Your name is Ada."},
}


def test_store_chain_sees_the_earlier_turns(rapi: ResponsesApi, stub: Callable[..., None]) -> None:
    stub(REMEMBER_NAME)

    first = rapi.call("responses.create", model=MODEL, input="my name is Ada")
    second = rapi.call(
        "responses.create", model=MODEL, input="what is my name?", previous_response_id=first.id
    )
    alone = rapi.call("responses.create", model=MODEL, input="what is my name?")

    assert second.output_text == "Your name is Ada."
    assert second.previous_response_id == first.id
    assert alone.output_text == "what is my name?"  # no history: the echo answers


def test_store_chain_sees_earlier_answers_over_three_turns(
    rapi: ResponsesApi, stub: Callable[..., None]
) -> None:
    stub(
        {
            "match": {
                "messages": [
                    {"index": 0, "role": "user", "content": {"equals": "one"}},
                    {"index": 1, "role": "assistant", "content": {"equals": "one"}},
                    {"index": 2, "role": "user", "content": {"equals": "two"}},
                    {"index": 3, "role": "assistant", "content": {"equals": "two"}},
                    {"index": 4, "role": "user", "content": {"equals": "three"}},
                ]
            },
            "respond": {"content": "all three turns"},
        }
    )

    first = rapi.call("responses.create", model=MODEL, input="one")
    second = rapi.call("responses.create", model=MODEL, input="two", previous_response_id=first.id)
    third = rapi.call(
        "responses.create", model=MODEL, input="three", previous_response_id=second.id
    )

    assert third.output_text == "all three turns"


def test_store_chain_does_not_carry_instructions_over(
    rapi: ResponsesApi, stub: Callable[..., None]
) -> None:
    stub(
        {"match": {"system": "pirate"}, "respond": {"content": "Arr."}},
        {"match": {"system": {"absent": True}}, "respond": {"content": "Plain."}},
    )

    first = rapi.call("responses.create", model=MODEL, input="hi", instructions="be a pirate")
    second = rapi.call(
        "responses.create", model=MODEL, input="again", previous_response_id=first.id
    )

    assert first.output_text == "Arr."
    assert second.output_text == "Plain."
    assert second.instructions is None


def test_store_chain_works_from_a_streamed_response(
    rapi: ResponsesApi, stub: Callable[..., None]
) -> None:
    stub(REMEMBER_NAME)

    events = rapi.events(model=MODEL, input="my name is Ada")
    second = rapi.call(
        "responses.create",
        model=MODEL,
        input="what is my name?",
        previous_response_id=events[-1].response.id,
    )

    assert second.output_text == "Your name is Ada."


def test_store_unknown_previous_response_is_404(rapi: ResponsesApi) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        rapi.call("responses.create", model=MODEL, input="hi", previous_response_id="resp_nope")

    assert caught.value.status_code == 404
    assert caught.value.param == "previous_response_id"
    assert "resp_nope" in caught.value.message


def test_store_false_is_not_retrievable_nor_chainable(rapi: ResponsesApi) -> None:
    response = rapi.call("responses.create", model=MODEL, input="hi", store=False)

    assert response.store is False
    with pytest.raises(openai.NotFoundError):
        rapi.call("responses.retrieve", response.id)
    with pytest.raises(openai.NotFoundError):
        rapi.call("responses.create", model=MODEL, input="x", previous_response_id=response.id)


def test_store_retrieve_returns_the_created_response(rapi: ResponsesApi) -> None:
    created = rapi.call("responses.create", model=MODEL, input="blue giraffe", metadata={"a": "1"})

    retrieved = rapi.call("responses.retrieve", created.id)

    assert retrieved.to_dict() == created.to_dict()


def test_store_retrieve_returns_the_streamed_response(rapi: ResponsesApi) -> None:
    events = rapi.events(model=MODEL, input="blue giraffe")

    retrieved = rapi.call("responses.retrieve", events[-1].response.id)

    assert retrieved.to_dict() == events[-1].response.to_dict()


def test_store_delete_then_retrieve_is_404(rapi: ResponsesApi, http: httpx.Client) -> None:
    created = rapi.call("responses.create", model=MODEL, input="hi")

    sent = http.delete(f"/v1/responses/{created.id}")
    assert (
        rapi.call("responses.delete", rapi.call("responses.create", model=MODEL, input="x").id)
        is None
    )

    assert sent.status_code == 200
    assert sent.json() == {"id": created.id, "object": "response.deleted", "deleted": True}
    with pytest.raises(openai.NotFoundError):
        rapi.call("responses.retrieve", created.id)
    with pytest.raises(openai.NotFoundError):
        rapi.call("responses.delete", created.id)


def test_store_unknown_id_is_a_404_envelope(http: httpx.Client) -> None:
    for method, path in [
        ("GET", "/v1/responses/resp_nope"),
        ("DELETE", "/v1/responses/resp_nope"),
        ("POST", "/v1/responses/resp_nope/cancel"),
        ("GET", "/v1/responses/resp_nope/input_items"),
    ]:
        sent = http.request(method, path)
        assert sent.status_code == 404, (method, path)
        error = sent.json()["error"]
        assert set(error) == {"message", "type", "param", "code"}
        assert "resp_nope" in error["message"]


def test_store_cancel_a_non_background_response_is_400(rapi: ResponsesApi) -> None:
    created = rapi.call("responses.create", model=MODEL, input="hi")

    with pytest.raises(openai.BadRequestError) as caught:
        rapi.call("responses.cancel", created.id)

    assert "background" in caught.value.message


def test_store_cancel_a_finished_background_response_returns_it(rapi: ResponsesApi) -> None:
    created = rapi.call("responses.create", model=MODEL, input="hi", background=True)
    rapi.call("responses.retrieve", created.id)  # the first read finds it completed

    cancelled = rapi.call("responses.cancel", created.id)

    assert created.background is True
    assert cancelled.id == created.id
    assert cancelled.status == "completed"


FIVE = [{"role": "user", "content": f"message {i}"} for i in range(5)]


def _texts(items: list[object]) -> list[str]:
    return [item.content[0].text for item in items]  # type: ignore[attr-defined]


def test_store_input_items_newest_first_by_default(rapi: ResponsesApi) -> None:
    created = rapi.call("responses.create", model=MODEL, input=FIVE)

    page = rapi.call("responses.input_items.list", created.id)

    assert _texts(page.data) == [f"message {i}" for i in reversed(range(5))]
    assert page.has_more is False
    assert page.first_id == page.data[0].id
    assert page.last_id == page.data[-1].id
    assert {item.type for item in page.data} == {"message"}
    assert {item.role for item in page.data} == {"user"}
    assert {item.content[0].type for item in page.data} == {"input_text"}


def test_store_input_items_ascending(rapi: ResponsesApi) -> None:
    created = rapi.call("responses.create", model=MODEL, input=FIVE)

    page = rapi.call("responses.input_items.list", created.id, order="asc")

    assert _texts(page.data) == [f"message {i}" for i in range(5)]


def test_store_input_items_pages_with_limit_and_after(rapi: ResponsesApi) -> None:
    created = rapi.call("responses.create", model=MODEL, input=FIVE)

    first = rapi.call("responses.input_items.list", created.id, order="asc", limit=2)
    second = rapi.call(
        "responses.input_items.list", created.id, order="asc", limit=2, after=first.last_id
    )
    last = rapi.call(
        "responses.input_items.list", created.id, order="asc", limit=2, after=second.last_id
    )
    every = rapi.collect("responses.input_items.list", created.id, order="asc", limit=2)

    assert _texts(first.data) == ["message 0", "message 1"]
    assert first.has_more is True
    assert _texts(second.data) == ["message 2", "message 3"]
    assert second.has_more is True
    assert _texts(last.data) == ["message 4"]
    assert last.has_more is False
    assert _texts(every) == [f"message {i}" for i in range(5)]


def test_store_input_items_of_a_string_input_and_tool_output(rapi: ResponsesApi) -> None:
    created = rapi.call("responses.create", model=MODEL, input="just text")
    tools = rapi.call(
        "responses.create",
        model=MODEL,
        input=[
            {"type": "function_call", "call_id": "c1", "name": "f", "arguments": "{}"},
            {"type": "function_call_output", "call_id": "c1", "output": "done"},
        ],
    )

    [item] = rapi.collect("responses.input_items.list", created.id)
    call, output = rapi.collect("responses.input_items.list", tools.id, order="asc")

    assert item.type == "message"
    assert _texts([item]) == ["just text"]
    assert (call.type, call.call_id, call.name, call.status) == (
        "function_call",
        "c1",
        "f",
        "completed",
    )
    assert (output.type, output.call_id, output.output, output.status) == (
        "function_call_output",
        "c1",
        "done",
        "completed",
    )


@pytest.mark.parametrize(
    ("query", "param"),
    [("limit=0", "limit"), ("limit=101", "limit"), ("limit=ten", "limit"), ("order=up", "order")],
    ids=["limit-0", "limit-101", "limit-text", "order"],
)
def test_store_input_items_rejects_bad_paging(
    rapi: ResponsesApi, http: httpx.Client, query: str, param: str
) -> None:
    created = rapi.call("responses.create", model=MODEL, input="hi")

    sent = http.get(f"/v1/responses/{created.id}/input_items?{query}")

    assert sent.status_code == 400
    assert sent.json()["error"]["param"] == param
