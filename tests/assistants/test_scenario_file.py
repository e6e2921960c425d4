"""Done-when of the Assistants API: a run with a tool call works unchanged against a server
started with a scenario file (``mockgpt serve --scenario tests/assistants/weather.yaml``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import openai
import pytest
from openai.types.beta.threads import RequiredActionFunctionToolCall
from openai.types.beta.threads.run_submit_tool_outputs_params import ToolOutput

from mockgpt import ServerConfig
from mockgpt.server import MockServer
from tests.assistants.conftest import MODEL, WEATHER_TOOL

# openai 3.x marks every beta.assistants / beta.threads method @deprecated (Assistants API).
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

SCENARIO = Path(__file__).with_name("weather.yaml")


@pytest.fixture(scope="module")
def weather_client() -> Iterator[openai.OpenAI]:
    with (
        MockServer(ServerConfig(port=0, scenarios=(str(SCENARIO),))) as server,
        openai.OpenAI(base_url=server.base_url, api_key="x", max_retries=0) as client,
    ):
        yield client
        assert not server.engine.errors


def _weather_tool(call: RequiredActionFunctionToolCall) -> str:
    """The application's tool: what it would fetch for ``call``."""
    assert call.function.name == "get_weather"
    assert call.function.arguments == '{"city": "Paris"}'
    return "18C and cloudy"


def test_weather_run_polled(weather_client: openai.OpenAI) -> None:
    client = weather_client
    assistant = client.beta.assistants.create(model=MODEL, tools=[WEATHER_TOOL])
    thread = client.beta.threads.create(
        messages=[{"role": "user", "content": "What's the Weather like?"}]
    )

    run = client.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=assistant.id)
    while run.status == "requires_action":
        assert run.required_action is not None
        outputs: list[ToolOutput] = [
            {"tool_call_id": call.id, "output": _weather_tool(call)}
            for call in run.required_action.submit_tool_outputs.tool_calls
        ]
        run = client.beta.threads.runs.submit_tool_outputs_and_poll(
            thread_id=thread.id, run_id=run.id, tool_outputs=outputs
        )

    assert run.status == "completed"
    answer = client.beta.threads.messages.list(thread.id).data[0]
    assert answer.content[0].text.value == "The weather in Paris: 18C and cloudy."  # type: ignore[union-attr]


def test_weather_run_streamed(weather_client: openai.OpenAI) -> None:
    client = weather_client
    assistant = client.beta.assistants.create(model=MODEL, tools=[WEATHER_TOOL])
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "weather?"}])

    with client.beta.threads.runs.stream(thread_id=thread.id, assistant_id=assistant.id) as stream:
        stream.until_done()
        run = stream.get_final_run()
    assert run.required_action is not None
    outputs: list[ToolOutput] = [
        {"tool_call_id": call.id, "output": _weather_tool(call)}
        for call in run.required_action.submit_tool_outputs.tool_calls
    ]
    with client.beta.threads.runs.submit_tool_outputs_stream(
        thread_id=thread.id, run_id=run.id, tool_outputs=outputs
    ) as stream:
        text = "".join(stream.text_deltas)

    assert text == "The weather in Paris: 18C and cloudy."


def test_other_questions_fall_back_to_echo(weather_client: openai.OpenAI) -> None:
    client = weather_client
    assistant = client.beta.assistants.create(model=MODEL, tools=[WEATHER_TOOL])

    run = client.beta.threads.create_and_run_poll(
        assistant_id=assistant.id, thread={"messages": [{"role": "user", "content": "hello"}]}
    )

    assert run.status == "completed"
    answer = client.beta.threads.messages.list(run.thread_id).data[0]
    assert answer.content[0].text.value == "hello"  # type: ignore[union-attr]
