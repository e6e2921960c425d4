"""The OpenAI Agents SDK (``openai-agents``) runs its loop against mockgpt unchanged.

The SDK drives the Responses API, streamed: the built-in ``agent-loop`` scenario answers the
first turn with a ``get_weather`` call, the SDK runs the Python tool and sends its result back
as a ``function_call_output``, and the second turn answers from that result.
"""

from __future__ import annotations

import openai
import pytest
from agents import (
    Agent,
    OpenAIResponsesModel,
    RunConfig,
    Runner,
    function_tool,
)

from mockgpt.scenarios import load_scenario
from mockgpt.server import MockServer

pytestmark = pytest.mark.anyio


async def test_agents_sdk_streamed_tool_loop_runs_unchanged(server: MockServer) -> None:
    server.engine.registry.add(load_scenario("agent-loop"))
    asked: list[str] = []

    @function_tool
    def get_weather(city: str) -> str:
        """Get the current weather in a city."""
        asked.append(city)
        return f"18 C and sunny in {city}"

    async with openai.AsyncOpenAI(base_url=server.base_url, api_key="x", max_retries=0) as client:
        model = OpenAIResponsesModel(model="gpt-4o-mini", openai_client=client)
        agent = Agent(name="weather", instructions="Use tools.", tools=[get_weather], model=model)
        result = Runner.run_streamed(
            agent, "What is the weather in Paris?", run_config=RunConfig(tracing_disabled=True)
        )
        kinds = [event.type async for event in result.stream_events()]

    assert asked == ["Paris"]
    assert result.final_output == "The weather in Paris: 18 C and sunny in Paris"
    assert "raw_response_event" in kinds  # the Responses stream events reached the SDK
    entries = [e for e in server.engine.journal.entries() if e.path.endswith("/responses")]
    assert [e.stub for e in entries] == ["call-weather-tool", "answer-from-tool-result"]
    assert all(isinstance(e.json, dict) and e.json.get("stream") is True for e in entries)
