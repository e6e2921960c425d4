"""The reasoning events an answer starts with: a stub's ``respond.reasoning``, or the echo's.

The echo fallback reasons only when the request asks a reasoning model to: the model's name
(after any ``owner/`` prefix) starts with ``o`` and a digit (``o1``, ``o3-mini``,
``o4-mini``) or with ``gpt-5``, and the request sets ``reasoning.effort`` or
``reasoning.summary`` (Responses API) or ``reasoning_effort`` (chat completions) to anything
but ``none``. Its reasoning is a fixed sentence about the last user message, so the same
request always reasons the same way. As the Responses API does, the summary is sent only when
``reasoning.summary`` asks for it; the reasoning item and its tokens are there either way.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from mockgpt.events import ReasoningDelta
from mockgpt.tokens import count_tokens, split_tokens
from mockgpt.turn import Turn

_REASONING_MODEL = re.compile(r"^(?:.*/)?(?:o\d|gpt-5)", re.IGNORECASE)

ECHO_REASONING = "The user wrote {words} word(s); I answer with their message as written."
"""The echo fallback's reasoning summary; ``{words}`` is the last user message's word count."""


def is_reasoning_model(model: str) -> bool:
    """Whether ``model`` names a reasoning model: ``o<digit>...`` or ``gpt-5...``."""
    return _REASONING_MODEL.match(model) is not None


def _effort(ctx: Turn) -> tuple[bool, bool]:
    """(whether the request asks for reasoning, whether it asks for a summary)."""
    body = ctx.body
    if ctx.endpoint == "responses":
        settings = body.get("reasoning")
        if not isinstance(settings, dict):
            return False, False
        effort, summary = settings.get("effort"), settings.get("summary")
        if effort == "none":
            return False, False
        return effort is not None or summary is not None, summary is not None
    if ctx.endpoint == "chat.completions":
        effort = body.get("reasoning_effort")
        return effort is not None and effort != "none", True
    return False, False


def echo_reasoning(ctx: Turn) -> tuple[list[str], int] | None:
    """The echo's reasoning for ``ctx``: (summary parts, reasoning tokens), or None for none.

    The parts are empty when the request asks for no summary; the tokens are the sentence's.
    """
    if not is_reasoning_model(ctx.model):
        return None  # first: a chat body is decoded only for a reasoning model
    asks, summary = _effort(ctx)
    if not asks:
        return None
    text = ECHO_REASONING.format(words=len((ctx.last_user or "").split()))
    return ([text] if summary else []), count_tokens(text)


def reasoning_deltas(parts: list[str], choice: int, *, stream: bool) -> Iterator[ReasoningDelta]:
    """The events of one choice's reasoning summary.

    One per token of each part when streamed, one per part otherwise; one empty event when
    there is no summary.
    """
    if not any(parts):
        yield ReasoningDelta("", choice)
        return
    for index, part in enumerate(p for p in parts if p):
        for piece in split_tokens(part) if stream else [part]:
            yield ReasoningDelta(piece, choice, index)
