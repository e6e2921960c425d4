"""Each family's adapter parses its wire request into one ``Turn``; the engine reads only it.

The app is called in process and ``Engine.serve`` records the turns it is given.
"""

from __future__ import annotations

from typing import Any

import pytest

from mockgpt.app import create_app
from mockgpt.config import ServerConfig
from mockgpt.engine import Engine, Reply
from mockgpt.turn import Turn
from tests.unit.test_send import call

pytestmark = pytest.mark.anyio

USER = [{"role": "user", "content": "hi"}]
CONVERSATION = [
    {"role": "system", "content": "Be brief."},
    {"role": "user", "content": "hello"},
    {"role": "assistant", "content": "hi"},
    {"role": "user", "content": "weather?"},
]


class Recording(Engine):
    def __init__(self) -> None:
        super().__init__(ServerConfig())
        self.turns: list[Turn] = []

    def serve(self, turn: Turn) -> Reply:
        self.turns.append(turn)
        return super().serve(turn)


async def turn_of(method: str, path: str, body: dict[str, Any]) -> tuple[Turn, int]:
    engine = Recording()
    app = create_app(engine=engine)
    answer = await call(app, method, path, body)
    [turn] = engine.turns
    return turn, answer.status


def chat_form(turn: Turn) -> list[tuple[str, str]]:
    return [(m.role, m.text) for m in turn.messages]


async def test_turn_chat_request() -> None:
    body = {
        "model": "gpt-4o-mini",
        "messages": CONVERSATION,
        "max_completion_tokens": 7,
        "stop": ["x", "y"],
        "n": 2,
        "stream": True,
        "stream_options": {"include_usage": True},
        "seed": 5,
        "response_format": {"type": "json_schema", "json_schema": {"name": "a", "schema": {}}},
    }

    turn, status = await turn_of("POST", "/v1/chat/completions", body)

    assert status == 200
    assert (turn.endpoint, turn.model, turn.choices, turn.stream) == (
        "chat.completions",
        "gpt-4o-mini",
        2,
        True,
    )
    assert (turn.max_tokens, turn.stops, turn.include_usage, turn.seed) == (7, ("x", "y"), True, 5)
    assert (turn.output.kind, turn.output.schema) == ("json_schema", {})
    assert turn.prompt_tokens > 0
    assert turn.parsed is None  # not decoded: nothing read the raw body
    assert turn.body["n"] == 2  # decoded when first read


async def test_turn_completions_request() -> None:
    body = {"model": "m", "prompt": ["a", "b"], "n": 3, "max_tokens": 4, "echo": True}

    turn, _ = await turn_of("POST", "/v1/completions", body)

    assert (turn.endpoint, turn.choices, turn.max_tokens) == ("completions", 6, 4)


async def test_turn_embeddings_generates_nothing() -> None:
    turn, status = await turn_of("POST", "/v1/embeddings", {"model": "m", "input": "x"})

    assert status == 200
    assert (turn.request, turn.generates) == (None, False)
    assert [(m.role, m.text) for m in turn.messages] == [("user", "x")]  # for match.last_user


async def assistants_turn() -> Turn:
    """The turn of a run over CONVERSATION: the assistant's instructions, then the thread."""
    engine = Recording()
    app = create_app(engine=engine)
    assistant = await call(app, "POST", "/v1/assistants", {"model": "m"})
    thread = await call(app, "POST", "/v1/threads", {"messages": CONVERSATION[1:]})
    run = {"assistant_id": assistant.json["id"], "instructions": "Be brief."}
    answer = await call(app, "POST", f"/v1/threads/{thread.json['id']}/runs", run)
    assert answer.status == 200, answer.json
    [turn] = engine.turns
    return turn


async def test_turn_one_conversation_in_every_family_reads_the_same() -> None:
    """Chat, Responses, Ollama and an Assistants thread give the same messages and tokens."""
    chat, _ = await turn_of(
        "POST", "/v1/chat/completions", {"model": "m", "messages": CONVERSATION}
    )
    assistants = await assistants_turn()
    responses, _ = await turn_of(
        "POST",
        "/v1/responses",
        {"model": "m", "instructions": "Be brief.", "input": CONVERSATION[1:]},
    )
    ollama, _ = await turn_of(
        "POST", "/api/chat", {"model": "m", "messages": CONVERSATION, "stream": False}
    )

    expected = [(m["role"], m["content"]) for m in CONVERSATION]
    assert chat_form(chat) == expected
    assert [r for r, _ in chat_form(responses)] == ["developer", "user", "assistant", "user"]
    assert [c for _, c in chat_form(responses)] == [c for _, c in expected]
    assert chat_form(ollama) == expected
    assert chat_form(assistants) == expected
    assert chat.messages == ollama.messages == assistants.messages
    assert {t.endpoint for t in (chat, responses, ollama, assistants)} == {
        "chat.completions",
        "responses",
        "ollama",
        "assistants",
    }
    assert chat.request is not None
    assert (responses.request, ollama.request, assistants.request) == (None, None, None)
    tokens = {t.prompt_tokens for t in (chat, responses, ollama, assistants)}
    assert len(tokens) == 1
    assert tokens.pop() > 0


async def test_turn_tools_and_choice_read_the_same_in_chat_and_responses() -> None:
    parameters = {"type": "object", "properties": {"city": {"type": "string"}}}
    chat, _ = await turn_of(
        "POST",
        "/v1/chat/completions",
        {
            "model": "m",
            "messages": USER,
            "tools": [{"type": "function", "function": {"name": "f", "parameters": parameters}}],
            "tool_choice": {"type": "function", "function": {"name": "f"}},
        },
    )
    responses, _ = await turn_of(
        "POST",
        "/v1/responses",
        {
            "model": "m",
            "input": "hi",
            "tools": [{"type": "function", "name": "f", "parameters": parameters}],
            "tool_choice": {"type": "function", "name": "f"},
        },
    )

    for turn in (chat, responses):
        assert [(t.name, t.parameters) for t in turn.tools] == [("f", parameters)]
        assert turn.tool_choice is not None
        assert turn.tool_choice.label == "f"
    assert chat.prompt_tokens == responses.prompt_tokens
    assert chat.tools[0].param == "tools[0].function.parameters"
    assert responses.tools[0].param == "tools[0].parameters"


async def test_turn_responses_limits_and_format() -> None:
    body = {
        "model": "m",
        "input": "answer in JSON",
        "max_output_tokens": 19,
        "stream": True,
        "text": {"format": {"type": "json_object"}},
    }

    turn, _ = await turn_of("POST", "/v1/responses", body)

    assert (turn.max_tokens, turn.stream, turn.choices) == (19, True, 1)
    assert (turn.output.kind, turn.output.schema) == ("json_object", None)


async def test_turn_ollama_options() -> None:
    body = {
        "model": "llama3",
        "prompt": "hi",
        "system": "Be brief.",
        "options": {"num_predict": 3, "stop": ["."], "seed": 2},
        "format": "json",
    }

    turn, _ = await turn_of("POST", "/api/generate", body)

    assert (turn.endpoint, turn.max_tokens, turn.stops, turn.seed) == ("ollama", 3, (".",), 2)
    assert (turn.output.kind, turn.output.schema) == ("json_object", None)
    assert turn.stream is True  # Ollama streams unless told not to


@pytest.mark.parametrize(
    ("path", "body", "param"),
    [
        ("/v1/chat/completions", {"model": "m", "messages": "x"}, "messages"),
        ("/v1/chat/completions", {"model": "m", "messages": USER, "n": "2"}, "n"),
        ("/v1/completions", {"model": "m", "prompt": "x", "max_tokens": -1}, "max_tokens"),
        ("/v1/responses", {"model": "m", "input": 3}, "input"),
        ("/v1/embeddings", {"model": "m"}, "input"),
    ],
    ids=["chat-messages", "chat-n", "completions-max-tokens", "responses-input", "embeddings"],
)
async def test_turn_bad_body_is_400_naming_param(
    path: str, body: dict[str, Any], param: str
) -> None:
    engine = Recording()
    answer = await call(create_app(engine=engine), "POST", path, body)

    assert answer.status == 400
    assert answer.json["error"]["param"] == param
    assert engine.turns == []
