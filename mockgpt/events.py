"""Canonical events: what an answer is, independent of its wire format.

A backend yields these; a renderer (``mockgpt.render``) turns them into a ``ChatCompletion``,
a ``ChatCompletionChunk`` stream or a legacy ``text_completion``. Each event names the
choice it belongs to (``choice``, 0 ..< n), so ``n > 1`` answers interleave freely.

Events are values: nothing changes one once made (the limits and quirks make new ones). They
are not ``frozen`` dataclasses only because a frozen one costs three times as much to make,
and a streamed answer makes one per token.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeAlias

from mockgpt.types import FinishReason


@dataclass(slots=True, unsafe_hash=True)
class TextDelta:
    """A piece of the assistant's text content for one choice.

    ``logprobs`` holds the piece's ``ChatCompletionTokenLogprob`` objects when a real model
    gave them (the proxy relays the upstream's); None lets the renderer synthesise them.
    """

    text: str
    choice: int = 0
    logprobs: tuple[Any, ...] | None = None


@dataclass(slots=True, unsafe_hash=True)
class ToolCallDelta:
    """A fragment of one tool call.

    The first fragment of a call carries ``id`` and ``name``; later fragments carry only more
    ``arguments`` text. ``index`` numbers the calls of one choice 0, 1, 2, ...; the joined
    ``arguments`` of a call is a JSON text.
    """

    index: int
    arguments: str
    id: str | None = None
    name: str | None = None
    choice: int = 0


@dataclass(slots=True, unsafe_hash=True)
class Refusal:
    """A piece of a refusal message (``message.refusal``) for one choice."""

    text: str
    choice: int = 0


@dataclass(slots=True, unsafe_hash=True)
class ReasoningDelta:
    """A piece of the reasoning summary of one choice, sent before its answer.

    ``part`` numbers the summary's parts 0, 1, 2, ... (the Responses API's ``summary_index``).
    An empty ``text`` marks reasoning that has no summary (the Responses API still sends the
    ``reasoning`` item, with ``summary: []``). Families without reasoning drop these events;
    the limits count their tokens as completion tokens (``Usage.reasoning_tokens``).
    """

    text: str
    choice: int = 0
    part: int = 0


@dataclass(slots=True, unsafe_hash=True)
class Finish:
    """The end of one choice, with its ``finish_reason``; exactly once per choice."""

    reason: FinishReason
    choice: int = 0


@dataclass(slots=True, unsafe_hash=True)
class Usage:
    """Token counts of the whole answer (all choices), in tokens.

    ``reasoning_tokens`` is the part of ``completion_tokens`` spent reasoning (0 for none);
    a backend's -1 leaves a count to the limits (``mockgpt.limits``).
    """

    prompt_tokens: int
    completion_tokens: int
    reasoning_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        """``prompt_tokens + completion_tokens``."""
        return self.prompt_tokens + self.completion_tokens


Event: TypeAlias = TextDelta | ReasoningDelta | ToolCallDelta | Refusal | Finish | Usage
"""Any canonical event."""
