"""``Engine.serve(turn) -> Reply``: every decision, without a socket or any HTTP."""

from __future__ import annotations

import math
from typing import Any

import pytest

from mockgpt.config import ServerConfig
from mockgpt.engine import Engine, Reply
from mockgpt.events import Finish, TextDelta, Usage
from mockgpt.models import CreateChatCompletionRequest
from mockgpt.models.chat_prompt import chat_prompt
from mockgpt.scenarios import Scenario
from mockgpt.turn import Turn


def engine_with(
    *stubs: dict[str, Any], config: ServerConfig | None = None, **scenario: Any
) -> Engine:
    engine = Engine(config or ServerConfig())
    if stubs or scenario:
        engine.registry.add(
            Scenario.model_validate({"name": "t", "stubs": list(stubs), **scenario})
        )
    return engine


def turn(text: str = "one two three", **body: Any) -> Turn:
    full = {"model": "m", "messages": [{"role": "user", "content": text}], **body}
    chat = CreateChatCompletionRequest.model_validate(full)
    prompt = chat_prompt(chat)
    return Turn(
        endpoint="chat.completions",
        request=chat,
        prompt=prompt,
        parsed=full,
        model="m",
        stream=bool(full.get("stream")),
        choices=chat.choice_count,
        max_tokens=chat.token_limit,
        stops=chat.stop_sequences,
        prompt_tokens=prompt.tokens,
    )


def test_engine_echo_answer_is_ready_and_plain() -> None:
    reply = engine_with().serve(turn())

    assert isinstance(reply.events, tuple)
    assert (reply.stub_id, reply.error, reply.fault, reply.live) == (None, None, None, False)
    assert reply.plain
    assert "".join(e.text for e in reply.events if isinstance(e, TextDelta)) == "one two three"
    assert reply.events[-2:] == (Finish("stop"), Usage(turn().prompt_tokens, 3))


def test_engine_limits_cut_a_ready_answer() -> None:
    reply = engine_with().serve(turn(max_tokens=2))

    assert isinstance(reply.events, tuple)
    text = "".join(e.text for e in reply.events if isinstance(e, TextDelta))
    assert (text, reply.events[-2]) == ("one two", Finish("length"))
    assert reply.events[-1] == Usage(turn().prompt_tokens, 2)


def test_engine_scripted_error_carries_the_stubs_quirks() -> None:
    engine = engine_with(
        {"id": "e", "quirks": ["error-code-int"], "respond": {"error": {"status": 429}}}
    )

    reply = engine.serve(turn())

    assert reply.stub_id == "e"
    assert reply.error is not None
    assert reply.error.status == 429
    assert reply.error.quirks == frozenset({"error-code-int"})
    assert reply.events == ()


def test_engine_fault_http_error_becomes_the_error() -> None:
    reply = engine_with({"fault": {"http_error": {"status": 503}}}).serve(turn())

    assert reply.error is not None
    assert reply.error.status == 503


def test_engine_template_failure_is_an_error_not_an_exception() -> None:
    reply = engine_with({"id": "t", "respond": {"content": "{{ nope }}"}}).serve(turn())

    assert reply.error is not None
    assert (reply.error.status, reply.stub_id) == (500, "t")
    assert "stub t" in reply.error.message


@pytest.mark.parametrize(
    ("stub", "defaults", "config", "expected"),
    [
        ({"pacing": {"ttft_ms": 5}}, {"ttft_ms": 7}, 9, 5),
        ({}, {"ttft_ms": 7}, 9, 7),
        ({}, {}, 9, 9),
    ],
    ids=["stub", "scenario", "server"],
)
def test_engine_pacing_precedence(
    stub: dict[str, Any], defaults: dict[str, Any], config: int, expected: float
) -> None:
    engine = engine_with(
        {"respond": {"content": "x"}, **stub},
        defaults=defaults,
        config=ServerConfig(ttft_ms=config),
    )

    reply = engine.serve(turn())

    assert reply.ttft_ms == expected
    assert reply.paced
    assert not reply.plain
    assert math.isinf(reply.tokens_per_second)


@pytest.mark.parametrize(
    ("fault", "breaks"),
    [
        ({"delay_ms": 10}, False),
        ({"reset": True}, False),
        ({"drop_after_chunks": 1}, True),
        ({"stall_after_chunks": 1}, True),
        ({"error_after_chunks": 1}, True),
        ({"malformed_after_chunks": 1}, True),
    ],
)
def test_engine_fault_plan(fault: dict[str, Any], breaks: bool) -> None:
    reply = engine_with({"respond": {"content": "x"}, "fault": fault}).serve(turn())

    assert reply.fault is not None
    assert reply.breaks is breaks
    if breaks:
        assert not reply.plain
    assert (reply.events == ()) is bool(fault.get("reset"))  # a reset answers nothing


def test_engine_quirks_make_a_reply_not_plain() -> None:
    reply = engine_with({"quirks": ["no-done"], "respond": {"content": "x"}}).serve(turn())

    assert reply.quirks == frozenset({"no-done"})
    assert not reply.plain


def test_engine_sequence_and_exhaustion() -> None:
    engine = engine_with(
        {"id": "s", "sequence": [{"content": "a"}, {"content": "b"}], "on_exhausted": "fail"}
    )

    answers = [engine.serve(turn()) for _ in range(3)]

    texts = ["".join(e.text for e in r.events if isinstance(e, TextDelta)) for r in answers[:2]]
    assert texts == ["a", "b"]
    assert answers[2].error is not None
    assert answers[2].error.code == "sequence_exhausted"


def test_engine_miss_keeps_every_reason_and_model_override() -> None:
    engine = engine_with(
        {"id": "far", "match": {"model": "x", "stream": True}, "respond": {"content": "no"}},
        defaults={"model": "served-model"},
    )

    reply: Reply = engine.serve(turn())

    assert reply.stub_id is None
    assert reply.misses == {"far": "model: expected 'x', got 'm'; stream: expected True, got False"}
    assert reply.model == "m"


def test_engine_reset_forgets_state() -> None:
    engine = engine_with({"id": "s", "sequence": [{"content": "a"}, {"content": "b"}]})
    engine.serve(turn())
    engine.state.errors.append(RuntimeError("x"))

    engine.reset()

    assert engine.registry.stubs() == []
    assert engine.state.errors == []
