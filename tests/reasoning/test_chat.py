"""Reasoning in chat completions, through the official client: ``reasoning_tokens`` in the
usage, and the reasoning text as ``reasoning_content`` only under the quirk (vLLM, DeepSeek,
llama.cpp profiles); families without reasoning drop it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from mockgpt.backends.reasoning import ECHO_REASONING
from mockgpt.scenarios import load_scenario
from mockgpt.server import MockServer
from mockgpt.tokens import count_tokens
from tests.reasoning.conftest import PLAIN_MODEL, REASONING_MODEL
from tests.support import Api

HI = [{"role": "user", "content": "hello there"}]
SUMMARY = ECHO_REASONING.format(words=2)
THINKING = {
    "match": {"last_user": {"equals": "think"}},
    "respond": {"content": "Yes.", "reasoning": {"summary": ["Step one.", "Step two."]}},
}
THOUGHT = "Step one.\n\nStep two."
THINK = [{"role": "user", "content": "think"}]


def test_chat_reasoning_tokens_counted_in_completion_tokens(chat_api: Api) -> None:
    completion = chat_api.chat(model=REASONING_MODEL, messages=HI, reasoning_effort="low")

    usage = completion.usage
    assert usage is not None
    assert usage.completion_tokens_details is not None
    assert usage.completion_tokens_details.reasoning_tokens == count_tokens(SUMMARY)
    assert usage.completion_tokens == count_tokens(SUMMARY) + count_tokens("hello there")
    assert completion.choices[0].message.content == "hello there"
    assert "reasoning_content" not in (completion.choices[0].message.model_extra or {})


def test_chat_stream_usage_has_the_same_reasoning_tokens(chat_api: Api) -> None:
    chunks = chat_api.chat_chunks(
        model=REASONING_MODEL,
        messages=HI,
        reasoning_effort="medium",
        stream_options={"include_usage": True},
    )

    usage = chunks[-1].usage
    assert usage is not None
    assert usage.completion_tokens_details is not None
    assert usage.completion_tokens_details.reasoning_tokens == count_tokens(SUMMARY)
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "hello there"
    deltas = [c.choices[0].delta.model_extra or {} for c in chunks if c.choices]
    assert not any("reasoning_content" in d for d in deltas)  # OpenAI sends no reasoning text


@pytest.mark.parametrize(
    ("model", "effort"),
    [(PLAIN_MODEL, "low"), (REASONING_MODEL, None), (REASONING_MODEL, "none")],
    ids=["not-a-reasoning-model", "not-asked", "effort-none"],
)
def test_chat_no_reasoning_tokens_unless_asked(
    chat_api: Api, model: str, effort: str | None
) -> None:
    extra: dict[str, Any] = {} if effort is None else {"reasoning_effort": effort}
    completion = chat_api.chat(model=model, messages=HI, **extra)

    assert completion.usage is not None
    assert completion.usage.completion_tokens_details is not None
    assert completion.usage.completion_tokens_details.reasoning_tokens == 0


def test_reasoning_content_quirk_sends_the_text_on_message(
    chat_api: Api, stub: Callable[..., None]
) -> None:
    stub(THINKING, quirks=("reasoning-content",))

    completion = chat_api.chat(model=PLAIN_MODEL, messages=THINK)

    message = completion.choices[0].message
    assert (message.model_extra or {})["reasoning_content"] == THOUGHT
    assert message.content == "Yes."
    assert completion.usage is not None
    assert completion.usage.completion_tokens_details is not None
    assert completion.usage.completion_tokens_details.reasoning_tokens == count_tokens(
        "Step one.Step two."
    )


def test_reasoning_content_quirk_streams_deltas_before_the_content(
    chat_api: Api, stub: Callable[..., None]
) -> None:
    stub(THINKING, quirks=("reasoning-content",))

    chunks = chat_api.chat_chunks(model=PLAIN_MODEL, messages=THINK)

    deltas = [c.choices[0].delta for c in chunks if c.choices]
    reasoning = [(d.model_extra or {}).get("reasoning_content") for d in deltas]
    first_content = next(i for i, d in enumerate(deltas) if d.content)
    assert "".join(r for r in reasoning if r) == THOUGHT
    assert all(r is None for r in reasoning[first_content:])
    assert any(r for r in reasoning[:first_content])


def test_reasoning_content_stream_helper_accumulates_it(
    chat_api: Api, stub: Callable[..., None]
) -> None:
    stub(THINKING, quirks=("reasoning-content",))

    _, final = chat_api.chat_helper(model=PLAIN_MODEL, messages=THINK)

    message = final.choices[0].message
    assert (message.model_extra or {})["reasoning_content"] == THOUGHT
    assert message.content == "Yes."


@pytest.mark.parametrize(
    "profile",
    ["vllm-reasoning-content", "deepseek-reasoning-content", "llamacpp-reasoning-content"],
)
def test_profiles_of_servers_that_send_reasoning_content(
    server: MockServer, http_client: httpx.Client, profile: str
) -> None:
    server.engine.registry.add(load_scenario(profile))
    body = {"model": REASONING_MODEL, "messages": HI, "reasoning_effort": "low"}

    answer = http_client.post("/v1/chat/completions", json=body).json()

    assert answer["choices"][0]["message"]["reasoning_content"] == SUMMARY


@pytest.mark.parametrize(
    ("path", "body", "text"),
    [
        ("/v1/completions", {"model": PLAIN_MODEL, "prompt": "think"}, "think"),
        (
            "/api/chat",
            {"model": PLAIN_MODEL, "messages": [{"role": "user", "content": "think"}]},
            "Yes.",
        ),
    ],
    ids=["legacy-completions", "ollama-chat"],
)
def test_families_without_reasoning_drop_it(
    http_client: httpx.Client, stub: Callable[..., None], path: str, body: dict[str, Any], text: str
) -> None:
    stub(
        {
            "match": {"last_user": {"equals": "think"}},
            "respond": {"content": text, "reasoning": {"text": "Hidden."}},
        }
    )

    answer = http_client.post(path, json={**body, "stream": False}).json()

    assert "Hidden" not in str(answer)
    assert text in str(answer)


@pytest.fixture
def http_client(server: MockServer) -> Any:
    with httpx.Client(base_url=server.url, timeout=30) as http:
        yield http
