"""The SSE reader keeps what the official client drops (an event without its blank line)."""

from __future__ import annotations

import pytest

from conformance.sse import parse_sse


def test_parse_sse_data_events_and_done() -> None:
    parsed = parse_sse(b'data: {"a":1}\n\ndata: [DONE]\n\n')
    assert [e.data for e in parsed.events] == ['{"a":1}', "[DONE]"]
    assert all(e.terminated for e in parsed.events)
    assert [e.offset for e in parsed.events] == [0, 1]


@pytest.mark.parametrize(
    "body",
    [b"data: x\r\n\r\n", b"data: x\r\rdata: y\r\r", b"data:x\n\n"],
    ids=["crlf", "cr", "no-space"],
)
def test_parse_sse_line_endings_and_the_optional_space(body: bytes) -> None:
    assert parse_sse(body).events[0].data == "x"


def test_parse_sse_keeps_an_unterminated_final_event() -> None:
    parsed = parse_sse(b"data: a\n\ndata: [DONE]\n")
    assert [(e.data, e.terminated) for e in parsed.events] == [("a", True), ("[DONE]", False)]


def test_parse_sse_comments_are_keep_alives_not_events() -> None:
    parsed = parse_sse(b": ping\n\ndata: a\n\n: bye\n")
    assert [e.data for e in parsed.events] == ["a"]
    assert parsed.comments == ["ping", "bye"]


def test_parse_sse_event_without_data_and_multi_line_data() -> None:
    parsed = parse_sse(b'event: ping\n\ndata: {"a":\ndata: 1}\n\n')
    ping, split = parsed.events
    assert (ping.event, ping.data, ping.data_lines) == ("ping", None, 0)
    assert (split.data, split.data_lines) == ('{"a":\n1}', 2)
    assert parsed.data_events == [split]
