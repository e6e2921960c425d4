"""Ids and timestamps of everything mockgpt makes: random, or reproducible from a seed.

Every id (``chatcmpl-…``, ``resp_…``, ``msg_…``, ``req_…``, assistants' ``asst_…``) and every
``created``/``created_at`` comes from the ``IdSource`` of the server answering the request
(``current()``; the dispatcher sets it for each request). Unseeded, ids are random hex from a
Mersenne Twister seeded once from the OS (no system call per id; they are unique, not
secret) and timestamps are the wall clock. Seeded (``ServerConfig.seed``: the scenario's
``seed``, ``--seed`` or the plugin's ``seed`` marker argument), the same requests in the same
order get the same ids, and the clock starts at ``SEEDED_EPOCH_S`` and moves one second per
timestamp read, so snapshot tests of what an application stored are exact.
"""

from __future__ import annotations

import random
import time
from contextvars import ContextVar

SEEDED_EPOCH_S = 1_735_689_600
"""Where a seeded clock starts: 2025-01-01T00:00:00Z, in Unix seconds."""


class IdSource:
    """Random hex for ids and a clock for timestamps; reproducible when seeded.

    Args:
        seed: None for random ids and the wall clock; an integer for reproducible ones.
    """

    def __init__(self, seed: int | None = None) -> None:
        self.seed = seed
        self._random = random.Random(seed)
        self._ticks = 0

    def reset(self) -> None:
        """Start the sequence again (seeded: the ids and clock of a fresh server)."""
        self._random = random.Random(self.seed)
        self._ticks = 0

    def hex(self, chars: int) -> str:
        """``chars`` lower-case hex digits."""
        return f"{self._random.getrandbits(chars * 4):0{chars}x}"

    def now(self) -> int:
        """The time in whole Unix seconds (seeded: ``SEEDED_EPOCH_S`` + timestamps read)."""
        if self.seed is None:
            return int(time.time())
        self._ticks += 1
        return SEEDED_EPOCH_S + self._ticks

    def now_ns(self) -> int:
        """The time in Unix nanoseconds (seeded: ``now()`` in nanoseconds)."""
        if self.seed is None:
            return time.time_ns()
        return self.now() * 1_000_000_000


UNSEEDED = IdSource()
"""The process's random id source: outside a request, and for what no seed should order."""
_CURRENT: ContextVar[IdSource] = ContextVar("mockgpt_ids", default=UNSEEDED)


def current() -> IdSource:
    """The id source of the server answering this request (a random one outside a request)."""
    return _CURRENT.get()


def use(source: IdSource) -> None:
    """Make ``source`` the id source of the running task (the dispatcher, per request)."""
    _CURRENT.set(source)


def new_hex(chars: int) -> str:
    """``chars`` hex digits from the current id source."""
    return _CURRENT.get().hex(chars)


def now() -> int:
    """The current id source's time, whole Unix seconds."""
    return _CURRENT.get().now()


def now_ns() -> int:
    """The current id source's time, Unix nanoseconds."""
    return _CURRENT.get().now_ns()
