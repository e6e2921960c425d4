"""``StubSpace``: the stubs added while serving, call counts and chaos state of one test id.

The shared space (test id None) holds the stubs added without a test id, and its match order
includes the loaded scenarios' stubs; ``StubRegistry`` keeps one space per test id besides.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Collection, Iterable

from mockgpt.scenarios.answer import LoadedStub
from mockgpt.scenarios.schema import Scenario

STUB_PARTS = ("sequences", "chaos", "stubs")
"""What a space can forget: call counts (sequence positions), chaos state, added stubs."""


class StubNotFound(LookupError):
    """No stub of that id is visible where it was asked for (an HTTP 404)."""


class StubConflict(ValueError):
    """A stub id is taken, or a shared stub was changed under a test id (an HTTP 409)."""


@dataclasses.dataclass(eq=False)
class StubSpace:
    """The run-time stubs, call counts and chaos state of one test id (or the shared space)."""

    test_id: str | None
    scenarios: list[Scenario] = dataclasses.field(default_factory=list)
    """Scenarios added while serving, in the order added (their fallback, defaults, chaos)."""
    added: list[LoadedStub] = dataclasses.field(default_factory=list)
    calls: dict[str, int] = dataclasses.field(default_factory=dict)
    chaos_rng: dict[int, tuple[Scenario, random.Random]] = dataclasses.field(default_factory=dict)
    """Each chaos scenario's random source, by ``id(scenario)`` (with the scenario)."""
    order: list[LoadedStub] = dataclasses.field(default_factory=list)
    """The space's own stubs in match order (the shared space's include the scenarios')."""
    quirks: frozenset[str] = frozenset()

    def rebuild(self, base: Iterable[LoadedStub] = ()) -> None:
        """Sort the stubs into match order: priority, then run-time ones first (stable)."""
        stubs = [*self.added, *base]
        self.order = sorted(stubs, key=lambda s: (-s.priority, s.source != "runtime"))
        self.quirks = frozenset(q for s in self.scenarios for q in s.quirks)

    def reset(self, parts: Collection[str] = STUB_PARTS) -> None:
        """Forget the ``parts`` (of ``STUB_PARTS``); call ``rebuild`` after ``stubs``."""
        if "sequences" in parts:
            self.calls.clear()
        if "chaos" in parts:
            self.chaos_rng.clear()
        if "stubs" in parts:
            self.added.clear()
            self.scenarios.clear()
