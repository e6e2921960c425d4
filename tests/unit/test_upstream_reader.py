"""The proxy's bounded SSE reader and its conversion of a non-streamed upstream body."""

from __future__ import annotations

from collections.abc import AsyncIterator

import anyio
import pytest

from mockgpt.backends.upstream import UpstreamTooLarge, body_as_stream, sse_data


async def _chunks(parts: list[bytes]) -> AsyncIterator[bytes]:
    for part in parts:
        yield part


def read(parts: list[bytes], max_bytes: int = 1024) -> list[str]:
    async def collect() -> list[str]:
        return [data async for data in sse_data(_chunks(parts), max_bytes)]

    return anyio.run(collect)


@pytest.mark.parametrize(
    "parts",
    [
        [b"data: a\n\ndata: b\n\n"],
        [b"data: a\r\n\r\ndata: b\r\n\r\n"],
        [b"data: a\r\rdata: b\r\r"],
        [b"da", b"ta: a\r", b"\n\r", b"\n", b"data:", b" b\n", b"\n"],
        [b": keep-alive\n\nevent: x\ndata: a\nid: 1\n\n", b"retry: 5\ndata: b\n\n"],
    ],
    ids=["lf", "crlf", "cr", "split", "other-fields"],
)
def test_sse_data_reads_each_event_however_framed(parts: list[bytes]) -> None:
    assert read(parts) == ["a", "b"]


def test_sse_data_joins_data_lines_and_drops_an_unfinished_event() -> None:
    assert read([b"data: one\ndata:two\n\ndata: cut off"]) == ["one\ntwo"]


@pytest.mark.parametrize(
    "parts",
    [
        [b"data: " + b"x" * 100],  # a line never ended
        [b"data: " + b"x" * 100 + b"\n\n"],  # a line ended in the same chunk
        [b"data: " + b"x" * 40 + b"\n"] * 3,  # small lines, one event too large
    ],
    ids=["open-line", "whole-line", "event"],
)
def test_sse_data_refuses_a_line_or_event_over_the_limit(parts: list[bytes]) -> None:
    with pytest.raises(UpstreamTooLarge):
        read(parts, max_bytes=64)


def test_body_as_stream_turns_a_chat_completion_into_one_chunk() -> None:
    message = {
        "role": "assistant",
        "content": "hi",
        "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "f"}}],
    }
    body = {
        "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls"}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 2},
    }
    [chunk] = body_as_stream(body, "chat.completions")
    delta = chunk["choices"][0]["delta"]
    assert delta["content"] == "hi"
    assert delta["tool_calls"][0]["index"] == 0
    assert chunk["choices"][0]["finish_reason"] == "tool_calls"
    assert chunk["usage"] == body["usage"]


def test_body_as_stream_turns_a_failed_response_into_response_failed() -> None:
    response = {"status": "failed", "error": {"message": "no"}}
    assert body_as_stream(response, "responses") == [
        {"type": "response.failed", "response": response}
    ]
