"""``mockgpt.sse.pace`` with a fake clock: the delays are recorded, never waited."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator

import pytest

from mockgpt.sse import pace

pytestmark = pytest.mark.anyio

FRAMES = [b"data: 1\n\n", b"data: 2\n\n", b"data: 3\n\n", b"data: [DONE]\n\n"]


class FakeClock:
    """Records each sleep in ``log`` (in order with the frames a test reads) and returns."""

    def __init__(self, log: list[object]) -> None:
        self.log = log

    async def sleep(self, seconds: float) -> None:
        self.log.append(seconds)


async def _frames(frames: list[bytes] = FRAMES) -> AsyncIterator[bytes]:
    for frame in frames:
        yield frame


async def _read(
    ttft_ms: float, tokens_per_second: float, frames: list[bytes] = FRAMES
) -> list[object]:
    log: list[object] = []
    paced = pace(
        _frames(frames), ttft_ms=ttft_ms, tokens_per_second=tokens_per_second, clock=FakeClock(log)
    )
    async for frame in paced:
        log.append(frame)
    return log


async def test_pace_waits_ttft_then_one_gap_per_frame() -> None:
    log = await _read(ttft_ms=250, tokens_per_second=4)

    assert log == [0.25, FRAMES[0], 0.25, FRAMES[1], 0.25, FRAMES[2], 0.25, FRAMES[3]]


async def test_pace_gap_is_one_over_tokens_per_second() -> None:
    log = await _read(ttft_ms=100, tokens_per_second=20)

    sleeps = [entry for entry in log if isinstance(entry, float)]
    assert sleeps[0] == pytest.approx(0.1)
    assert sleeps[1:] == [pytest.approx(0.05)] * 3


async def test_pace_without_ttft_sends_the_first_frame_at_once() -> None:
    log = await _read(ttft_ms=0, tokens_per_second=10)

    assert log == [FRAMES[0], 0.1, FRAMES[1], 0.1, FRAMES[2], 0.1, FRAMES[3]]


async def test_pace_infinite_rate_only_waits_ttft() -> None:
    log = await _read(ttft_ms=30, tokens_per_second=math.inf)

    assert log == [0.03, *FRAMES]


async def test_pace_unpaced_never_sleeps() -> None:
    log = await _read(ttft_ms=0, tokens_per_second=math.inf)

    assert log == FRAMES


async def test_pace_empty_stream_never_sleeps() -> None:
    log = await _read(ttft_ms=500, tokens_per_second=1, frames=[])

    assert log == []


@pytest.mark.parametrize(
    ("ttft_ms", "tokens_per_second"),
    [(0, 0), (0, -1), (-1, 10), (0, math.nan), (math.nan, 10), (-math.inf, 10)],
    ids=["rate-zero", "rate-negative", "ttft-negative", "rate-nan", "ttft-nan", "ttft-minus-inf"],
)
async def test_pace_rejects_bad_arguments(ttft_ms: float, tokens_per_second: float) -> None:
    log: list[object] = []
    paced = pace(
        _frames(), ttft_ms=ttft_ms, tokens_per_second=tokens_per_second, clock=FakeClock(log)
    )

    with pytest.raises(ValueError, match="must be"):
        await paced.__anext__()
    assert log == []
