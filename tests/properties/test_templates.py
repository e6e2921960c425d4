"""Property: every byte template equals the renderer's object dumped, byte for byte.

The fast path writes the common shapes from templates that the renderers make themselves;
this checks them against ``dumps(build())`` (and each streamed frame against ``encode_sse``
of the fed chunks) for random models, ids, times, texts (lone surrogates, control characters,
quotes, non-ASCII), finish reasons and usage counts.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from mockgpt.events import Event, Finish, TextDelta, Usage
from mockgpt.render.chat import ChatChunkRenderer, ChatCompletionBuilder, ChatMeta
from mockgpt.sse import dumps, encode_sse
from tests.support import examples

_texts = st.text(alphabet=st.characters() | st.characters(categories=["Cs"]), max_size=30)
_reasons = st.sampled_from(["stop", "length", "content_filter"])
_counts = st.integers(0, 2**31)


@st.composite
def _metas(draw: st.DrawFn) -> ChatMeta:
    return ChatMeta(
        id=draw(_texts),
        created=draw(st.integers(0, 2**40)),
        model=draw(_texts),
        system_fingerprint=draw(_texts),
        include_usage=draw(st.booleans()),
    )


@settings(max_examples=examples(300))
@given(
    meta=_metas(),
    pieces=st.lists(_texts, max_size=5),
    reason=_reasons,
    usage=st.tuples(_counts, _counts) | st.none(),
)
def test_completion_body_template_equals_dumped_build(
    meta: ChatMeta, pieces: list[str], reason: str, usage: tuple[int, int] | None
) -> None:
    builder = ChatCompletionBuilder(meta, 1)
    for piece in pieces:
        builder.feed(TextDelta(piece))
    builder.feed(Finish(reason))  # type: ignore[arg-type]
    if usage is not None:
        builder.feed(Usage(*usage))

    assert builder.body() == dumps(builder.build())


@settings(max_examples=examples(300))
@given(meta=_metas(), pieces=st.lists(_texts, min_size=1, max_size=6), reason=_reasons)
def test_chunk_encode_equals_framed_feed(meta: ChatMeta, pieces: list[str], reason: str) -> None:
    encoded, fed = ChatChunkRenderer(meta, 1), ChatChunkRenderer(meta, 1)
    events: list[Event] = [TextDelta(p) for p in pieces]
    events += [Finish(reason), Usage(3, len(pieces))]  # type: ignore[arg-type]

    for event in events:
        assert encoded.encode(event) == b"".join(encode_sse(c) for c in fed.feed(event))
    assert encoded.encode_close() == b"".join(encode_sse(c) for c in fed.close())
