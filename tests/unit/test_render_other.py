"""Renderers of legacy completions, embeddings and synthetic logprobs."""

from __future__ import annotations

import base64
import math
import struct
from collections.abc import Sequence
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mockgpt.events import Event, Finish, TextDelta, Usage
from mockgpt.render.completions import CompletionBuilder, CompletionChunkRenderer, CompletionMeta
from mockgpt.render.embeddings import embed, embedding_response, encode_base64
from mockgpt.render.logprobs import chat_logprobs, completion_logprobs

META = CompletionMeta(id="cmpl-1", created=1_700_000_000, model="m", system_fingerprint="fp")
EVENTS: list[Event] = [TextDelta("blue"), TextDelta(" giraffe"), Finish("length"), Usage(4, 2)]


def _build(events: Sequence[Event], n: int = 1, meta: CompletionMeta = META) -> dict[str, Any]:
    builder = CompletionBuilder(meta, n)
    for event in events:
        builder.feed(event)
    return builder.build()


def _chunks(
    events: Sequence[Event], n: int = 1, meta: CompletionMeta = META
) -> list[dict[str, Any]]:
    renderer = CompletionChunkRenderer(meta, n)
    return [chunk for event in events for chunk in renderer.feed(event)] + renderer.close()


def test_render_completion_body() -> None:
    body = _build(EVENTS)

    assert body == {
        "id": "cmpl-1",
        "object": "text_completion",
        "created": 1_700_000_000,
        "model": "m",
        "system_fingerprint": "fp",
        "choices": [
            {"text": "blue giraffe", "index": 0, "logprobs": None, "finish_reason": "length"}
        ],
        "usage": {"prompt_tokens": 4, "completion_tokens": 2, "total_tokens": 6},
    }


def test_render_completion_chunks() -> None:
    chunks = _chunks(EVENTS)

    assert [c["choices"] for c in chunks] == [
        [{"text": "blue", "index": 0, "logprobs": None, "finish_reason": None}],
        [{"text": " giraffe", "index": 0, "logprobs": None, "finish_reason": None}],
        [{"text": "", "index": 0, "logprobs": None, "finish_reason": "length"}],
    ]
    assert {c["object"] for c in chunks} == {"text_completion"}
    assert all("usage" not in c for c in chunks)


def test_render_completion_usage_chunk() -> None:
    meta = CompletionMeta(id="c", created=1, model="m", system_fingerprint="fp", include_usage=True)

    *body, last = _chunks(EVENTS, meta=meta)

    assert all(c["usage"] is None for c in body)
    assert last["choices"] == []
    assert last["usage"] == {"prompt_tokens": 4, "completion_tokens": 2, "total_tokens": 6}


def test_render_completion_logprobs_streamed_equal_joined() -> None:
    meta = CompletionMeta(id="c", created=1, model="m", system_fingerprint="fp", logprobs=2)

    body = _build(EVENTS, meta=meta)
    chunks = _chunks(EVENTS, meta=meta)

    whole = body["choices"][0]["logprobs"]
    parts = [c["choices"][0]["logprobs"] for c in chunks if c["choices"][0]["logprobs"]]
    for key in ("tokens", "token_logprobs", "top_logprobs", "text_offset"):
        assert [x for part in parts for x in part[key]] == whole[key]
    assert whole["text_offset"] == [0, 4]


def test_render_completion_logprobs_of_an_empty_answer() -> None:
    meta = CompletionMeta(id="c", created=1, model="m", system_fingerprint="fp", logprobs=0)

    body = _build([Finish("stop")], meta=meta)

    assert body["choices"][0]["logprobs"] == {
        "tokens": [],
        "token_logprobs": [],
        "top_logprobs": None,
        "text_offset": [],
    }


@given(st.text(max_size=40), st.integers(0, 20))
def test_chat_logprobs_shape(text: str, top: int) -> None:
    entries = chat_logprobs(text, top)

    assert "".join(e["token"] for e in entries) == text
    for entry in entries:
        assert isinstance(entry, dict)
        assert entry["logprob"] <= 0
        assert entry["bytes"] == list(str(entry["token"]).encode())
        alternatives = entry["top_logprobs"]
        assert isinstance(alternatives, list)
        assert len(alternatives) == top
        if top:
            assert alternatives[0] == {k: entry[k] for k in ("token", "logprob", "bytes")}
            tokens = [a["token"] for a in alternatives]
            assert len(set(tokens)) == top
            values = [a["logprob"] for a in alternatives]
            assert values == sorted(values, reverse=True)


def test_chat_logprobs_are_deterministic() -> None:
    assert chat_logprobs("blue giraffe", 3) == chat_logprobs("blue giraffe", 3)


def test_chat_logprobs_lone_surrogate_has_null_bytes() -> None:
    [entry] = chat_logprobs("\ud800", 1)

    assert entry["token"] == "\ud800"
    assert entry["bytes"] is None


@given(st.text(max_size=40), st.integers(0, 5), st.integers(0, 100))
def test_completion_logprobs_shape(text: str, top: int, offset: int) -> None:
    logprobs = completion_logprobs(text, top, offset)

    tokens = logprobs["tokens"]
    assert isinstance(tokens, list)
    assert "".join(str(t) for t in tokens) == text
    assert len(logprobs["token_logprobs"]) == len(tokens)
    expected_offsets = [
        offset + len("".join(str(t) for t in tokens[:i])) for i in range(len(tokens))
    ]
    assert logprobs["text_offset"] == expected_offsets
    if top:
        assert [len(d) for d in logprobs["top_logprobs"]] == [top] * len(tokens)
    else:
        assert logprobs["top_logprobs"] is None


@pytest.mark.parametrize("dimensions", [1, 3, 256, 1536])
def test_embed_is_unit_length(dimensions: int) -> None:
    vector = embed("blue giraffe", dimensions)

    assert len(vector) == dimensions
    assert math.sqrt(sum(v * v for v in vector)) == pytest.approx(1.0, abs=1e-6)


@given(st.text(min_size=1, max_size=30), st.text(min_size=1, max_size=30))
def test_embed_is_deterministic_and_distinct(a: str, b: str) -> None:
    assert embed(a, 64) == embed(a, 64)
    if a != b:
        assert embed(a, 64) != embed(b, 64)


def test_embed_shortened_vector_is_a_prefix_up_to_scale() -> None:
    full = embed("blue giraffe", 1536)
    short = embed("blue giraffe", 256)

    scale = math.sqrt(sum(v * v for v in full[:256]))
    assert [v / scale for v in full[:256]] == pytest.approx(list(short), abs=1e-6)


def test_embed_values_are_float32_exact() -> None:
    vector = embed("blue giraffe", 16)

    assert struct.unpack("<16f", struct.pack("<16f", *vector)) == vector


def test_encode_base64_is_little_endian_float32() -> None:
    vector = (1.0, -0.5, 0.25)

    assert base64.b64decode(encode_base64(vector)) == struct.pack("<3f", *vector)


@pytest.mark.parametrize("encoding_format", ["float", "base64"])
def test_embedding_response_shape(encoding_format: str) -> None:
    vectors = [embed("a", 4), embed("b", 4)]

    body = embedding_response(vectors, model="m", encoding_format=encoding_format, prompt_tokens=2)

    assert body["object"] == "list"
    assert body["model"] == "m"
    assert body["usage"] == {"prompt_tokens": 2, "total_tokens": 2}
    data = body["data"]
    assert isinstance(data, list)
    assert [(d["object"], d["index"]) for d in data] == [("embedding", 0), ("embedding", 1)]
    decoded = [
        d["embedding"]
        if encoding_format == "float"
        else struct.unpack("<4f", base64.b64decode(d["embedding"]))
        for d in data
    ]
    assert [tuple(v) for v in decoded] == vectors
