"""``mockgpt.sse``: byte-exact SSE framing and compact JSON."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mockgpt.sse import DONE, comment, dumps, encode_sse


def test_encode_sse_is_one_data_line_and_a_blank_line() -> None:
    assert encode_sse({"a": 1, "b": [True, None]}) == b'data: {"a":1,"b":[true,null]}\n\n'


def test_encode_sse_with_event_name() -> None:
    assert encode_sse({"type": "x"}, event="response.created") == (
        b'event: response.created\ndata: {"type":"x"}\n\n'
    )


def test_encode_sse_passes_bytes_through() -> None:
    assert encode_sse(b"[DONE]") == DONE == b"data: [DONE]\n\n"


def test_comment_is_an_sse_comment() -> None:
    assert comment("ping") == b": ping\n\n"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("line\nbreak", b'"line\\nbreak"'),
        ("cr\rlf", b'"cr\\rlf"'),
        ("caf\u00e9", '"café"'.encode()),
        ("\u2028", '"\u2028"'.encode()),
        ("\ud800", b'"\\ud800"'),
        (["ok", "\udfff"], b'["ok","\\udfff"]'),
    ],
    ids=[
        "newline",
        "carriage-return",
        "utf8",
        "line-separator",
        "lone-surrogate",
        "surrogate-in-list",
    ],
)
def test_dumps_is_one_line_utf8(value: str | list[str], expected: bytes) -> None:
    assert dumps(value) == expected


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children) | st.dictionaries(st.text(), children),
    max_leaves=20,
)


@given(json_values)
def test_encode_sse_round_trips_any_json(value: object) -> None:
    frame = encode_sse(value)

    assert frame.startswith(b"data: ")
    assert frame.endswith(b"\n\n")
    line = frame[len(b"data: ") : -2]
    assert b"\n" not in line
    assert b"\r" not in line
    assert json.loads(line.decode("utf-8")) == value


@given(st.text(alphabet=st.characters(codec=None, categories=["Cs", "L", "Zs"])))
def test_dumps_any_text_is_valid_utf8_json(text: str) -> None:
    """Text with lone surrogates, which JSON requests may carry, still encodes and round-trips."""
    assert json.loads(dumps(text).decode("utf-8")) == text
