"""Compiled matchers: each condition holding and failing, and every failed one reported."""

from __future__ import annotations

from typing import Any

import pytest
import regex
from hypothesis import given
from hypothesis import strategies as st

from mockgpt.models import CreateChatCompletionRequest
from mockgpt.models.chat_prompt import chat_prompt
from mockgpt.models.responses import CreateResponse, response_prompt
from mockgpt.scenarios.matchers import BodyRequest, MatchView, TextCondition, compile_match
from mockgpt.scenarios.schema import Match, TextMatch
from mockgpt.turn import Turn


def turn_of(body: dict[str, Any], endpoint: str = "chat.completions", **headers: str) -> Turn:
    """The ``Turn`` the chat or Responses adapter makes of ``body``."""
    if endpoint == "responses":
        req = CreateResponse.model_validate(body)
        prompt = response_prompt(req, ())
        return Turn("responses", prompt=prompt, parsed=body, headers=headers, model=req.model)
    chat = CreateChatCompletionRequest.model_validate(body)
    return Turn(
        "chat.completions",
        request=chat,
        prompt=chat_prompt(chat),
        parsed=body,
        headers=headers,
        model=chat.model,
        stream=bool(chat.stream),
        n=chat.n or 1,
        metadata=chat.metadata,
    )


def view(body: dict[str, Any], endpoint: str = "chat.completions", **headers: str) -> MatchView:
    return MatchView(turn_of(body, endpoint, **headers))


CHAT = {
    "model": "gpt-4o-mini",
    "messages": [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "What is the Weather in Paris?"},
    ],
    "tools": [{"type": "function", "function": {"name": "get_weather", "parameters": {}}}],
    "tool_choice": {"type": "function", "function": {"name": "get_weather"}},
    "response_format": {"type": "json_object"},
    "stream": True,
    "n": 2,
    "metadata": {"case": "a", "other": "b"},
}

HOLDS = [
    {"endpoint": "chat.completions"},
    {"endpoint": ["responses", "chat.completions"]},
    {"model": "gpt-4o*"},
    {"last_user": "Weather"},
    {"last_user": {"contains": "weather", "ignore_case": True}},
    {"last_user": {"regex": "^What .* Paris\\?$"}},
    {"last_user": {"equals": "what is the weather in paris?", "ignore_case": True}},
    {"any_message": {"equals": "Be brief."}},
    {"system": "brief"},
    {"messages": [{"index": -1, "role": "user", "content": "Paris"}]},
    {"tools": ["get_weather"]},
    {"tool_choice": "get_weather"},
    {"response_format": "json_object"},
    {"stream": True},
    {"n": 2},
    {"metadata": {"case": "a"}},
    {"body": {"messages": [{"role": "system"}]}},
    {"headers": {"X-Case": {"equals": "one"}}},
]


@pytest.mark.parametrize("match", HOLDS, ids=[next(iter(m)) + str(i) for i, m in enumerate(HOLDS)])
def test_matcher_condition_holds(match: dict[str, Any]) -> None:
    result = compile_match(Match.model_validate(match)).check(view(CHAT, **{"x-case": "one"}))

    assert result.matched, result.reasons
    assert (result.held, result.total) == (1, 1)


FAILS = [
    ({"endpoint": "responses"}, "endpoint: expected ['responses'], got 'chat.completions'"),
    ({"model": "gpt-5*"}, "model: expected 'gpt-5*', got 'gpt-4o-mini'"),
    ({"model": "GPT-4O*"}, "model: expected 'GPT-4O*', got 'gpt-4o-mini'"),
    ({"last_user": "weather"}, "last_user.contains: expected 'weather', got"),
    ({"system": {"absent": True}}, "system.absent: expected no text, got 'Be brief.'"),
    ({"messages": [{"index": 5}]}, "messages[0].index: no message at index 5 (2 messages)"),
    ({"messages": [{"role": "tool"}]}, "messages[0].role: no 'tool' message"),
    ({"tools": ["search"]}, "tools: ['search'] not offered (offered: ['get_weather'])"),
    ({"tool_choice": "required"}, "tool_choice: expected 'required', got 'get_weather'"),
    ({"tool_result": {"name": "x"}}, "tool_result: the conversation has no tool result"),
    ({"response_format": "text"}, "response_format: expected 'text', got 'json_object'"),
    ({"stream": False}, "stream: expected False, got True"),
    ({"n": 1}, "n: expected 1, got 2"),
    ({"metadata": {"case": "b"}}, "metadata: expected to contain {'case': 'b'}"),
    ({"body": {"seed": 1}}, "body: expected to contain {'seed': 1}"),
    ({"headers": {"X-Case": "two"}}, "headers.X-Case.contains: expected 'two', got 'one'"),
]


@pytest.mark.parametrize(("match", "reason"), FAILS, ids=[r.split(":")[0] for _, r in FAILS])
def test_matcher_condition_fails_with_its_reason(match: dict[str, Any], reason: str) -> None:
    result = compile_match(Match.model_validate(match)).check(view(CHAT, **{"x-case": "one"}))

    assert not result.matched
    assert result.reasons[0].startswith(reason)
    assert (result.held, result.total) == (0, 1)


def test_matcher_reports_every_failed_condition() -> None:
    match = Match.model_validate(
        {"model": "other", "last_user": "Paris", "stream": False, "n": 3, "tools": ["get_weather"]}
    )

    result = compile_match(match).check(view(CHAT))

    assert [r.split(":")[0] for r in result.reasons] == ["model", "stream", "n"]
    assert (result.held, result.total) == (2, 5)
    assert result.reason == "; ".join(result.reasons)
    assert result.closeness == pytest.approx(0.4)


def test_matcher_reads_the_responses_shapes() -> None:
    body = {
        "model": "m",
        "instructions": "Answer in French.",
        "input": [
            {"type": "function_call", "call_id": "c1", "name": "get_weather", "arguments": "{}"},
            {"type": "function_call_output", "call_id": "c1", "output": "sunny"},
        ],
        "tools": [{"type": "function", "name": "get_weather"}],
        "tool_choice": {"type": "function", "name": "get_weather"},
        "text": {"format": {"type": "json_schema", "name": "x", "schema": {}}},
    }
    match = Match.model_validate(
        {
            "system": "French",
            "tools": ["get_weather"],
            "tool_choice": "get_weather",
            "response_format": "json_schema",
            "tool_result": {"name": "get_weather", "content": "sunny"},
        }
    )

    result = compile_match(match).check(view(body, "responses"))

    assert result.matched, result.reasons


def test_matcher_view_reads_each_part_once_and_only_when_asked() -> None:
    reads: list[str] = []

    class Counted(Turn):
        @property
        def body(self) -> Any:
            reads.append("body")
            return super().body

        @property
        def messages(self) -> Any:
            reads.append("messages")
            return super().messages

    chat = CreateChatCompletionRequest.model_validate(CHAT)
    lazy = MatchView(Counted("chat.completions", request=chat, prompt=chat_prompt(chat), n=2))
    endpoint_only = compile_match(Match.model_validate({"endpoint": "chat.completions"}))
    assert endpoint_only.check(lazy).matched
    assert reads == []

    everything = compile_match(Match.model_validate({"last_user": "Paris", "n": 2}))
    assert everything.check(lazy).matched
    assert everything.check(lazy).matched
    assert reads == ["messages"]  # the last user message, read once; never the body


def test_matcher_reads_a_journalled_body_in_chat_and_responses_shapes() -> None:
    match = compile_match(
        Match.model_validate(
            {"system": "French", "tools": ["f"], "tool_choice": "f", "last_user": "hi"}
        )
    )
    chat = {
        "messages": [{"role": "system", "content": "French"}, {"role": "user", "content": "hi"}],
        "tools": [{"type": "function", "function": {"name": "f"}}],
        "tool_choice": {"type": "function", "function": {"name": "f"}},
    }
    responses = {
        "instructions": "French",
        "input": "hi",
        "tools": [{"type": "function", "name": "f"}],
        "tool_choice": {"type": "function", "name": "f"},
    }

    for endpoint, body in (("chat.completions", chat), ("responses", responses)):
        result = match.check(MatchView(BodyRequest(endpoint, body, {})))
        assert result.matched, (endpoint, result.reasons)


@given(
    literal=st.text(alphabet="ab/ -_:", max_size=4),
    tail=st.sampled_from(["", ".*", "?", "*", "+", "{2}", "$", "|c", "(d)?", "[ab]"]),
    text=st.text(alphabet="ab/ -_:cd", max_size=8),
)
def test_matcher_anchored_prefix_never_changes_a_regex_answer(
    literal: str, tail: str, text: str
) -> None:
    """The literal-prefix shortcut of ``^...`` regexes agrees with the regex search itself."""
    pattern = "^" + "".join("\\" + c if c in "-" else c for c in literal) + tail
    condition = TextCondition(TextMatch(regex=pattern))

    assert (condition.check(text, "last_user") == "") == bool(regex.search(pattern, text))
