"""Deterministic token counts.

mockgpt has no model tokenizer (tiktoken needs its encodings from the network). It splits text
into pieces that behave like BPE tokens of English text: a word of up to 8 letters with its
leading space, up to 3 digits, a run of up to 4 punctuation marks, or a run of whitespace.
Long words count as several tokens. The same text always gives the same pieces, and the
pieces joined give the text back, so the echo backend streams one piece per chunk and usage
counts what was streamed.
"""

from __future__ import annotations

import re
from functools import lru_cache

_PIECE = re.compile(r" ?[^\W\d_]{1,8}| ?\d{1,3}| ?[^\w\s]{1,4}| ?_{1,8}|\s+")

MESSAGE_OVERHEAD_TOKENS = 3
"""Tokens a chat message costs beyond its text (role and separators), as OpenAI counts them."""
REPLY_PRIMING_TOKENS = 3
"""Tokens every chat prompt costs for priming the assistant's reply."""


def split_tokens(text: str) -> list[str]:
    """Split ``text`` into token pieces; ``"".join(split_tokens(t)) == t``."""
    return list(token_pieces(text))


@lru_cache(maxsize=1024)
def token_pieces(text: str) -> tuple[str, ...]:
    """``split_tokens(text)`` as a tuple, cached.

    An answer's text is split once however often the limits, the stream and usage read it.
    """
    return tuple(_PIECE.findall(text))


@lru_cache(maxsize=4096)
def count_tokens(text: str) -> int:
    """Number of tokens in ``text`` (>= 0)."""
    return len(token_pieces(text))


def prefix_tokens(text: str, limit: int) -> str:
    """The longest prefix of ``text`` that is at most ``limit`` tokens."""
    return "".join(split_tokens(text)[:limit])
