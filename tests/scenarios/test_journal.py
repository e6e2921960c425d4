"""The journal names the stub that answered each call and why the earlier stubs missed."""

from __future__ import annotations

import httpx
import openai
import pytest

from tests.scenarios.helpers import BOTH, TAG_HEADER, USER, WEATHER_TOOL, Mock

STUBS = (
    {"id": "weather", "match": {"last_user": {"contains": "weather"}}, "respond": {"content": "w"}},
    {"match": {"model": "gpt-4o*", "stream": True}, "respond": {"content": "streamed"}},
    {"id": "tools", "match": {"tools": ["get_weather"]}, "respond": {"content": "t"}},
)


def say(text: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": text}]


@BOTH
def test_journal_names_the_stub_that_answered_each_call(mock: Mock, kind: str) -> None:
    mock.add(*STUBS)
    client = mock.client(kind)

    client.chat(model="m", messages=say("the weather?"))
    client.chat_chunks(model="gpt-4o-mini", messages=USER)
    client.chat(model="m", messages=USER, tools=[WEATHER_TOOL])
    reply = client.chat(model="m", messages=USER)

    entries = mock.wait_entries(4)
    assert [e.stub for e in entries] == ["weather", "test.stubs[1]", "tools", None]
    assert [e.status for e in entries] == [200, 200, 200, 200]
    assert reply.choices[0].message.content == "hello there"  # the echo fallback


def test_journal_misses_give_each_earlier_stub_its_reason(mock: Mock) -> None:
    mock.add(*STUBS)
    client = mock.client()

    client.chat(model="m", messages=say("the weather?"))
    client.chat(model="gpt-4o", messages=USER, tools=[WEATHER_TOOL])
    client.chat(model="gpt-4o", messages=USER)

    first, second, third = mock.wait_entries(3)
    assert first.misses == {}
    assert second.misses == {
        "weather": "last_user.contains: expected 'weather', got 'hello there'",
        "test.stubs[1]": "stream: expected True, got False",
    }
    assert third.misses == {
        **second.misses,
        "tools": "tools: ['get_weather'] not offered (offered: [])",
    }


def test_journal_endpoint_shows_stub_and_misses(mock: Mock, stub_http: httpx.Client) -> None:
    mock.add(*STUBS)
    client = mock.client()
    reply = client.chat(model="m", messages=USER, tools=[WEATHER_TOOL])
    mock.wait_entries(1)

    journal = stub_http.get("/_mockgpt/journal").json()

    [entry] = [e for e in journal["data"] if e["request_id"] == reply._request_id]
    assert entry["stub"] == "tools"
    assert set(entry["misses"]) == {"weather", "test.stubs[1]"}


@BOTH
def test_journal_fallback_error_names_the_closest_stub(mock: Mock, kind: str) -> None:
    mock.add(
        {
            "id": "far",
            "match": {"model": "x", "last_user": "nope", "stream": True},
            "respond": {"content": "a"},
        },
        {
            "id": "near",
            "match": {"model": "m", "last_user": "weather"},
            "respond": {"content": "b"},
        },
        fallback="error",
    )
    client = mock.client(kind, max_retries=2)

    with pytest.raises(openai.NotFoundError) as caught:
        client.chat(model="m", messages=USER)

    e = caught.value
    assert e.status_code == 404
    assert e.code == "no_stub_matched"
    assert e.type == "invalid_request_error"
    assert e.body == {
        "message": "No stub matched this request. The closest stub was near: last_user.contains: "
        "expected 'weather', got 'hello there'.",
        "type": "invalid_request_error",
        "param": None,
        "code": "no_stub_matched",
    }
    assert e.response.headers["x-should-retry"] == "false"
    [entry] = mock.wait_entries(1)
    assert (entry.status, entry.stub) == (404, None)
    assert entry.misses == {  # every failed condition, not only the first
        "far": "model: expected 'x', got 'm'; last_user.contains: expected 'nope', got "
        "'hello there'; stream: expected True, got False",
        "near": "last_user.contains: expected 'weather', got 'hello there'",
    }


def test_journal_fallback_error_raw_envelope(mock: Mock, stub_http: httpx.Client) -> None:
    mock.add(fallback="error")

    response = stub_http.post(
        "/v1/chat/completions",
        json={"model": "m", "messages": USER, "stream": True},
        headers={TAG_HEADER: mock.tag},
    )

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {
        "error": {
            "message": "No stub matched this request.",
            "type": "invalid_request_error",
            "param": None,
            "code": "no_stub_matched",
        }
    }


def test_journal_fallback_lorem_is_the_same_for_the_same_prompt(mock: Mock) -> None:
    mock.add(fallback="lorem")
    client = mock.client()

    first = client.chat(model="m", messages=USER).choices[0].message.content
    again = client.chat(model="m", messages=USER).choices[0].message.content
    other = client.chat(model="m", messages=say("other")).choices[0].message.content

    assert first == again
    assert first != other
    assert first is not None
    assert first.endswith(".")
    assert first[0].isupper()
    assert [e.stub for e in mock.wait_entries(3)] == [None, None, None]
