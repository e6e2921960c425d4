"""Property: the limiter's fast paths for ready answers give exactly what feeding each event
gives (the events passed on and the usage), for any text deltas, budgets and choices."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from mockgpt.events import Event, Finish, TextDelta, Usage
from mockgpt.limits import Limiter, limit_ready
from tests.support import examples

_texts = st.text(alphabet=st.sampled_from("ab1 .,\n-é"), max_size=12)


@st.composite
def _answers(draw: st.DrawFn) -> tuple[list[Event], int]:
    n = draw(st.integers(1, 3))
    events: list[Event] = []
    for choice in range(n):
        events += [TextDelta(t, choice) for t in draw(st.lists(_texts, max_size=6))]
        if draw(st.booleans()):
            events.append(Finish(draw(st.sampled_from(["stop", "content_filter"])), choice))
    if draw(st.booleans()):
        events.append(Usage(draw(st.integers(-1, 9)), draw(st.integers(-1, 9))))
    return events, n


@settings(max_examples=examples(400))
@given(answer=_answers(), max_tokens=st.none() | st.integers(0, 12))
def test_limit_ready_equals_feeding_each_event(
    answer: tuple[list[Event], int], max_tokens: int | None
) -> None:
    events, n = answer

    def limiter() -> Limiter:
        return Limiter(n=n, max_tokens=max_tokens, stops=(), prompt_tokens=5)

    slow = limiter()
    fed = [out for event in events for out in slow.feed(event)] + slow.close()

    assert list(limit_ready(events, limiter())) == fed
