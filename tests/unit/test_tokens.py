"""``mockgpt.tokens``: deterministic token pieces and counts."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mockgpt.tokens import count_tokens, prefix_tokens, split_tokens


@given(st.text())
def test_split_tokens_joins_back_to_the_text(text: str) -> None:
    pieces = split_tokens(text)

    assert "".join(pieces) == text
    assert all(pieces)


@given(st.text())
def test_count_tokens_is_the_number_of_pieces_and_deterministic(text: str) -> None:
    assert count_tokens(text) == len(split_tokens(text)) == count_tokens(text)


@given(st.text(), st.integers(min_value=0, max_value=40))
def test_prefix_tokens_is_a_prefix_of_at_most_limit_tokens(text: str, limit: int) -> None:
    prefix = prefix_tokens(text, limit)

    assert text.startswith(prefix)
    assert count_tokens(prefix) == min(limit, count_tokens(text))
    assert split_tokens(prefix) == split_tokens(text)[:limit]


@pytest.mark.parametrize(
    ("text", "pieces"),
    [
        ("", []),
        ("blue giraffe", ["blue", " giraffe"]),
        ("Hello, world!", ["Hello", ",", " world", "!"]),
        ("extraordinary", ["extraord", "inary"]),
        ("12345", ["123", "45"]),
        ("a  b", ["a", "  ", "b"]),
        ("snake_case", ["snake", "_", "case"]),
        ("naïve café", ["naïve", " café"]),
        ("line\nbreak", ["line", "\n", "break"]),
    ],
    ids=[
        "empty",
        "words",
        "punctuation",
        "long-word",
        "digits",
        "spaces",
        "underscore",
        "unicode",
        "newline",
    ],
)
def test_split_tokens_examples(text: str, pieces: list[str]) -> None:
    assert split_tokens(text) == pieces


def test_count_tokens_blue_giraffe_is_two() -> None:
    assert count_tokens("blue giraffe") == 2
