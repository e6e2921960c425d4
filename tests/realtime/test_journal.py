"""Each ``response.create`` is one journal entry (endpoint ``realtime``) that the plugin's
helpers read like any other request: ``calls``, ``assert_called``, ``last_request``, strict
mode's unmatched requests."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from mockgpt.server import MockServer
from tests.realtime.conftest import LEGACY_CONNECT, Realtime, until, user_text

HELPERS = """
import pytest

TEXT = {"type": "session.update", "session": {"type": "realtime", "output_modalities": ["text"]}}


def say(text):
    content = [{"type": "input_text", "text": text}]
    item = {"type": "message", "role": "user", "content": content}
    return {"type": "conversation.item.create", "item": item}


def answer(conn):
    while (event := conn.recv()).type != "response.done":
        pass
    return event.response


def test_realtime_calls_in_the_helpers(mockgpt):
    mockgpt.stub(id="hello", match={"last_user": "hi"}, respond="hello!")
    mockgpt.stub(id="bye", match={"endpoint": "realtime"}, respond="bye!")
    client = mockgpt.client(max_retries=0)
    client.chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}])
    with client.realtime.connect(model="gpt-realtime") as conn:
        conn.send(TEXT)
        conn.send(say("hi"))
        conn.send({"type": "response.create"})
        assert answer(conn).output[0].content[0].text == "hello!"
        conn.send(say("goodbye"))
        conn.send({"type": "response.create"})
        assert answer(conn).output[0].content[0].text == "bye!"

    calls = mockgpt.assert_called(times=2, endpoint="realtime")
    assert [c.stub for c in calls] == ["hello", "bye"]
    assert [c.path for c in calls] == ["/v1/realtime", "/v1/realtime"]
    assert calls[1].messages == [
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": "hello!"},
        {"role": "user", "content": "goodbye"},
    ]
    assert mockgpt.last_request.last_user == "goodbye"
    assert mockgpt.last_request.model == "gpt-realtime"
    assert mockgpt.last_request.stream
    assert [e["type"] for e in calls[0].chunks][-1] == "response.done"
    assert mockgpt.call_count == 3


def test_an_unmatched_realtime_response_fails_strict_mode(mockgpt):
    mockgpt.stub(id="chat-only", match={"endpoint": "chat.completions"}, respond="no")
    with mockgpt.client().realtime.connect(model="gpt-realtime") as conn:
        conn.send(say("nobody answers this"))
        conn.send({"type": "response.create"})
        answer(conn)
"""


def test_realtime_responses_in_the_plugin_helpers(pytester: pytest.Pytester) -> None:
    warnings = f"filterwarnings =\n    error\n    {LEGACY_CONNECT}\n"
    pytester.makeini(f"[pytest]\naddopts = -p no:cacheprovider\n{warnings}")
    pytester.makepyfile(test_helpers=HELPERS)

    result = pytester.runpytest("-p", "no:randomly", "-p", "no:asyncio")

    result.assert_outcomes(passed=2, errors=1)  # the error: strict mode, at teardown
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_an_unmatched_realtime_response_fails_strict_mode*",
            "*request 1 of 1: GET /v1/realtime -> 200",
            "*user: 'nobody answers this'",
            "*endpoint: expected *chat.completions*, got 'realtime'",
        ]
    )


def test_journal_entry_of_a_response(
    rt: Realtime, stub: Callable[..., None], server: MockServer
) -> None:
    stub({"id": "tools", "match": {"endpoint": "realtime"}, "respond": {"content": "fine"}})

    with rt.connect(extra_headers={"X-Mockgpt-Test": "t-realtime"}) as conn:
        conn.send(
            {
                "type": "session.update",
                "session": {
                    "type": "realtime",
                    "instructions": "Be kind.",
                    "tools": [{"type": "function", "name": "lookup", "parameters": {}}],
                },
            }
        )
        conn.send(user_text("how are you?"))
        conn.send({"type": "response.create"})
        sent = until(conn, "response.done")

    entries = server.engine.journal.entries("t-realtime")
    assert len(entries) == 1
    entry = entries[0].to_dict()
    assert (entry["method"], entry["path"], entry["endpoint"]) == (
        "GET",
        "/v1/realtime",
        "realtime",
    )
    assert (entry["status"], entry["stub"], entry["complete"]) == (200, "tools", True)
    body = entry["request"]["body"]
    assert body["instructions"] == "Be kind."
    assert body["messages"] == [{"role": "user", "content": "how are you?"}]
    assert [t["name"] for t in body["tools"]] == ["lookup"]
    assert body["output_modalities"] == ["audio"]
    events = [e["data"] for e in entry["response"]["events"]]
    assert [e["type"] for e in events] == [e.type for e in sent[-len(events) :]]
    assert events[-1]["type"] == "response.done"
    assert entry["request"]["headers"]["authorization"] == "Bearer ***"
