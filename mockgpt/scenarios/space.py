"""``StubSpace``: the stubs added while serving, call counts and chaos state of one test id.

The shared space (test id None) holds the stubs added without a test id, and its match order
includes the loaded scenarios' stubs; ``StubRegistry`` keeps one space per test id besides.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Collection, Iterable
from typing import Any, Protocol

from mockgpt.scenarios.answer import LoadedStub, Selection
from mockgpt.scenarios.schema import Scenario

STUB_PARTS = ("sequences", "chaos", "stubs")
"""What a space can forget: call counts (sequence positions), chaos state, added stubs."""


class StubNotFound(LookupError):
    """No stub of that id is visible where it was asked for (an HTTP 404)."""


class StubConflict(ValueError):
    """A stub id is taken, or a shared stub was changed under a test id (an HTTP 409)."""


class RemoteCounts(Protocol):
    """What a shared state (``--state redis://...``) does for ``StubRegistry``.

    In memory (one process) there is none: the registry counts in its spaces.
    """

    def count(self, test_id: str | None, stub_id: str) -> int:
        """Count one call of ``stub_id`` in ``test_id``'s space, atomically; the calls so far.

        Raises:
            RequestRejected: 503 when the store does not answer.
        """

    def chaos_draw(self, test_id: str | None, scenario: str, seed: int | None) -> random.Random:
        """The random source of the next chaos draw of ``scenario`` in ``test_id``'s space."""

    def changed(self, op: str, test_id: str | None, **fields: Any) -> None:
        """Note a change for the other processes.

        ``add`` (``scenario``, ``priority``), ``replace`` (``stub_id``, ``stub``), ``delete``
        (``stub_id``), ``delete_added`` (``every``), ``reset`` (``parts``).
        """


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

    def chaos_source(self, scenario: Scenario, seed: int | None) -> random.Random:
        """The random source of ``scenario``'s chaos in this space, made on first use."""
        # by scenario, not position: adding a scenario must not restart or swap sequences
        known = self.chaos_rng.get(id(scenario))
        if known is None or known[0] is not scenario:
            known = self.chaos_rng[id(scenario)] = (scenario, random.Random(seed))
        return known[1]

    def reset(self, parts: Collection[str] = STUB_PARTS) -> None:
        """Forget the ``parts`` (of ``STUB_PARTS``); call ``rebuild`` after ``stubs``."""
        if "sequences" in parts:
            self.calls.clear()
        if "chaos" in parts:
            self.chaos_rng.clear()
        if "stubs" in parts:
            self.added.clear()
            self.scenarios.clear()


def draw_chaos(
    selection: Selection, scenarios: list[Scenario], space: StubSpace, remote: RemoteCounts | None
) -> bool:
    """Draw the first chaos scenario's fault into ``selection``; whether any has chaos.

    ``remote`` (a shared state) gives the random source of each draw; else ``space``.
    """
    for scenario in scenarios:
        chaos = scenario.chaos
        if chaos is None:
            continue
        if remote is not None:
            rng = remote.chaos_draw(space.test_id, scenario.name, chaos.seed)
        else:
            rng = space.chaos_source(scenario, chaos.seed)
        hit = rng.random() < chaos.rate
        if hit and selection.fault is None and selection.error is None:
            selection.fault = rng.choice(chaos.faults)
        return True
    return False
