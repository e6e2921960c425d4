"""The backend seam: ``Backend.respond(turn)`` -> events, ready or arriving over time."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any, Protocol

from mockgpt.events import Event
from mockgpt.turn import Turn


class Backend(Protocol):
    """Where answers come from: echo, scripted stubs, a proxy, a local model.

    A backend never builds wire JSON: it yields events and the renderer does the rest.
    """

    live: bool
    """True when events arrive over time (a proxy, a model): each is sent as it comes.
    False when all events are ready at once: an unpaced stream is then written in one go."""

    def respond(self, ctx: Turn) -> Sequence[Event] | AsyncIterator[Event]:
        """The events of the answer to ``ctx``; a ``Finish`` per choice.

        A sequence when every event is ready at once (``live`` False), an async iterator
        when they arrive over time (``live`` True).
        """
        ...


class PassThrough(Protocol):
    """A backend that can send a request upstream unchanged (the proxy)."""

    async def forward(self, method: str, path: str, body: Any = None) -> tuple[int, bytes]:
        """The upstream's status and body for ``method path`` with the JSON ``body``."""
        ...
