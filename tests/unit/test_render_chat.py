"""``mockgpt.render.chat``: events -> ``ChatCompletion`` and ``ChatCompletionChunk`` objects."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from mockgpt.events import Event, Finish, Refusal, TextDelta, ToolCallDelta, Usage
from mockgpt.render.chat import ChatChunkRenderer, ChatCompletionBuilder, ChatMeta
from mockgpt.types import FINISH_REASONS

META = ChatMeta(id="chatcmpl-1", created=1_700_000_000, model="m", system_fingerprint="fp_1")
TOOL_EVENTS: list[Event] = [
    ToolCallDelta(0, '{"city":', id="call_a", name="weather"),
    ToolCallDelta(0, '"Paris"}'),
    ToolCallDelta(1, "{}", id="call_b", name="time"),
    Finish("tool_calls"),
    Usage(10, 5),
]


def _build(events: Sequence[Event], n: int = 1, meta: ChatMeta = META) -> dict[str, Any]:
    builder = ChatCompletionBuilder(meta, n)
    for event in events:
        builder.feed(event)
    return builder.build()


def _chunks(events: Sequence[Event], n: int = 1, meta: ChatMeta = META) -> list[dict[str, Any]]:
    renderer = ChatChunkRenderer(meta, n)
    out = [chunk for event in events for chunk in renderer.feed(event)]
    return out + renderer.close()


def _fold(chunks: list[dict[str, Any]], n: int) -> list[dict[str, Any]]:
    """Join the deltas of each choice as a client does (tool calls merged by ``index``)."""
    folded: list[dict[str, Any]] = [
        {"role": None, "content": None, "refusal": None, "tool_calls": [], "finish_reason": None}
        for _ in range(n)
    ]
    for chunk in chunks:
        for choice in chunk["choices"]:
            into, delta = folded[choice["index"]], choice["delta"]
            if "role" in delta:
                assert into["role"] is None, "role sent twice"
                into["role"] = delta["role"]
            for key in ("content", "refusal"):
                if delta.get(key) is not None:
                    into[key] = (into[key] or "") + delta[key]
            for call in delta.get("tool_calls") or ():
                if call["index"] == len(into["tool_calls"]):
                    into["tool_calls"].append(
                        {"id": call["id"], "type": call["type"], "function": dict(call["function"])}
                    )
                else:
                    function = into["tool_calls"][call["index"]]["function"]
                    function["arguments"] += call["function"]["arguments"]
            if choice["finish_reason"] is not None:
                assert into["finish_reason"] is None, "finish_reason sent twice"
                into["finish_reason"] = choice["finish_reason"]
    return folded


def test_render_chat_completion_text() -> None:
    body = _build([TextDelta("blue"), TextDelta(" giraffe"), Finish("stop"), Usage(9, 2)])

    assert body["object"] == "chat.completion"
    assert (body["id"], body["created"], body["model"]) == ("chatcmpl-1", 1_700_000_000, "m")
    assert body["choices"] == [
        {
            "index": 0,
            "message": {
                "role": "assistant",
                "content": "blue giraffe",
                "refusal": None,
                "annotations": [],
            },
            "logprobs": None,
            "finish_reason": "stop",
        }
    ]
    assert body["usage"]["prompt_tokens"] == 9
    assert body["usage"]["completion_tokens"] == 2
    assert body["usage"]["total_tokens"] == 11


def test_render_chat_completion_tool_calls() -> None:
    body = _build(TOOL_EVENTS)

    [choice] = body["choices"]
    assert choice["finish_reason"] == "tool_calls"
    assert choice["message"]["content"] is None
    assert choice["message"]["tool_calls"] == [
        {
            "id": "call_a",
            "type": "function",
            "function": {"name": "weather", "arguments": '{"city":"Paris"}'},
        },
        {"id": "call_b", "type": "function", "function": {"name": "time", "arguments": "{}"}},
    ]


def test_render_chat_completion_refusal() -> None:
    body = _build([Refusal("I can't"), Refusal(" help"), Finish("stop")])

    message = body["choices"][0]["message"]
    assert (message["content"], message["refusal"]) == (None, "I can't help")


def test_render_chat_completion_empty_answer_has_empty_content() -> None:
    body = _build([Finish("stop")])

    assert body["choices"][0]["message"]["content"] == ""


def test_render_chat_completion_logprobs() -> None:
    meta = ChatMeta(
        id="c", created=1, model="m", system_fingerprint="fp", logprobs=True, top_logprobs=2
    )

    body = _build([TextDelta("blue"), TextDelta(" giraffe"), Finish("stop")], meta=meta)

    logprobs = body["choices"][0]["logprobs"]
    assert logprobs["refusal"] is None
    assert [t["token"] for t in logprobs["content"]] == ["blue", " giraffe"]
    assert all(len(t["top_logprobs"]) == 2 for t in logprobs["content"])


def test_render_chat_chunks_text() -> None:
    chunks = _chunks([TextDelta("blue"), TextDelta(" giraffe"), Finish("stop"), Usage(9, 2)])

    assert [c["choices"][0]["delta"] for c in chunks] == [
        {"role": "assistant", "content": "", "refusal": None},
        {"content": "blue"},
        {"content": " giraffe"},
        {},
    ]
    assert [c["choices"][0]["finish_reason"] for c in chunks] == [None, None, None, "stop"]
    assert all("usage" not in c for c in chunks)
    assert {c["object"] for c in chunks} == {"chat.completion.chunk"}


def test_render_chat_chunks_tool_calls_carry_the_role_on_the_first_fragment() -> None:
    chunks = _chunks(TOOL_EVENTS)

    deltas = [c["choices"][0]["delta"] for c in chunks]
    assert deltas[0] == {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "index": 0,
                "id": "call_a",
                "type": "function",
                "function": {"name": "weather", "arguments": '{"city":'},
            }
        ],
    }
    assert deltas[1] == {"tool_calls": [{"index": 0, "function": {"arguments": '"Paris"}'}}]}
    assert deltas[2]["tool_calls"][0]["index"] == 1
    assert deltas[2]["tool_calls"][0]["id"] == "call_b"
    assert chunks[-1]["choices"][0]["finish_reason"] == "tool_calls"


def test_render_chat_chunks_refusal() -> None:
    chunks = _chunks([Refusal("no"), Finish("stop")])

    assert [c["choices"][0]["delta"] for c in chunks] == [
        {"role": "assistant", "content": None, "refusal": ""},
        {"refusal": "no"},
        {},
    ]


def test_render_chat_chunks_open_choices_in_index_order() -> None:
    """If choice 1 speaks first, choice 0's role chunk still comes first (for the SDK helper)."""
    chunks = _chunks(
        [TextDelta("b", choice=1), TextDelta("a"), Finish("stop", 1), Finish("stop")], n=2
    )

    assert [
        (c["choices"][0]["index"], c["choices"][0]["delta"].get("role")) for c in chunks[:3]
    ] == [
        (0, "assistant"),
        (1, "assistant"),
        (1, None),
    ]


def test_render_chat_chunks_usage_chunk() -> None:
    meta = ChatMeta(id="c", created=1, model="m", system_fingerprint="fp", include_usage=True)

    chunks = _chunks([TextDelta("hi"), Finish("stop"), Usage(3, 1)], meta=meta)

    *body, last = chunks
    assert all(c["usage"] is None for c in body)
    assert last["choices"] == []
    assert last["usage"]["total_tokens"] == 4
    assert (last["id"], last["created"], last["object"]) == ("c", 1, "chat.completion.chunk")


_texts = st.text(max_size=6)


@st.composite
def _answers(draw: st.DrawFn) -> tuple[int, list[Event]]:
    """Events of an answer with 1..3 choices, each text, tool calls or a refusal, interleaved."""
    n = draw(st.integers(1, 3))
    per_choice: list[list[Event]] = []
    for choice in range(n):
        kind = draw(st.sampled_from(["text", "tools", "refusal", "text+tools"]))
        events: list[Event] = []
        if "text" in kind:
            events += [TextDelta(t, choice) for t in draw(st.lists(_texts, max_size=4))]
        if "tools" in kind:
            for index in range(draw(st.integers(1, 2))):
                parts = draw(st.lists(_texts, min_size=1, max_size=3))
                events.append(
                    ToolCallDelta(index, parts[0], id=f"call_{index}", name="f", choice=choice)
                )
                events += [ToolCallDelta(index, p, choice=choice) for p in parts[1:]]
        if kind == "refusal":
            events += [Refusal(t, choice) for t in draw(st.lists(_texts, min_size=1, max_size=3))]
        events.append(Finish(draw(st.sampled_from(FINISH_REASONS)), choice))
        per_choice.append(events)
    merged: list[Event] = []
    while any(per_choice):
        lane = draw(st.sampled_from([i for i, events in enumerate(per_choice) if events]))
        merged.append(per_choice[lane].pop(0))
    return n, [*merged, Usage(draw(st.integers(0, 50)), draw(st.integers(0, 50)))]


@given(_answers())
def test_render_chat_stream_folds_to_the_completion(answer: tuple[int, list[Event]]) -> None:
    """Joining the chunks of any answer gives exactly the non-streamed message."""
    n, events = answer
    meta = ChatMeta(id="c", created=1, model="m", system_fingerprint="fp", include_usage=True)

    body = _build(events, n, meta)
    chunks = _chunks(events, n, meta)

    indexes = [c["choices"][0]["index"] for c in chunks[:-1]]
    assert list(dict.fromkeys(indexes)) == list(range(n))  # choices open in index order
    folded = _fold(chunks[:-1], n)
    for choice, joined in zip(body["choices"], folded, strict=True):
        message = choice["message"]
        assert joined["role"] == message["role"] == "assistant"
        assert (joined["content"] or "") == (message["content"] or "")
        assert joined["refusal"] == message["refusal"]
        assert joined["tool_calls"] == message.get("tool_calls", [])
        assert joined["finish_reason"] == choice["finish_reason"]
    assert chunks[-1]["usage"] == body["usage"]
