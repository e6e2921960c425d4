"""Assistants, threads and messages: create, retrieve, update, list, delete; 404 and 400."""

from __future__ import annotations

import httpx
import openai
import pytest

from tests.assistants.conftest import MODEL, WEATHER_TOOL
from tests.support import assert_envelope

# openai 3.x marks every beta.assistants / beta.threads method @deprecated (Assistants API).
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def test_assistant_create_retrieve_update_delete(client: openai.OpenAI) -> None:
    made = client.beta.assistants.create(
        model=MODEL,
        name="Weather bot",
        instructions="Answer about the weather.",
        tools=[WEATHER_TOOL, {"type": "code_interpreter"}],
        metadata={"team": "a"},
        temperature=0.5,
        response_format={"type": "json_object"},
    )
    assert made.id.startswith("asst_")
    assert made.object == "assistant"
    assert (made.name, made.model, made.instructions) == (
        "Weather bot",
        MODEL,
        "Answer about the weather.",
    )
    assert [t.type for t in made.tools] == ["function", "code_interpreter"]
    assert made.metadata == {"team": "a"}
    assert (made.temperature, made.top_p, made.description) == (0.5, 1.0, None)

    assert client.beta.assistants.retrieve(made.id) == made

    updated = client.beta.assistants.update(
        made.id, name="Renamed", model="gpt-4o", metadata={"team": "b"}, tools=[]
    )
    assert (updated.name, updated.model, updated.metadata, updated.tools) == (
        "Renamed",
        "gpt-4o",
        {"team": "b"},
        [],
    )
    assert updated.instructions == "Answer about the weather."
    assert client.beta.assistants.retrieve(made.id).name == "Renamed"

    gone = client.beta.assistants.delete(made.id)
    assert (gone.id, gone.object, gone.deleted) == (made.id, "assistant.deleted", True)
    with pytest.raises(openai.NotFoundError, match=f"No assistant found with id '{made.id}'"):
        client.beta.assistants.retrieve(made.id)


def test_thread_create_with_messages_retrieve_update_delete(client: openai.OpenAI) -> None:
    thread = client.beta.threads.create(
        messages=[
            {"role": "user", "content": "first"},
            {"role": "assistant", "content": [{"type": "text", "text": "second"}]},
        ],
        metadata={"k": "v"},
    )
    assert thread.id.startswith("thread_")
    assert (thread.object, thread.metadata) == ("thread", {"k": "v"})

    messages = client.beta.threads.messages.list(thread.id, order="asc").data
    assert [(m.role, m.content[0].text.value) for m in messages] == [  # type: ignore[union-attr]
        ("user", "first"),
        ("assistant", "second"),
    ]
    assert all(m.thread_id == thread.id and m.status == "completed" for m in messages)

    assert client.beta.threads.retrieve(thread.id) == thread
    assert client.beta.threads.update(thread.id, metadata={"k": "w"}).metadata == {"k": "w"}

    gone = client.beta.threads.delete(thread.id)
    assert (gone.id, gone.object, gone.deleted) == (thread.id, "thread.deleted", True)
    with pytest.raises(openai.NotFoundError):
        client.beta.threads.retrieve(thread.id)
    with pytest.raises(openai.NotFoundError):
        client.beta.threads.messages.list(thread.id)


def test_empty_thread(client: openai.OpenAI) -> None:
    thread = client.beta.threads.create()

    assert client.beta.threads.messages.list(thread.id).data == []
    assert thread.metadata == {}


def test_message_create_retrieve_update_delete(client: openai.OpenAI) -> None:
    thread = client.beta.threads.create()
    message = client.beta.threads.messages.create(
        thread.id,
        role="user",
        content=[
            {"type": "text", "text": "look at this"},
            {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}},
        ],
        metadata={"n": "1"},
    )
    assert message.id.startswith("msg_")
    assert message.object == "thread.message"
    assert (message.role, message.thread_id, message.run_id, message.assistant_id) == (
        "user",
        thread.id,
        None,
        None,
    )
    assert [p.type for p in message.content] == ["text", "image_url"]
    assert message.content[0].text.value == "look at this"  # type: ignore[union-attr]
    assert message.content[0].text.annotations == []  # type: ignore[union-attr]

    assert client.beta.threads.messages.retrieve(message.id, thread_id=thread.id) == message
    updated = client.beta.threads.messages.update(message.id, thread_id=thread.id, metadata={})
    assert updated.metadata == {}

    gone = client.beta.threads.messages.delete(message.id, thread_id=thread.id)
    assert (gone.id, gone.object, gone.deleted) == (message.id, "thread.message.deleted", True)
    with pytest.raises(openai.NotFoundError, match="No message found"):
        client.beta.threads.messages.retrieve(message.id, thread_id=thread.id)


def test_assistants_list_pages_newest_first(client: openai.OpenAI) -> None:
    ids = [client.beta.assistants.create(model=MODEL, name=f"a{i}").id for i in range(5)]

    first = client.beta.assistants.list(limit=2)
    assert [a.id for a in first.data] == [ids[4], ids[3]]
    assert first.has_more is True
    assert [a.id for a in first] == ids[::-1]  # auto-pagination follows `after`
    body = client.beta.assistants.with_raw_response.list(limit=2).http_response.json()
    assert (body["object"], body["first_id"], body["last_id"]) == ("list", ids[4], ids[3])

    second = client.beta.assistants.list(limit=2, after=ids[3])
    assert [a.id for a in second.data] == [ids[2], ids[1]]
    last = client.beta.assistants.list(limit=2, after=ids[1])
    assert ([a.id for a in last.data], last.has_more) == ([ids[0]], False)


def test_list_order_asc_and_before(client: openai.OpenAI) -> None:
    thread = client.beta.threads.create(
        messages=[{"role": "user", "content": str(i)} for i in range(5)]
    )
    asc = client.beta.threads.messages.list(thread.id, order="asc")
    texts = [m.content[0].text.value for m in asc.data]  # type: ignore[union-attr]
    assert texts == ["0", "1", "2", "3", "4"]
    ids = [m.id for m in asc.data]

    before = client.beta.threads.messages.list(thread.id, order="asc", before=ids[3], limit=2)
    assert ([m.id for m in before.data], before.has_more) == ([ids[1], ids[2]], True)
    empty = client.beta.threads.messages.with_raw_response.list(thread.id, after="msg_unknown")
    assert empty.http_response.json() == {
        "object": "list",
        "data": [],
        "first_id": None,
        "last_id": None,
        "has_more": False,
    }


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("/v1/assistants/asst_nope", "assistant"),
        ("/v1/threads/thread_nope", "thread"),
        ("/v1/threads/thread_nope/messages", "thread"),
        ("/v1/threads/thread_nope/runs/run_nope", "thread"),
        ("/assistants/asst_nope", "assistant"),
    ],
    ids=["assistant", "thread", "messages", "run", "unprefixed"],
)
def test_unknown_ids_get_404_envelope(http: httpx.Client, path: str, kind: str) -> None:
    error = assert_envelope(http.get(path), 404, param=None)
    assert error["message"].startswith(f"No {kind} found with id '")


def test_unknown_message_and_run_in_a_known_thread(
    http: httpx.Client, client: openai.OpenAI
) -> None:
    thread = client.beta.threads.create()
    for path, kind in [("messages/msg_x", "message"), ("runs/run_x", "run")]:
        error = assert_envelope(http.get(f"/v1/threads/{thread.id}/{path}"), 404, param=None)
        assert error["message"] == f"No {kind} found with id '{path.split('/')[1]}'."


@pytest.mark.parametrize(
    ("path", "body", "param"),
    [
        ("/v1/assistants", {}, "model"),
        ("/v1/assistants", {"model": MODEL, "temperature": 3}, "temperature"),
        ("/v1/assistants", {"model": MODEL, "tools": [{"type": "browser"}]}, "tools[0].type"),
        (
            "/v1/assistants",
            {"model": MODEL, "tools": [{"type": "function", "function": {"name": "a b"}}]},
            "tools[0].function.name",
        ),
        ("/v1/threads", {"messages": [{"role": "system", "content": "x"}]}, "messages[0].role"),
        ("/v1/threads", {"messages": [{"role": "user"}]}, "messages[0].content"),
        ("/v1/threads", {"metadata": {"k": 1}}, "metadata.k"),
        ("/v1/threads", [1, 2], None),
    ],
    ids=[
        "missing-model",
        "temperature",
        "tool-type",
        "function-name",
        "message-role",
        "message-content",
        "metadata",
        "not-an-object",
    ],
)
def test_bad_bodies_get_400_envelope(
    http: httpx.Client, path: str, body: object, param: str | None
) -> None:
    assert_envelope(http.post(path, json=body), 400, param=param)


def test_invalid_json_and_bad_list_query(http: httpx.Client) -> None:
    assert_envelope(http.post("/v1/assistants", content=b"{nope"), 400, param=None)
    assert_envelope(http.get("/v1/assistants?limit=0"), 400, param="limit")
    assert_envelope(http.get("/v1/assistants?limit=x"), 400, param="limit")
    assert_envelope(http.get("/v1/assistants?order=up"), 400, param="order")


def test_routes_without_v1_prefix(http: httpx.Client) -> None:
    made = http.post("/assistants", json={"model": MODEL}).json()
    assert http.get(f"/v1/assistants/{made['id']}").json() == made
    thread = http.post("/threads", json={}).json()
    assert thread["object"] == "thread"
