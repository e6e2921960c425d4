"""Legacy ``POST /v1/completions`` through the official client, sync and async."""

from __future__ import annotations

from tests.support import Api

MODEL = "gpt-3.5-turbo-instruct"
TWENTY_WORDS = " ".join(f"word{i}" for i in range(20))


def test_completion_create_echoes_the_prompt(api: Api) -> None:
    completion = api.completion(model=MODEL, prompt="blue giraffe")

    assert completion.object == "text_completion"
    assert completion.id.startswith("cmpl-")
    assert isinstance(completion.created, int)
    assert completion.model == MODEL
    [choice] = completion.choices
    assert choice.text == "blue giraffe"
    assert choice.index == 0
    assert choice.finish_reason == "stop"
    assert choice.logprobs is None
    assert completion.usage is not None
    assert completion.usage.completion_tokens == 2


def test_completion_default_max_tokens_is_16(api: Api) -> None:
    completion = api.completion(model=MODEL, prompt=TWENTY_WORDS)

    [choice] = completion.choices
    assert choice.finish_reason == "length"
    assert choice.text == " ".join(f"word{i}" for i in range(8))  # "word", "0", " word", "1", ...
    assert completion.usage is not None
    assert completion.usage.completion_tokens == 16


def test_completion_max_tokens_and_stop(api: Api) -> None:
    cut = api.completion(model=MODEL, prompt="one two three", max_tokens=2)
    stopped = api.completion(model=MODEL, prompt="one two three", stop=[" three"])

    assert (cut.choices[0].text, cut.choices[0].finish_reason) == ("one two", "length")
    assert (stopped.choices[0].text, stopped.choices[0].finish_reason) == ("one two", "stop")


def test_completion_echo_prepends_the_prompt(api: Api) -> None:
    completion = api.completion(model=MODEL, prompt="blue giraffe", echo=True, max_tokens=1)

    [choice] = completion.choices
    assert choice.text == "blue giraffe" + "blue"
    assert choice.finish_reason == "length"
    assert completion.usage is not None
    assert completion.usage.completion_tokens == 1


def test_completion_several_prompts_with_n_are_prompt_major(api: Api) -> None:
    completion = api.completion(model=MODEL, prompt=["alpha", "beta gamma"], n=2)

    assert [c.index for c in completion.choices] == [0, 1, 2, 3]
    assert [c.text for c in completion.choices] == ["alpha", "alpha", "beta gamma", "beta gamma"]


def test_completion_stream_uses_text_completion_objects(api: Api) -> None:
    chunks = api.completion_chunks(
        model=MODEL, prompt="blue giraffe", stream_options={"include_usage": True}
    )

    *text_chunks, usage_chunk = chunks
    assert {c.object for c in chunks} == {"text_completion"}
    assert len({c.id for c in chunks}) == 1
    assert "".join(c.choices[0].text for c in text_chunks) == "blue giraffe"
    assert [c.choices[0].finish_reason for c in text_chunks] == [None, None, "stop"]
    assert usage_chunk.choices == []
    assert usage_chunk.usage is not None
    assert usage_chunk.usage.completion_tokens == 2
    assert all(c.usage is None for c in text_chunks)


def test_completion_logprobs_shape(api: Api) -> None:
    completion = api.completion(model=MODEL, prompt="blue giraffe", logprobs=2)

    logprobs = completion.choices[0].logprobs
    assert logprobs is not None
    assert logprobs.tokens == ["blue", " giraffe"]
    assert logprobs.text_offset == [0, 4]
    assert logprobs.token_logprobs is not None
    assert all(lp <= 0 for lp in logprobs.token_logprobs)
    assert logprobs.top_logprobs is not None
    assert [len(top) for top in logprobs.top_logprobs] == [2, 2]
    for token, top, lp in zip(
        logprobs.tokens, logprobs.top_logprobs, logprobs.token_logprobs, strict=True
    ):
        assert top[token] == lp


def test_completion_streamed_logprobs_offsets_continue(api: Api) -> None:
    chunks = api.completion_chunks(model=MODEL, prompt="blue giraffe", logprobs=1)

    offsets = [
        offset
        for chunk in chunks
        if chunk.choices[0].logprobs is not None
        for offset in chunk.choices[0].logprobs.text_offset or []
    ]
    assert offsets == [0, 4]
