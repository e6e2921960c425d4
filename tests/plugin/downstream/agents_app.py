"""An application on the OpenAI Agents SDK: its client and agent are built at import."""

from __future__ import annotations

from typing import Any

from agents import Agent, OpenAIResponsesModel, RunConfig, Runner
from openai import AsyncOpenAI

client = AsyncOpenAI(max_retries=0)
agent = Agent(
    name="assistant",
    instructions="Answer briefly.",
    model=OpenAIResponsesModel(model="gpt-4o-mini", openai_client=client),
)


async def ask(question: str) -> Any:
    result = await Runner.run(agent, question, run_config=RunConfig(tracing_disabled=True))
    return result.final_output
