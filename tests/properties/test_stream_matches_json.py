"""Property: a streamed chat answer joins to exactly the non-streamed one, for any request.

Both come from the same events and renderers (DESIGN: "they cannot drift"); this checks it
end to end through the app, in process, and checks the text against a token-by-token model.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support import InProcess, examples, reference_answer, split_sse

CHAT = "/v1/chat/completions"

# Any text, including lone surrogates (a JSON string may carry "\ud800").
_texts = st.text(alphabet=st.characters() | st.characters(categories=["Cs"]), max_size=40)


@st.composite
def _content(draw: st.DrawFn, text: str) -> str | list[dict[str, str]]:
    """``text`` as a string, or as text parts that join to it."""
    if not text or draw(st.booleans()):
        return text
    cut = draw(st.integers(0, len(text)))
    return [{"type": "text", "text": text[:cut]}, {"type": "text", "text": text[cut:]}]


@st.composite
def _substring(draw: st.DrawFn, text: str) -> str:
    """A short non-empty piece of ``text`` (so stop sequences often match), or any text."""
    if not text or draw(st.integers(0, 3)) == 0:
        return draw(st.text(min_size=1, max_size=4))
    start = draw(st.integers(0, len(text) - 1))
    return text[start : draw(st.integers(start + 1, min(len(text), start + 6)))]


@st.composite
def chat_requests(draw: st.DrawFn) -> tuple[dict[str, Any], bool, str]:
    """(body without ``stream``, include_usage, the echoed answer text)."""
    answer = draw(_texts)
    history = draw(
        st.lists(
            st.fixed_dictionaries(
                {
                    "role": st.sampled_from(["system", "developer", "user", "assistant"]),
                    "content": _texts,
                }
            ),
            max_size=3,
        )
    )
    body: dict[str, Any] = {
        "model": "gpt-4o-mini",
        "messages": [*history, {"role": "user", "content": draw(_content(answer))}],
    }
    n = draw(st.integers(1, 3))
    if n > 1 or draw(st.booleans()):
        body["n"] = n
    limit = draw(st.none() | st.integers(1, 12))
    if limit is not None:
        body[draw(st.sampled_from(["max_tokens", "max_completion_tokens"]))] = limit
    if draw(st.booleans()):
        stops = draw(st.lists(_substring(answer), min_size=1, max_size=4))
        body["stop"] = stops[0] if len(stops) == 1 and draw(st.booleans()) else stops
    if draw(st.booleans()):
        body["logprobs"] = True
        top = draw(st.none() | st.integers(0, 5))
        if top is not None:
            body["top_logprobs"] = top
    return body, draw(st.booleans()), answer


def _stops(body: dict[str, Any]) -> list[str]:
    stop = body.get("stop")
    return [] if stop is None else [stop] if isinstance(stop, str) else list(stop)


@settings(max_examples=examples(80), deadline=None)
@given(chat_requests())
def test_property_stream_joins_to_the_non_streamed_answer(
    asgi: InProcess, case: tuple[dict[str, Any], bool, str]
) -> None:
    body, include_usage, answer = case
    stream_body = {**body, "stream": True}
    if include_usage:
        stream_body["stream_options"] = {"include_usage": True}

    plain = asgi.post(CHAT, body)
    streamed = asgi.post(CHAT, stream_body)

    assert plain.status_code == 200, plain.text
    assert streamed.status_code == 200, streamed.text
    completion = plain.json()
    events = split_sse(streamed.content)
    assert events[-1].raw == b"data: [DONE]"
    chunks = [e.data for e in events[:-1]]
    if include_usage:
        *chunks, usage_chunk = chunks
        assert usage_chunk["choices"] == []
        assert usage_chunk["usage"] == completion["usage"]
    expected = reference_answer(
        answer, body.get("max_completion_tokens", body.get("max_tokens")), _stops(body)
    )
    n = body.get("n", 1)
    assert [c["index"] for c in completion["choices"]] == list(range(n))
    for choice in completion["choices"]:
        mine = [c for chunk in chunks for c in chunk["choices"] if c["index"] == choice["index"]]
        assert [c["delta"].get("role") for c in mine if "role" in c["delta"]] == ["assistant"]
        content = "".join(c["delta"].get("content") or "" for c in mine)
        finishes = [c["finish_reason"] for c in mine if c["finish_reason"] is not None]
        assert content == choice["message"]["content"]
        assert finishes == [choice["finish_reason"]]
        assert (content, choice["finish_reason"]) == expected
        if body.get("logprobs"):
            tokens = [t for c in mine if c["logprobs"] for t in c["logprobs"]["content"]]
            assert tokens == choice["logprobs"]["content"]
            assert "".join(t["token"] for t in tokens) == content
            assert all(len(t["top_logprobs"]) == body.get("top_logprobs", 0) for t in tokens)
        else:
            assert choice["logprobs"] is None
            assert all(c["logprobs"] is None for c in mine)
