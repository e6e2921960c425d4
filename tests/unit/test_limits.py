"""``mockgpt.limits.Limiter``: ``max_tokens``, stop sequences, hold-back and usage."""

from __future__ import annotations

from collections.abc import Sequence

import anyio
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mockgpt.events import Event, Finish, Refusal, TextDelta, ToolCallDelta, Usage
from mockgpt.limits import Limiter, limited
from mockgpt.tokens import split_tokens
from tests.support import reference_answer


def _limiter(max_tokens: int | None = None, stops: Sequence[str] = (), n: int = 1) -> Limiter:
    return Limiter(n=n, max_tokens=max_tokens, stops=stops, prompt_tokens=7)


def _run(limiter: Limiter, events: Sequence[Event]) -> list[Event]:
    out: list[Event] = []
    for event in events:
        out.extend(limiter.feed(event))
    out.extend(limiter.close())
    return out


def _echo(text: str, choice: int = 0) -> list[Event]:
    """What the echo backend yields for ``text``: one delta per token, then ``stop``."""
    return [*(TextDelta(p, choice) for p in split_tokens(text)), Finish("stop", choice)]


def _text(events: Sequence[Event], choice: int = 0) -> str:
    return "".join(e.text for e in events if isinstance(e, TextDelta) and e.choice == choice)


def _finishes(events: Sequence[Event], choice: int = 0) -> list[str]:
    return [e.reason for e in events if isinstance(e, Finish) and e.choice == choice]


def test_limiter_passes_text_through_and_counts_usage() -> None:
    out = _run(_limiter(), _echo("blue giraffe"))

    assert out == [TextDelta("blue"), TextDelta(" giraffe"), Finish("stop"), Usage(7, 2)]


def test_limiter_max_tokens_cuts_with_length() -> None:
    out = _run(_limiter(max_tokens=2), _echo("one two three four"))

    assert out == [TextDelta("one"), TextDelta(" two"), Finish("length"), Usage(7, 2)]


def test_limiter_max_tokens_equal_to_answer_finishes_with_stop() -> None:
    out = _run(_limiter(max_tokens=2), _echo("blue giraffe"))

    assert _text(out) == "blue giraffe"
    assert _finishes(out) == ["stop"]


def test_limiter_ignores_events_after_a_choice_ended() -> None:
    limiter = _limiter(max_tokens=1)

    first = limiter.feed(TextDelta("one"))
    cut = limiter.feed(TextDelta(" two"))
    after = [*limiter.feed(TextDelta(" three")), *limiter.feed(Finish("stop"))]

    assert first == [TextDelta("one")]
    assert cut == [Finish("length")]
    assert after == []
    assert limiter.close() == [Usage(7, 1)]


def test_limiter_stop_sequence_ends_text_before_it() -> None:
    out = _run(_limiter(stops=[" three"]), _echo("one two three four"))

    assert _text(out) == "one two"
    assert _finishes(out) == ["stop"]
    assert out[-1] == Usage(7, 2)


def test_limiter_earliest_stop_sequence_wins() -> None:
    out = _run(_limiter(stops=["four", "o t"]), _echo("one two three four"))

    assert _text(out) == "one tw"
    assert _finishes(out) == ["stop"]


def test_limiter_holds_back_the_token_a_possible_stop_begins_in() -> None:
    limiter = _limiter(stops=["STOP"])

    assert limiter.feed(TextDelta("ab")) == [TextDelta("ab")]
    assert limiter.feed(TextDelta(" ST")) == []
    assert limiter.feed(TextDelta("O")) == []
    assert limiter.feed(TextDelta("x")) == [TextDelta(" STOx")]


def test_limiter_hold_back_keeps_deltas_whole_tokens() -> None:
    """ "a" could start "a c", but it is released with its token "xa", never split off it."""
    out = _run(_limiter(stops=["a c"]), _echo("xa by"))

    assert out == [TextDelta("xa by"), Finish("stop"), Usage(7, 2)]


def test_limiter_stop_split_across_deltas_is_never_sent() -> None:
    limiter = _limiter(stops=["STOP"])

    sent = [*limiter.feed(TextDelta("ab ST")), *limiter.feed(TextDelta("OP cd"))]

    assert sent == [TextDelta("ab"), TextDelta(" "), Finish("stop")]


def test_limiter_close_flushes_held_back_text() -> None:
    limiter = _limiter(stops=["STOP"])

    held = limiter.feed(TextDelta("ab S"))
    closed = limiter.close()

    assert held == [TextDelta("ab")]
    assert closed == [TextDelta(" S"), Finish("stop"), Usage(7, 2)]


@pytest.mark.parametrize("whole", [False, True], ids=["token-deltas", "one-delta"])
def test_limiter_first_completed_stop_wins(whole: bool) -> None:
    """ "01" completes in the first token "001"; "0010", though it starts earlier, never does."""
    events = [TextDelta("0010"), Finish("stop")] if whole else _echo("0010")

    out = _run(_limiter(stops=["0010", "01"]), events)

    assert (_text(out), _finishes(out)) == ("0", ["stop"])


def test_limiter_finish_flushes_held_back_text_first() -> None:
    limiter = _limiter(stops=["STOP"])
    limiter.feed(TextDelta("ST"))

    assert limiter.feed(Finish("stop")) == [TextDelta("ST"), Finish("stop")]


def test_limiter_keeps_the_backends_usage() -> None:
    out = _run(_limiter(), [TextDelta("hi"), Usage(100, 50), Finish("stop")])

    assert out[-1] == Usage(100, 50)
    assert Usage(100, 50) not in out[:-1]


def test_limiter_choices_are_independent() -> None:
    events = [*_echo("one two three", 0), *_echo("alpha beta", 1)]

    out = _run(_limiter(max_tokens=2, stops=["beta"], n=2), events)

    assert (_text(out, 0), _finishes(out, 0)) == ("one two", ["length"])
    assert (_text(out, 1), _finishes(out, 1)) == ("alpha ", ["stop"])
    assert out[-1] == Usage(7, 4)


def test_limiter_tool_call_arguments_are_cut_at_the_budget() -> None:
    events: list[Event] = [
        ToolCallDelta(0, '{"city": ', id="call_1", name="weather"),
        ToolCallDelta(0, '"Paris", "unit": "c"}'),
        Finish("tool_calls"),
    ]

    out = _run(_limiter(max_tokens=6), events)

    calls = [e for e in out if isinstance(e, ToolCallDelta)]
    assert "".join(c.arguments for c in calls) == '{"city": "Paris'
    assert calls[0].id == "call_1"
    assert _finishes(out) == ["length"]
    assert out[-1] == Usage(7, 6)


def test_limiter_refusal_within_budget_passes() -> None:
    out = _run(_limiter(max_tokens=10), [Refusal("I can't"), Finish("stop")])

    assert out == [Refusal("I can't"), Finish("stop"), Usage(7, 4)]


def test_limiter_refusal_over_budget_is_cut() -> None:
    out = _run(_limiter(max_tokens=2), [Refusal("I cannot help"), Finish("stop")])

    assert out == [Refusal("I cannot"), Finish("length"), Usage(7, 2)]


@pytest.mark.anyio
async def test_limited_wraps_an_event_stream() -> None:
    async def events() -> object:
        for event in _echo("one two three"):
            yield event
            await anyio.lowlevel.checkpoint()

    out = [event async for event in limited(events(), _limiter(max_tokens=1))]

    assert out == [TextDelta("one"), Finish("length"), Usage(7, 1)]


_words = st.sampled_from(["a", "b", "ab", " ", "ba", "abc", "  ", ",", "1", "x_y", "é", "\n"])
_texts = st.lists(_words, max_size=20).map("".join)


@given(
    text=_texts,
    max_tokens=st.none() | st.integers(min_value=1, max_value=12),
    stops=st.lists(st.lists(_words, min_size=1, max_size=3).map("".join), max_size=4),
    whole=st.booleans(),
)
def test_limiter_matches_a_token_by_token_model(
    text: str, max_tokens: int | None, stops: list[str], whole: bool
) -> None:
    """The limiter cuts exactly where a model generating token by token would stop.

    A stop sequence only counts when it is complete within the first ``max_tokens`` tokens,
    and the answer is the same whether the text comes one token per delta or in one delta.
    """
    events = [TextDelta(text), Finish("stop")] if whole else _echo(text)

    out = _run(_limiter(max_tokens=max_tokens, stops=stops), events)

    assert (_text(out), *_finishes(out)) == reference_answer(text, max_tokens, stops)
    assert isinstance(out[-1], Usage)
    deltas = [e.text for e in out if isinstance(e, TextDelta)]
    assert [t for d in deltas for t in split_tokens(d)] == split_tokens("".join(deltas))
