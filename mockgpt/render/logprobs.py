"""Synthetic log probabilities: deterministic, plausible values for the tokens of a text.

Shapes follow ``ChatCompletionTokenLogprob`` (chat) and the legacy ``logprobs`` object of
``CreateCompletionResponse``. A token's logprob depends only on the token, so streamed and
non-streamed answers agree.
"""

from __future__ import annotations

import hashlib

from mockgpt.tokens import split_tokens
from mockgpt.types import JSONObject, JSONValue


def _logprob(token: str, rank: int = 0) -> float:
    key = f"{rank}\x00{token}".encode("utf-8", "surrogatepass")
    digest = hashlib.blake2b(key, digest_size=4).digest()
    spread = int.from_bytes(digest, "little") / 2**32
    # The chosen token is likely (-0.0 .. -0.5); alternatives are less so, in rank order.
    return -round(spread * 0.5 + rank * 1.5, 6)


def _alternatives(token: str, count: int) -> list[str]:
    stem = token.strip() or token
    variants = [stem.upper(), stem.lower(), stem.capitalize(), stem + "s", " " + stem, stem[:1]]
    out: list[str] = []
    for v in variants:
        if v != token and v not in out:
            out.append(v)
    n = 0
    while len(out) < count:
        out.append(f"{stem}{n}")
        n += 1
    return out[:count]


def _bytes(token: str) -> JSONValue:
    # null when the token has no UTF-8 form (a lone surrogate), as the spec allows.
    try:
        return list[JSONValue](token.encode())
    except UnicodeEncodeError:
        return None


def chat_logprobs(text: str, top_logprobs: int) -> list[JSONValue]:
    """``logprobs.content`` entries for the tokens of ``text``.

    Args:
        text: a piece of the answer.
        top_logprobs: 0..20 alternatives per token, the chosen token first.

    Returns:
        ``[{"token", "logprob", "bytes", "top_logprobs": [{"token", "logprob", "bytes"}]}]``.
    """
    entries: list[JSONValue] = []
    for token in split_tokens(text):
        logprob = _logprob(token)
        top: list[JSONValue] = []
        if top_logprobs:
            top.append({"token": token, "logprob": logprob, "bytes": _bytes(token)})
            for rank, alt in enumerate(_alternatives(token, top_logprobs - 1), start=1):
                top.append({"token": alt, "logprob": _logprob(alt, rank), "bytes": _bytes(alt)})
        entries.append(
            {"token": token, "logprob": logprob, "bytes": _bytes(token), "top_logprobs": top}
        )
    return entries


def completion_logprobs(text: str, top: int, offset: int) -> JSONObject:
    """The legacy ``logprobs`` object for ``text`` starting at character ``offset``.

    Returns:
        ``{"tokens", "token_logprobs", "top_logprobs": [{token: logprob}], "text_offset"}``.
    """
    tokens = split_tokens(text)
    offsets = []
    pos = offset
    for token in tokens:
        offsets.append(pos)
        pos += len(token)
    top_list: list[JSONValue] = []
    for token in tokens:
        alts: JSONObject = {token: _logprob(token)}
        for rank, alt in enumerate(_alternatives(token, max(top - 1, 0)), start=1):
            alts[alt] = _logprob(alt, rank)
        top_list.append(alts)
    return {
        "tokens": list[JSONValue](tokens),
        "token_logprobs": [_logprob(t) for t in tokens],
        "top_logprobs": top_list if top else None,
        "text_offset": list[JSONValue](offsets),
    }
