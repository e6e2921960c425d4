"""``mockgpt serve --upstream URL`` relays an upstream's reasoning: Responses reasoning items
and their summaries, chat ``reasoning_content`` and ``reasoning_tokens``."""

from __future__ import annotations

from collections.abc import Iterator

import openai
import pytest

from mockgpt import ServerConfig
from mockgpt.scenarios import Scenario
from mockgpt.server import MockServer

STUB = {
    "match": {"last_user": {"equals": "think"}},
    "respond": {"content": "Yes.", "reasoning": {"summary": ["One.", "Two."], "tokens": 40}},
}


@pytest.fixture(scope="module")
def upstream() -> Iterator[MockServer]:
    with MockServer(ServerConfig(port=0, log_level="warning")) as server:
        scenario = {"name": "u", "stubs": [STUB], "quirks": ["reasoning-content"]}
        server.engine.registry.add(Scenario.model_validate(scenario))
        yield server


@pytest.fixture(scope="module")
def proxy(upstream: MockServer) -> Iterator[openai.OpenAI]:
    config = ServerConfig(port=0, upstream=upstream.base_url, log_level="warning")
    with (
        MockServer(config) as server,
        openai.OpenAI(base_url=server.base_url, api_key="x", max_retries=0) as client,
    ):
        yield client


@pytest.mark.parametrize("stream", [False, True], ids=["create", "stream"])
def test_proxy_relays_responses_reasoning(proxy: openai.OpenAI, stream: bool) -> None:
    if stream:
        with proxy.responses.stream(model="gpt-4o-mini", input="think") as events:
            list(events)
            response = events.get_final_response()
    else:
        response = proxy.responses.create(model="gpt-4o-mini", input="think")

    reasoning, message = response.output
    assert reasoning.type == "reasoning"
    assert [s.text for s in reasoning.summary] == ["One.", "Two."]
    assert message.type == "message"
    assert response.output_text == "Yes."
    assert response.usage.output_tokens_details.reasoning_tokens == 40


def test_proxy_relays_chat_reasoning_tokens(proxy: openai.OpenAI) -> None:
    completion = proxy.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "think"}]
    )

    assert completion.choices[0].message.content == "Yes."
    assert completion.usage is not None
    assert completion.usage.completion_tokens_details is not None
    assert completion.usage.completion_tokens_details.reasoning_tokens == 40
