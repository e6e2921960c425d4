"""``POST /v1/chat/completions`` through the official client, sync and async, over a socket."""

from __future__ import annotations

import pytest

from tests.support import USER, Api, joined_content

MODEL = "gpt-4o-mini"


def test_chat_create_echoes_last_user_message(api: Api) -> None:
    completion = api.chat(model=MODEL, messages=USER)

    assert completion.object == "chat.completion"
    assert completion.id.startswith("chatcmpl-")
    assert isinstance(completion.created, int)
    assert completion.model == MODEL
    [choice] = completion.choices
    assert choice.index == 0
    assert choice.message.role == "assistant"
    assert choice.message.content == "blue giraffe"
    assert choice.message.refusal is None
    assert choice.finish_reason == "stop"
    assert choice.logprobs is None
    assert completion.usage is not None
    assert completion.usage.completion_tokens == 2
    assert completion.usage.total_tokens == (
        completion.usage.prompt_tokens + completion.usage.completion_tokens
    )
    assert completion._request_id is not None
    assert completion._request_id.startswith("req_")


def test_chat_create_answers_the_last_user_message_of_a_conversation(api: Api) -> None:
    messages = [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": "first question"},
        {"role": "assistant", "content": "first answer"},
        {
            "role": "user",
            "content": [{"type": "text", "text": "blue "}, {"type": "text", "text": "giraffe"}],
        },
    ]

    completion = api.chat(model=MODEL, messages=messages)

    assert completion.choices[0].message.content == "blue giraffe"


def test_chat_stream_sends_one_word_per_delta(api: Api) -> None:
    chunks = api.chat_chunks(model=MODEL, messages=USER)

    assert {chunk.object for chunk in chunks} == {"chat.completion.chunk"}
    assert len({chunk.id for chunk in chunks}) == 1
    assert len({chunk.created for chunk in chunks}) == 1
    deltas = [c.choices[0].delta for c in chunks]
    assert deltas[0].role == "assistant"
    assert deltas[0].content == ""
    assert [d.content for d in deltas[1:-1]] == ["blue", " giraffe"]
    assert all(d.role is None for d in deltas[1:])
    assert [c.choices[0].finish_reason for c in chunks] == [None, None, None, "stop"]
    assert all(chunk.usage is None for chunk in chunks)


def test_chat_stream_helper_gives_final_completion(api: Api) -> None:
    events, final = api.chat_helper(model=MODEL, messages=USER)

    deltas = [e.delta for e in events if e.type == "content.delta"]
    assert deltas == ["", "blue", " giraffe"]  # the role chunk carries content ""
    [done] = [e for e in events if e.type == "content.done"]
    assert done.content == "blue giraffe"
    assert final.choices[0].message.content == "blue giraffe"
    assert final.choices[0].finish_reason == "stop"


def test_chat_stream_helper_with_usage_and_two_choices(api: Api) -> None:
    events, final = api.chat_helper(
        model=MODEL, messages=USER, n=2, stream_options={"include_usage": True}
    )

    assert [c.index for c in final.choices] == [0, 1]
    assert [c.message.content for c in final.choices] == ["blue giraffe"] * 2
    assert final.usage is not None
    assert final.usage.completion_tokens == 4
    assert len([e for e in events if e.type == "content.done"]) == 2


def test_chat_stream_include_usage_adds_a_final_usage_chunk(api: Api) -> None:
    chunks = api.chat_chunks(model=MODEL, messages=USER, stream_options={"include_usage": True})
    completion = api.chat(model=MODEL, messages=USER)

    *content_chunks, last = chunks
    assert all(chunk.usage is None for chunk in content_chunks)
    assert all(chunk.choices for chunk in content_chunks)
    assert last.choices == []
    assert last.usage is not None
    assert last.id == content_chunks[0].id
    assert completion.usage is not None
    assert last.usage.prompt_tokens == completion.usage.prompt_tokens
    assert last.usage.completion_tokens == completion.usage.completion_tokens == 2
    assert last.usage.total_tokens == last.usage.prompt_tokens + last.usage.completion_tokens


def test_chat_n_gives_each_choice_its_own_role_and_finish(api: Api) -> None:
    completion = api.chat(model=MODEL, messages=USER, n=2)
    chunks = api.chat_chunks(model=MODEL, messages=USER, n=2)

    assert [c.index for c in completion.choices] == [0, 1]
    assert [c.message.content for c in completion.choices] == ["blue giraffe"] * 2
    assert completion.usage is not None
    assert completion.usage.completion_tokens == 4
    assert chunks[0].choices[0].index == 0
    for index in (0, 1):
        mine = [ch for chunk in chunks for ch in chunk.choices if ch.index == index]
        assert [ch.delta.role for ch in mine].count("assistant") == 1
        assert mine[0].delta.role == "assistant"
        finishes = [ch.finish_reason for ch in mine if ch.finish_reason is not None]
        assert finishes == ["stop"]
        assert mine[-1].finish_reason == "stop"
        assert joined_content(chunks, index) == "blue giraffe"


@pytest.mark.parametrize("limit", ["max_tokens", "max_completion_tokens"])
def test_chat_token_limit_cuts_text_with_finish_length(api: Api, limit: str) -> None:
    messages = [{"role": "user", "content": "one two three four five"}]

    completion = api.chat(model=MODEL, messages=messages, **{limit: 2})
    chunks = api.chat_chunks(model=MODEL, messages=messages, **{limit: 2})

    assert completion.choices[0].message.content == "one two"
    assert completion.choices[0].finish_reason == "length"
    assert completion.usage is not None
    assert completion.usage.completion_tokens == 2
    assert joined_content(chunks) == "one two"
    assert chunks[-1].choices[0].finish_reason == "length"


def test_chat_token_limit_above_answer_length_finishes_with_stop(api: Api) -> None:
    completion = api.chat(model=MODEL, messages=USER, max_completion_tokens=50)

    assert completion.choices[0].message.content == "blue giraffe"
    assert completion.choices[0].finish_reason == "stop"


@pytest.mark.parametrize(
    ("stop", "expected"),
    [
        (" three", "one two"),
        (["zzz", "two"], "one "),
        (["four", "wo th"], "one t"),
        ("one", ""),
    ],
    ids=["string", "list-first-match", "earliest-of-several", "at-start"],
)
def test_chat_stop_sequence_ends_text_before_it(
    api: Api, stop: str | list[str], expected: str
) -> None:
    messages = [{"role": "user", "content": "one two three four five"}]

    completion = api.chat(model=MODEL, messages=messages, stop=stop)
    chunks = api.chat_chunks(model=MODEL, messages=messages, stop=stop)

    assert completion.choices[0].message.content == expected
    assert completion.choices[0].finish_reason == "stop"
    assert joined_content(chunks) == expected
    assert chunks[-1].choices[0].finish_reason == "stop"


def test_chat_stop_sequence_split_across_two_deltas(api: Api) -> None:
    """ "lue gir" spans the deltas "blue" and " giraffe": nothing of it is ever streamed."""
    chunks = api.chat_chunks(model=MODEL, messages=USER, stop="lue gir")

    contents = [c.choices[0].delta.content for c in chunks if c.choices[0].delta.content]
    assert "".join(contents) == "b"
    assert all("l" not in content for content in contents)
    assert chunks[-1].choices[0].finish_reason == "stop"


def test_chat_stop_sequence_not_in_answer_changes_nothing(api: Api) -> None:
    chunks = api.chat_chunks(model=MODEL, messages=USER, stop=["giraffes", "xyz"])

    assert joined_content(chunks) == "blue giraffe"
    assert chunks[-1].choices[0].finish_reason == "stop"


def test_chat_logprobs_shape(api: Api) -> None:
    completion = api.chat(model=MODEL, messages=USER, logprobs=True, top_logprobs=3)

    logprobs = completion.choices[0].logprobs
    assert logprobs is not None
    assert logprobs.refusal is None
    assert logprobs.content is not None
    assert [t.token for t in logprobs.content] == ["blue", " giraffe"]
    for token in logprobs.content:
        assert token.logprob <= 0
        assert token.bytes == list(token.token.encode())
        assert len(token.top_logprobs) == 3
        assert token.top_logprobs[0].token == token.token
        assert token.top_logprobs[0].logprob == token.logprob
        assert len({alt.token for alt in token.top_logprobs}) == 3
        values = [alt.logprob for alt in token.top_logprobs]
        assert values == sorted(values, reverse=True)


def test_chat_logprobs_without_top_logprobs_has_empty_alternatives(api: Api) -> None:
    completion = api.chat(model=MODEL, messages=USER, logprobs=True)

    logprobs = completion.choices[0].logprobs
    assert logprobs is not None
    assert logprobs.content is not None
    assert [t.top_logprobs for t in logprobs.content] == [[], []]


def test_chat_logprobs_streamed_match_non_streamed(api: Api) -> None:
    completion = api.chat(model=MODEL, messages=USER, logprobs=True, top_logprobs=2)
    chunks = api.chat_chunks(model=MODEL, messages=USER, logprobs=True, top_logprobs=2)

    streamed = [
        token
        for chunk in chunks
        for choice in chunk.choices
        if choice.logprobs is not None and choice.logprobs.content
        for token in choice.logprobs.content
    ]
    logprobs = completion.choices[0].logprobs
    assert logprobs is not None
    assert streamed == logprobs.content


def test_chat_unknown_fields_are_ignored(api: Api) -> None:
    completion = api.chat(
        model=MODEL,
        messages=USER,
        temperature=0,
        seed=7,
        user="u-1",
        extra_body={"some_vendor_field": {"x": 1}},
    )

    assert completion.choices[0].message.content == "blue giraffe"
