"""The journal as a test reads it, the assertion helpers and their failure messages."""

from __future__ import annotations

import pytest

from mockgpt.errors import ScenarioError
from mockgpt.scenarios import Match, Respond, Stub
from mockgpt.testing import MockGPT

MODEL = "gpt-4o-mini"
TOOLS = [{"type": "function", "function": {"name": "get_weather", "parameters": {}}}]


def ask(mockgpt: MockGPT, text: str, **options: object) -> None:
    mockgpt.client(max_retries=0).chat.completions.create(
        model=MODEL,
        messages=[{"role": "user", "content": text}],
        **options,  # type: ignore[arg-type]
    )


def test_journal_records_request_and_answer(mockgpt: MockGPT) -> None:
    weather = mockgpt.stub(
        id="weather",
        match={"last_user": "weather"},
        respond={"tool_calls": [{"id": "call_1", "name": "get_weather", "arguments": {"a": 1}}]},
    )

    ask(mockgpt, "weather in Paris?", tools=TOOLS)

    (call,) = mockgpt.journal
    assert (call.method, call.path, call.endpoint) == (
        "POST",
        "/v1/chat/completions",
        "chat.completions",
    )
    assert (call.status, call.stub, call.stream, weather.calls) == (200, "weather", False, 1)
    assert call.body["messages"] == [{"role": "user", "content": "weather in Paris?"}]
    assert call.headers["authorization"] == "Bearer ***"
    assert call.tools == ["get_weather"]
    assert call.tool_calls == [{"id": "call_1", "name": "get_weather", "arguments": '{"a": 1}'}]
    assert call.response is not None
    assert call.response["choices"][0]["finish_reason"] == "tool_calls"
    assert call.misses == {}


def test_journal_stream_text_and_tool_calls(mockgpt: MockGPT) -> None:
    mockgpt.stub(match={"last_user": "text"}, respond="streamed words")
    mockgpt.stub(
        match={"last_user": "tool"},
        respond={
            "tool_calls": [{"id": "call_9", "name": "get_weather", "arguments": {"city": "Oslo"}}]
        },
    )
    for text in ("text", "tool"):
        stream = mockgpt.client().chat.completions.create(
            model=MODEL, messages=[{"role": "user", "content": text}], stream=True, tools=TOOLS
        )
        with stream:
            list(stream)

    text, tool = mockgpt.journal
    assert (text.stream, text.response, text.text) == (True, None, "streamed words")
    assert text.chunks[0]["object"] == "chat.completion.chunk"
    assert tool.tool_calls == [
        {"id": "call_9", "name": "get_weather", "arguments": '{"city": "Oslo"}'}
    ]


def test_journal_error_answer(mockgpt: MockGPT) -> None:
    mockgpt.stub(respond={"error": {"status": 429, "message": "slow down"}})

    with pytest.raises(Exception, match="slow down"):
        ask(mockgpt, "hi")

    call = mockgpt.last_request
    assert call.status == 429
    assert call.error is not None
    assert call.error["message"] == "slow down"


@pytest.mark.mockgpt(fallback="echo")
def test_journal_helpers(mockgpt: MockGPT) -> None:
    ask(mockgpt, "first")
    ask(mockgpt, "second")

    assert mockgpt.call_count == 2
    assert mockgpt.last_messages == [{"role": "user", "content": "second"}]
    assert [c.text for c in mockgpt.assert_called(times=2, endpoint="chat.completions")] == [
        "first",
        "second",
    ]


@pytest.mark.mockgpt(fallback="echo")
def test_journal_assert_called_failure_lists_requests(mockgpt: MockGPT) -> None:
    ask(mockgpt, "only one")

    with pytest.raises(AssertionError) as failure:
        mockgpt.assert_called(times=2)

    assert str(failure.value) == (
        "expected 2 requests to mockgpt, got 1\n"
        "\n"
        "requests received (1), by endpoint: chat.completions 1\n"
        "  1. POST /v1/chat/completions -> 200 by the fallback, last user: 'only one'"
    )


@pytest.mark.mockgpt(fallback="echo")
def test_journal_assert_tool_result_failure_shows_what_was_sent(mockgpt: MockGPT) -> None:
    mockgpt.client().chat.completions.create(
        model=MODEL,
        messages=[
            {"role": "user", "content": "weather?"},
            {
                "role": "assistant",
                "tool_calls": [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": "call_1", "content": "rain"},
        ],
        tools=TOOLS,
    )

    assert mockgpt.assert_tool_result("get_weather", content="rain")["tool_call_id"] == "call_1"
    with pytest.raises(AssertionError) as failure:
        mockgpt.assert_tool_result("get_weather", content="sun")

    assert str(failure.value) == (
        "no request sent back a tool result with name='get_weather', content='sun'; "
        "the last request (1 of 1) sent:\n"
        "  model: gpt-4o-mini\n"
        "  messages:\n"
        "    user: 'weather?'\n"
        """    assistant: tool_calls: get_weather({"city": "Paris"})\n"""
        "    tool (call_1): 'rain'\n"
        "  tools: get_weather"
    )


def test_journal_assert_stub_used_failure_says_why(mockgpt: MockGPT) -> None:
    greeting = mockgpt.stub(id="greeting", match={"last_user": {"regex": "^hello"}}, respond="hi")
    mockgpt.stub(id="rest", respond="?")
    ask(mockgpt, "bye")

    with pytest.raises(AssertionError) as failure:
        mockgpt.assert_stub_used(greeting)

    assert str(failure.value) == (
        "stub greeting answered 0 requests, expected at least 1 call\n"
        "  request 1: last_user.regex: expected /^hello/, got 'bye'"
    )
    mockgpt.assert_stub_used("rest", times=1)


def test_journal_no_request(mockgpt: MockGPT) -> None:
    assert mockgpt.journal == []
    with pytest.raises(AssertionError, match="no request reached mockgpt at http://"):
        mockgpt.last_request  # noqa: B018


def test_journal_reset_forgets_stubs_and_calls(mockgpt: MockGPT) -> None:
    mockgpt.stub(respond="stubbed")
    ask(mockgpt, "hi")

    mockgpt.reset()

    assert mockgpt.journal == []
    assert mockgpt.stubs() == []


def test_stub_from_models_and_shorthand(mockgpt: MockGPT) -> None:
    mockgpt.stub(
        Stub(id="model", match=Match(last_user={"contains": "a"}), respond=Respond(content="A"))
    )
    mockgpt.stub({"match": {"last_user": "b"}}, respond="B")
    mockgpt.stub(match=Match(last_user={"contains": "c"}), respond=Respond(content="C"), id="c")

    for text in ("a", "b", "c"):
        ask(mockgpt, text)

    assert [(c.stub, c.text) for c in mockgpt.journal] == [
        ("model", "A"),
        ("inline.stubs[1]", "B"),
        ("c", "C"),
    ]


def test_stub_invalid_names_the_field(mockgpt: MockGPT) -> None:
    with pytest.raises(ScenarioError) as failure:
        mockgpt.stub(match={"lst_user": "x"}, respond="y")

    assert str(failure.value) == (
        "<inline>: match.lst_user: unknown field (see `mockgpt schema` for the format)"
    )


def test_stub_duplicate_id(mockgpt: MockGPT) -> None:
    mockgpt.stub(id="same", respond="1")

    with pytest.raises(ScenarioError, match="a stub with id 'same' is already loaded"):
        mockgpt.stub(id="same", respond="2")


@pytest.mark.mockgpt(scenario="agent-loop")
def test_marker_scenario_and_load_order(mockgpt: MockGPT) -> None:
    """Stubs added in the test come before the marker's scenario."""
    assert mockgpt.scenario is not None
    assert mockgpt.scenario.name == "agent-loop"
    mockgpt.stub(id="first", match={"last_user": "weather"}, respond="from the test")

    ask(mockgpt, "weather?", tools=TOOLS)

    assert mockgpt.last_request.stub == "first"
    assert [s.name for s in mockgpt.scenarios] == ["inline", "agent-loop"]
