"""Each kind of ``respond`` answer, through the official client over a socket, sync and async."""

from __future__ import annotations

import json
from typing import Any

import openai
import pytest
from pydantic import BaseModel

from tests.scenarios.helpers import BOTH, USER, WEATHER_TOOL, Mock, fold


@BOTH
@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
def test_respond_content_template_sees_the_request(mock: Mock, kind: str, stream: bool) -> None:
    mock.add(
        {
            "id": "templated",
            "respond": {
                "content": "{{ last_user }}|{{ messages | length }}|{{ messages[0].role }}:"
                "{{ messages[0].content }}|{{ model }}|call {{ call_count }}|"
                "{{ request.temperature }}"
            },
        }
    )
    client = mock.client(kind)
    messages = [{"role": "system", "content": "be brief"}, *USER]

    texts = []
    for _ in range(2):
        if stream:
            folded = fold(client.chat_chunks(model="m-1", messages=messages, temperature=0.5))
            texts.append("".join(folded["content"]))
        else:
            completion = client.chat(model="m-1", messages=messages, temperature=0.5)
            texts.append(completion.choices[0].message.content or "")

    assert texts == [
        "hello there|2|system:be brief|m-1|call 1|0.5",
        "hello there|2|system:be brief|m-1|call 2|0.5",
    ]


def test_respond_content_template_unknown_variable_is_a_500_naming_the_stub(mock: Mock) -> None:
    mock.add({"id": "typo", "respond": {"content": "{{ last_usr }}"}, "pacing": {"ttft_ms": 1}})
    client = mock.client()

    for stream in (False, True):
        with pytest.raises(openai.InternalServerError) as caught:
            client.create(stream=stream, model="m", messages=USER)
        assert caught.value.status_code == 500
        assert "stub typo: its content template failed: 'last_usr' is undefined" in str(
            caught.value.message
        )


@pytest.mark.timeout(10)
def test_respond_content_template_over_a_limit_is_a_500_naming_the_stub_not_a_bug(
    mock: Mock,
) -> None:
    """An oversized ``range`` or nested loops answer the stub's template error, not "a bug"."""
    mock.add(
        {
            "id": "big",
            "match": {"last_user": "range"},
            "respond": {"content": "{{ range(10**7) }}"},
        },
        {
            "id": "loops",
            "respond": {
                "content": "{% for i in range(9000) %}{% for j in range(9000) %}"
                "{% endfor %}{% endfor %}"
            },
        },
    )
    client = mock.client()

    for stream in (False, True):
        for text, says in (("range", "stub big: "), ("loops", "stub loops: ")):
            with pytest.raises(openai.InternalServerError) as caught:
                client.create(
                    stream=stream, model="m", messages=[{"role": "user", "content": text}]
                )
            message = str(caught.value.message)
            assert says + "its content template failed: " in message
            assert "mockgpt's limit" in message or "mockgpt's template loop limit" in message
            assert "bug" not in message


@BOTH
def test_respond_tool_call_single_with_object_arguments(mock: Mock, kind: str) -> None:
    mock.add({"respond": {"tool_calls": [{"name": "get_weather", "arguments": {"city": "Paris"}}]}})
    client = mock.client(kind)

    completion = client.chat(model="m", messages=USER, tools=[WEATHER_TOOL])
    folded = fold(client.chat_chunks(model="m", messages=USER, tools=[WEATHER_TOOL]))

    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.content is None
    [call] = choice.message.tool_calls or []
    assert call.type == "function"
    assert call.id.startswith("call_")
    assert (call.function.name, json.loads(call.function.arguments)) == (
        "get_weather",
        {"city": "Paris"},
    )
    assert folded["finish"] == ["tool_calls"]
    assert folded["content"] == []
    [streamed] = folded["tool_calls"].values()
    assert streamed["id"].startswith("call_")
    assert (streamed["name"], json.loads(streamed["args"])) == ("get_weather", {"city": "Paris"})


@BOTH
@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
def test_respond_tool_calls_parallel_with_string_and_object_arguments(
    mock: Mock, kind: str, stream: bool
) -> None:
    mock.add(
        {
            "respond": {
                "tool_calls": [
                    {"name": "get_weather", "arguments": '{"city": "Paris"}', "id": "call_paris"},
                    {"name": "get_weather", "arguments": {"city": "Oslo"}, "id": "call_oslo"},
                    {"name": "get_time", "arguments": "{}"},
                ]
            }
        }
    )
    client = mock.client(kind)

    if stream:
        folded = fold(client.chat_chunks(model="m", messages=USER))
        calls = [(c["id"], c["name"], c["args"]) for _, c in sorted(folded["tool_calls"].items())]
        finish = folded["finish"]
    else:
        choice = client.chat(model="m", messages=USER).choices[0]
        calls = [
            (c.id, c.function.name, c.function.arguments)
            for c in choice.message.tool_calls or []
            if c.type == "function"
        ]
        finish = [choice.finish_reason]

    assert finish == ["tool_calls"]
    assert [(i, n, json.loads(a)) for i, n, a in calls[:2]] == [
        ("call_paris", "get_weather", {"city": "Paris"}),
        ("call_oslo", "get_weather", {"city": "Oslo"}),
    ]
    assert calls[2][0].startswith("call_")
    assert calls[2][1:] == ("get_time", "{}")
    assert len({c[0] for c in calls}) == 3


@BOTH
def test_respond_refusal(mock: Mock, kind: str) -> None:
    mock.add({"respond": {"refusal": "I can't help with that."}})
    client = mock.client(kind)

    message = client.chat(model="m", messages=USER).choices[0].message
    folded = fold(client.chat_chunks(model="m", messages=USER))

    assert message.refusal == "I can't help with that."
    assert message.content is None
    assert "".join(folded["refusal"]) == "I can't help with that."
    assert folded["content"] == []
    assert folded["finish"] == ["stop"]


class Weather(BaseModel):
    city: str
    temperature_c: int
    conditions: list[str]


@BOTH
def test_respond_json_literal(mock: Mock, kind: str) -> None:
    literal = {"city": "Paris", "temperature_c": 18, "conditions": ["sunny", "dry"]}
    mock.add({"respond": {"json": literal}})
    client = mock.client(kind)

    content = client.chat(model="m", messages=USER).choices[0].message.content
    streamed = "".join(fold(client.chat_chunks(model="m", messages=USER))["content"])
    parsed = client.parse(model="m", messages=USER, response_format=Weather)

    assert json.loads(content or "") == literal
    assert json.loads(streamed) == literal
    assert parsed.choices[0].message.parsed == Weather.model_validate(literal)


@BOTH
def test_respond_json_from_schema_parses_into_the_model(mock: Mock, kind: str) -> None:
    mock.add({"respond": {"json": "from_schema"}})
    client = mock.client(kind)

    first = client.parse(model="m", messages=USER, response_format=Weather, seed=7)
    again = client.parse(model="m", messages=USER, response_format=Weather, seed=7)

    parsed = first.choices[0].message.parsed
    assert isinstance(parsed, Weather)
    assert again.choices[0].message.parsed == parsed
    assert first.choices[0].finish_reason == "stop"


@BOTH
@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
def test_respond_finish_reason_and_usage_override(mock: Mock, kind: str, stream: bool) -> None:
    mock.add(
        {
            "respond": {
                "content": "cut short",
                "finish_reason": "length",
                "usage": {"prompt_tokens": 11, "completion_tokens": 22},
            }
        }
    )
    client = mock.client(kind)

    if stream:
        chunks = client.chat_chunks(
            model="m", messages=USER, stream_options={"include_usage": True}
        )
        finish = fold(chunks)["finish"]
        usage = chunks[-1].usage
        assert chunks[-1].choices == []
    else:
        completion = client.chat(model="m", messages=USER)
        finish = [completion.choices[0].finish_reason]
        usage = completion.usage

    assert finish == ["length"]
    assert usage is not None
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (11, 22, 33)


def test_respond_usage_override_of_one_count_keeps_the_other_counted(mock: Mock) -> None:
    mock.add({"respond": {"content": "three little words", "usage": {"prompt_tokens": 5}}})
    client = mock.client()

    usage = client.chat(model="m", messages=USER).usage

    assert usage is not None
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (5, 3, 8)


@BOTH
@pytest.mark.parametrize(
    ("chunking", "deltas"),
    [
        ({"chars": 4}, ["The ", "quic", "k br", "own ", "fox."]),
        ({"tokens": 2}, ["The quick", " brown fox", "."]),
        ({"chunks": ["Th", "e quick brown", " fox."]}, ["Th", "e quick brown", " fox."]),
    ],
    ids=["chars", "tokens", "chunks"],
)
def test_respond_chunking_sets_the_stream_deltas(
    mock: Mock, kind: str, chunking: dict[str, Any], deltas: list[str]
) -> None:
    respond: dict[str, Any] = {"chunking": chunking}
    if "chunks" not in chunking:
        respond["content"] = "The quick brown fox."
    mock.add({"respond": respond})
    client = mock.client(kind)

    chunks = client.chat_chunks(model="m", messages=USER)
    completion = client.chat(model="m", messages=USER)

    assert fold(chunks)["content"] == deltas
    assert completion.choices[0].message.content == "The quick brown fox."


@BOTH
def test_respond_model_override_and_scenario_default(mock: Mock, kind: str) -> None:
    mock.add(
        {"match": {"last_user": "own"}, "respond": {"content": "a", "model": "own-model"}},
        {"respond": {"content": "b"}},
        defaults={"model": "default-model"},
    )
    client = mock.client(kind)

    own = client.chat(model="asked", messages=[{"role": "user", "content": "own"}])
    default = client.chat(model="asked", messages=USER)
    streamed = client.chat_chunks(model="asked", messages=USER)

    assert own.model == "own-model"
    assert default.model == "default-model"
    assert {chunk.model for chunk in streamed} == {"default-model"}


@BOTH
def test_respond_n_choices_get_the_same_answer(mock: Mock, kind: str) -> None:
    mock.add({"respond": {"content": "same for all"}})
    client = mock.client(kind)

    completion = client.chat(model="m", messages=USER, n=2)

    assert [c.message.content for c in completion.choices] == ["same for all", "same for all"]
