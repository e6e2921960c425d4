"""The Assistants API state: per server, forgotten by ``Engine.reset()``, history kept in order."""

from __future__ import annotations

from typing import Any

import httpx
import openai
import pytest

from mockgpt.server import MockServer
from tests.assistants.conftest import MODEL

# openai 3.x marks every beta.assistants / beta.threads method @deprecated (Assistants API).
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def test_engine_reset_forgets_assistants_and_threads(
    client: openai.OpenAI, server: MockServer, http: httpx.Client
) -> None:
    assistant = client.beta.assistants.create(model=MODEL)
    thread = client.beta.threads.create()

    server.engine.reset()

    assert client.beta.assistants.list().data == []
    assert http.get(f"/v1/assistants/{assistant.id}").status_code == 404
    assert http.get(f"/v1/threads/{thread.id}").status_code == 404


def test_each_server_has_its_own_state(client: openai.OpenAI, server: MockServer) -> None:
    made = client.beta.assistants.create(model=MODEL)
    with MockServer() as other:
        assert list(other.engine.state.assistants.assistants) == []
    assert list(server.engine.state.assistants.assistants) == [made.id]


def test_second_run_sees_the_whole_thread(client: openai.OpenAI, assistant: str, stub: Any) -> None:
    stub(
        {
            "match": {
                "messages": [
                    {"index": 1, "role": "user", "content": {"equals": "first"}},
                    {"index": 2, "role": "assistant", "content": {"equals": "first"}},
                    {"index": -1, "role": "user", "content": {"equals": "second"}},
                ]
            },
            "respond": {"content": "saw {{ messages | length }} messages"},
        }
    )
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "first"}])
    client.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=assistant)
    client.beta.threads.messages.create(thread.id, role="user", content="second")

    client.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=assistant)

    latest = client.beta.threads.messages.list(thread.id).data[0]
    assert latest.content[0].text.value == "saw 4 messages"  # type: ignore[union-attr]


def test_deleted_messages_leave_the_conversation(client: openai.OpenAI, assistant: str) -> None:
    thread = client.beta.threads.create(
        messages=[{"role": "user", "content": "keep"}, {"role": "user", "content": "drop"}]
    )
    dropped = client.beta.threads.messages.list(thread.id).data[0]
    client.beta.threads.messages.delete(dropped.id, thread_id=thread.id)

    client.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=assistant)

    latest = client.beta.threads.messages.list(thread.id).data[0]
    assert latest.content[0].text.value == "keep"  # type: ignore[union-attr]


def test_truncation_last_messages(client: openai.OpenAI, assistant: str, stub: Any) -> None:
    stub({"respond": {"content": "{{ messages | length }}"}})
    thread = client.beta.threads.create(
        messages=[{"role": "user", "content": str(i)} for i in range(5)]
    )

    client.beta.threads.runs.create_and_poll(
        thread_id=thread.id,
        assistant_id=assistant,
        truncation_strategy={"type": "last_messages", "last_messages": 2},
    )

    latest = client.beta.threads.messages.list(thread.id).data[0]
    assert latest.content[0].text.value == "3"  # type: ignore[union-attr]  # system + 2
