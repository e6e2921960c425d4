"""Generation limits applied to any backend's events: ``max_tokens`` and ``stop``.

It also counts the ``Usage`` event when the backend gives none. Reasoning (``ReasoningDelta``)
comes before a choice's answer: its tokens count against the choice's budget, as the answer's
do, and in ``Usage.reasoning_tokens`` as well as ``completion_tokens``.

Spec: ``CreateChatCompletionRequest.max_completion_tokens`` ("an upper bound for the number of
tokens that can be generated"; hitting it gives ``finish_reason: "length"``) and ``stop``
("the returned text will not contain the stop sequence"; ``finish_reason: "stop"``).
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Iterable, Sequence
from dataclasses import dataclass, field

from mockgpt.events import Event, Finish, ReasoningDelta, Refusal, TextDelta, ToolCallDelta, Usage
from mockgpt.tokens import count_tokens, prefix_tokens, token_pieces
from mockgpt.types import FinishReason


@dataclass
class _ChoiceState:
    text: str = ""
    pieces: list[str] = field(default_factory=list)
    sent: int = 0
    other_tokens: int = 0
    done: bool = False


class Limiter:
    """Cuts each choice at ``max_tokens`` and before a stop sequence; counts usage.

    Text is held back only while its tail could still become a stop sequence, so a stream
    keeps flowing. ``feed`` takes one event and returns the events to pass on; ``close``
    returns the ``Usage`` event (the backend's own, or counted here).

    Args:
        n: number of choices.
        max_tokens: completion tokens per choice, None for no limit.
        stops: stop sequences (non-empty strings).
        prompt_tokens: tokens of the prompt, for the usage count.
    """

    def __init__(
        self, *, n: int, max_tokens: int | None, stops: Sequence[str], prompt_tokens: int
    ) -> None:
        self.max_tokens = max_tokens
        self.stops = tuple(stops)
        self.prompt_tokens = prompt_tokens
        self.choices = [_ChoiceState() for _ in range(n)]
        self.usage: Usage | None = None
        self.reasoning_tokens = 0
        """Tokens of the reasoning passed on, all choices."""

    def _budget(self, state: _ChoiceState) -> int | None:
        if self.max_tokens is None:
            return None
        return max(self.max_tokens - state.other_tokens, 0)

    def _release(
        self, state: _ChoiceState, index: int, final: bool
    ) -> tuple[str, FinishReason | None]:
        """Text of this choice that can go out now, and a finish reason if it ended."""
        text = state.text
        budget = self._budget(state)
        over_budget = budget is not None and len(state.pieces) > budget
        if budget is not None and over_budget:
            # The first `budget` pieces are final: more text follows them. A model stops
            # after them, so only a stop sequence complete within them counts.
            text = text[: len("".join(state.pieces[:budget]))]
        end = len(text)
        reason: FinishReason | None = None
        stop_at = self._first_stop(text, state.pieces)
        if stop_at >= 0:
            end, reason = stop_at, "stop"
        elif over_budget:
            reason = "length"
        elif not final:
            for stop in self.stops:
                for k in range(min(len(stop) - 1, len(text)), 0, -1):
                    if text.endswith(stop[:k]):
                        end = min(end, len(text) - k)
                        break
            # Hold back the whole token a possible stop begins in: deltas stay whole tokens,
            # so streamed logprobs name the same tokens as the unstreamed answer's.
            if end < len(text):
                end = _token_start(state.pieces, end)
        piece = text[state.sent : max(end, state.sent)]
        state.sent = max(end, state.sent)
        return piece, reason

    def _first_stop(self, text: str, pieces: list[str]) -> int:
        """Where ``text`` ends at the stop a model checking after each token meets first.

        That is the earliest stop in the text up to the first token that completes one
        (a stop that starts earlier but completes later is never reached); -1 if none.
        """
        ends = [i + len(s) for i, s in ((text.find(s), s) for s in self.stops) if i >= 0]
        if not ends:
            return -1
        boundary = 0
        for piece in pieces:
            boundary += len(piece)
            if boundary >= min(ends):
                break
        seen = text[: max(boundary, min(ends))]
        return min(i for i in (seen.find(s) for s in self.stops) if i >= 0)

    def _add_text(self, state: _ChoiceState, text: str) -> None:
        tail = state.pieces.pop() if state.pieces else ""
        state.pieces.extend(token_pieces(tail + text))
        state.text += text

    def _finish(self, state: _ChoiceState, index: int, reason: FinishReason) -> list[Event]:
        state.done = True
        return [Finish(reason, index)]

    @property
    def unlimited(self) -> bool:
        """Whether nothing can cut the answer (no ``max_tokens``, no stop sequences)."""
        return self.max_tokens is None and not self.stops

    def feed(self, event: Event) -> list[Event]:
        """The events to pass on for ``event``."""
        if isinstance(event, Usage):
            self.usage = event
            return []
        if self.unlimited:
            return self._pass(event)
        index = event.choice
        state = self.choices[index]
        if state.done:
            return []
        out: list[Event] = []
        if isinstance(event, TextDelta):
            self._add_text(state, event.text)
            piece, reason = self._release(state, index, final=False)
            if piece:
                out.append(TextDelta(piece, index))
            if reason:
                out.extend(self._finish(state, index, reason))
            return out
        # Any other event ends the text run: what was held back goes out first.
        piece, reason = self._release(state, index, final=True)
        if piece:
            out.append(TextDelta(piece, index))
        if reason:
            return [*out, *self._finish(state, index, reason)]
        if isinstance(event, Finish):
            return [*out, *self._finish(state, index, event.reason)]
        budget = self._budget(state)
        if isinstance(event, ToolCallDelta):
            cost = count_tokens(event.arguments)
        else:
            assert isinstance(event, Refusal | ReasoningDelta)
            cost = count_tokens(event.text)
        text_tokens = count_tokens(state.text[: state.sent])
        if budget is not None and text_tokens + cost > budget:
            keep = max(budget - text_tokens, 0)
            cut: Event
            if isinstance(event, ToolCallDelta):
                cut = ToolCallDelta(
                    event.index, prefix_tokens(event.arguments, keep), event.id, event.name, index
                )
            elif isinstance(event, ReasoningDelta):
                cut = ReasoningDelta(prefix_tokens(event.text, keep), index, event.part)
                self.reasoning_tokens += keep
            else:
                cut = Refusal(prefix_tokens(event.text, keep), index)
            state.other_tokens += keep
            return [*out, cut, *self._finish(state, index, "length")]
        state.other_tokens += cost
        if isinstance(event, ReasoningDelta):
            self.reasoning_tokens += cost
        return [*out, event]

    def _pass(self, event: Event) -> list[Event]:
        # Nothing to cut: only remember what usage has to count.
        assert not isinstance(event, Usage)
        state = self.choices[event.choice]
        if state.done:
            return []
        if isinstance(event, TextDelta):
            state.pieces.append(event.text)
        elif isinstance(event, Finish):
            state.done = True
            state.text = "".join(state.pieces)
            state.sent = len(state.text)
        elif isinstance(event, ToolCallDelta):
            state.other_tokens += count_tokens(event.arguments)
        else:
            cost = count_tokens(event.text)
            state.other_tokens += cost
            if isinstance(event, ReasoningDelta):
                self.reasoning_tokens += cost
        return [event]

    def close(self) -> list[Event]:
        """Flush choices the backend left open (each gets ``stop``) and give the ``Usage``.

        A backend's reasoning count replaces the tokens of the reasoning text in the counted
        completion tokens (a stub's ``reasoning.tokens`` may differ from its text's).
        """
        out: list[Event] = []
        for index, state in enumerate(self.choices):
            if not state.done:
                out.extend(self.feed(Finish("stop", index)))
        usage = self.usage
        if (
            self.unlimited
            and usage is not None
            and min(usage.prompt_tokens, usage.completion_tokens, usage.reasoning_tokens) >= 0
        ):
            out.append(usage)  # the backend counted everything itself
            return out
        counted = self.reasoning_tokens
        given = -1 if usage is None else usage.reasoning_tokens
        reasoning = counted if given < 0 else given
        completion = sum(count_tokens(s.text[: s.sent]) + s.other_tokens for s in self.choices)
        completion += reasoning - counted
        if usage is None:
            self.usage = Usage(self.prompt_tokens, completion, reasoning)
        else:  # a backend's own counts; -1 marks a count it leaves to us
            self.usage = Usage(
                self.prompt_tokens if usage.prompt_tokens < 0 else usage.prompt_tokens,
                completion if usage.completion_tokens < 0 else usage.completion_tokens,
                reasoning,
            )
        out.append(self.usage)
        return out


def _token_start(pieces: list[str], position: int) -> int:
    """The start of the token (piece) that holds character ``position``."""
    start = 0
    for piece in pieces:
        if start + len(piece) > position:
            break
        start += len(piece)
    return start


def limit_ready(events: Iterable[Event], limiter: Limiter) -> tuple[Event, ...]:
    """``events`` (all ready) passed through ``limiter``, ending with its ``Usage`` event.

    Two fast paths give exactly what feeding each event would: with nothing to cut the events
    only pass and are counted, in one loop; with a ``max_tokens`` and no stop sequence, an
    answer of text only is cut once, where its joined text reaches the budget.
    """
    events = tuple(events)
    if limiter.unlimited:
        out = _pass_ready(events, limiter)
    elif not limiter.stops and all(type(e) in _TEXT_ONLY for e in events):
        out = _cut_ready(events, limiter)
    else:
        out = [cut for event in events for cut in limiter.feed(event)]
    out.extend(limiter.close())
    return tuple(out)


_TEXT_ONLY = (TextDelta, Finish, Usage)


def _pass_ready(events: tuple[Event, ...], limiter: Limiter) -> list[Event]:
    """``Limiter.feed`` for each event when nothing can cut: only passed and counted."""
    out: list[Event] = []
    for event in events:
        if isinstance(event, Usage):
            limiter.usage = event
        else:
            out.extend(limiter._pass(event))
    return out


def _cut_ready(events: tuple[Event, ...], limiter: Limiter) -> list[Event]:
    """Text-only events cut at ``max_tokens`` per choice (no stop sequences)."""
    budget = limiter.max_tokens
    assert budget is not None
    texts: dict[int, list[str]] = {}
    for event in events:
        if isinstance(event, TextDelta):
            texts.setdefault(event.choice, []).append(event.text)
    cuts: dict[int, int] = {}  # choice -> characters kept, for the choices over budget
    for choice, parts in texts.items():
        pieces = token_pieces("".join(parts))
        if len(pieces) > budget:
            cuts[choice] = len("".join(pieces[:budget]))
    out: list[Event] = []
    choices = limiter.choices
    for event in events:
        if isinstance(event, Usage):
            limiter.usage = event
            continue
        index = event.choice
        state = choices[index]
        if state.done:
            continue
        if isinstance(event, Finish):
            out.append(event)
            state.done = True
            continue
        assert isinstance(event, TextDelta)
        text = event.text
        cut = cuts.get(index)
        if cut is not None and state.sent + len(text) >= cut:
            text = text[: cut - state.sent]
            if text:
                out.append(TextDelta(text, index))
            state.sent += len(text)
            out.append(Finish("length", index))
            state.done = True
        elif text:
            out.append(event)
            state.sent += len(text)
        state.text += text
    return out


async def limited(events: AsyncIterable[Event], limiter: Limiter) -> AsyncIterator[Event]:
    """``events`` passed through ``limiter``, ending with its ``Usage`` event."""
    async for event in events:
        for out in limiter.feed(event):
            yield out
    for out in limiter.close():
        yield out
