"""A downstream project's tests: each fixture, the marker, both transports, sync and async."""

from __future__ import annotations

import json
import os
import urllib.request

import openai
import pytest
from weather_app import TOOLS, stream_answer, weather_report, weather_report_async

from mockgpt.scenarios import Match, Respond

both_transports = pytest.mark.parametrize("mockgpt", ["socket", "asgi"], indirect=True)


def test_session_server_is_a_real_socket(mockgpt_server):
    with urllib.request.urlopen(f"{mockgpt_server.url}/health") as response:
        assert json.load(response) == {"status": "ok"}
    assert mockgpt_server.url.startswith("http://127.0.0.1:")


@pytest.mark.mockgpt(scenario="weather.yaml")
def test_scenario_from_marker(mockgpt):
    assert weather_report("Paris") == "Sunny, 18 °C."
    assert mockgpt.assert_tool_result("get_weather")["content"] == "18 °C and sunny in Paris"
    mockgpt.assert_stub_used("call-get-weather", times=1)
    assert [call.stub for call in mockgpt.journal] == ["call-get-weather", "answer-from-tool"]


@pytest.mark.mockgpt(scenario="weather.yaml", transport="asgi")
def test_scenario_in_process(mockgpt):
    assert weather_report("Paris") == "Sunny, 18 °C."
    assert mockgpt.journal[0].headers["host"] == "mockgpt.test"


@both_transports
def test_stubs_in_python(mockgpt):
    mockgpt.stub(match=Match(tool_result={"name": "get_weather"}), respond=Respond(content="Done."))
    mockgpt.stub(
        match={"last_user": {"contains": "weather"}},
        respond={"tool_calls": [{"name": "get_weather", "arguments": {"city": "Oslo"}}]},
        expect=1,
    )
    assert weather_report("Oslo") == "Done."
    assert mockgpt.last_messages[-1]["content"] == "18 °C and sunny in Oslo"
    mockgpt.assert_called(times=2)


@both_transports
@pytest.mark.mockgpt(fallback="echo")
def test_client_and_journal(mockgpt):
    client = mockgpt.client()
    answer = client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "hello there"}]
    )
    assert answer.choices[0].message.content == "hello there"
    (call,) = mockgpt.journal
    assert (call.status, call.stub, call.text) == (200, None, "hello there")
    assert call.body["model"] == "gpt-4o-mini"


@both_transports
def test_stream_text_in_journal(mockgpt):
    mockgpt.stub(match={"stream": True}, respond="one two three")
    assert stream_answer("count") == "one two three"
    assert mockgpt.last_request.stream
    assert mockgpt.last_request.text == "one two three"


@both_transports
def test_environment_points_at_the_mock(mockgpt):
    assert os.environ["OPENAI_BASE_URL"] == mockgpt.base_url
    assert os.environ["OPENAI_API_KEY"] == mockgpt.api_key


@pytest.mark.mockgpt(scenario="agent-loop")
def test_builtin_scenario_by_name(mockgpt):
    client = mockgpt.client()
    answer = client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": "weather in Paris?"}],
        tools=TOOLS,
    )
    assert answer.choices[0].message.tool_calls[0].function.name == "get_weather"


def test_sequence_of_answers(mockgpt):
    mockgpt.stub(sequence=[{"error": {"status": 429}}, {"content": "second try works"}])
    client = mockgpt.client(max_retries=0)
    messages = [{"role": "user", "content": "hi"}]
    with pytest.raises(openai.RateLimitError):
        client.chat.completions.create(model="gpt-4o-mini", messages=messages)
    answer = client.chat.completions.create(model="gpt-4o-mini", messages=messages)
    assert answer.choices[0].message.content == "second try works"


@pytest.mark.mockgpt(strict=False)
def test_not_strict_lets_the_fallback_answer(mockgpt):
    mockgpt.stub(match={"last_user": "forecast"}, respond="unused", expect=True)
    assert weather_report("Paris") == "What is the weather in Paris?"


@pytest.mark.anyio
@both_transports
async def test_async_client_anyio(mockgpt):
    mockgpt.load("weather.yaml")
    mockgpt.stub(match={"last_user": "hello"}, respond="hi from the stub")
    assert await weather_report_async("Paris") == "Sunny, 18 °C."
    client = mockgpt.async_client()
    answer = await client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "hello"}]
    )
    assert answer.choices[0].message.content == "hi from the stub"
