"""The stubs a server answers from, with their call counts, sequences and chaos, per test id.

``StubRegistry.select(request, test_id)`` asks each stub's matcher in match order; the first
match answers (its ``respond``, or the next answer of its ``sequence``). If none does, the
fallback answers and every stub's near-miss reason is kept for the journal and strict tests.

Stubs live in *spaces*: the shared one (the scenarios loaded at start, and stubs added while
serving with no test id) and one per test id (the ``X-Mockgpt-Test`` header). A request with a
test id tries that id's stubs first, then the shared ones; it counts calls (sequence positions)
and draws chaos in its own space, for the shared stubs too, so parallel tests never move each
other's sequences. A request without one costs what it did before spaces existed.

Within a space, a higher ``priority`` is tried first; at equal priority, stubs added while
serving (in the order added) come before the loaded scenarios' (in file order).
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Collection, Iterable, Iterator
from itertools import chain

from mockgpt.bounded import Bounded
from mockgpt.scenarios.answer import LoadedStub, Selection, answer, fallback
from mockgpt.scenarios.matchers import CompiledMatch, MatchResult, MatchView, compile_match
from mockgpt.scenarios.schema import Scenario, Stub
from mockgpt.scenarios.space import (
    STUB_PARTS,
    RemoteCounts,
    StubConflict,
    StubNotFound,
    StubSpace,
    draw_chaos,
)

MAX_TEST_IDS = 10_000
"""Test ids whose stubs and counts are kept; the oldest id is forgotten past it."""


class StubRegistry:
    """The loaded scenarios and the stubs added while serving, in match order, per test id.

    Safe to use from two threads (a test adding stubs while the server answers).

    Args:
        scenarios: scenarios whose stubs are searched in order.
    """

    def __init__(self, scenarios: Iterable[Scenario] = ()) -> None:
        self._lock = threading.RLock()
        self._base: list[Scenario] = list(scenarios)
        self._shared = StubSpace(None)
        self._spaces: Bounded[str, StubSpace] = Bounded(MAX_TEST_IDS)
        self._overrides: dict[str, Stub] = {}
        """Scenario stubs replaced while serving (``PUT``), by id."""
        self._hidden: set[str] = set()
        """Scenario stubs deleted while serving, by id."""
        self._matchers: dict[int, tuple[Stub, CompiledMatch]] = {}
        self._plain_fallback: Selection | None = None
        """What answers when there is nothing to match, decided once per load."""
        self.remote: RemoteCounts | None = None
        """The shared state (``--state``): counts sequence calls, draws chaos, hears of each
        change for the other processes; None in memory (one process)."""
        self._rebuild()

    # -- loading -----------------------------------------------------------------------
    def _compiled(self, stub: Stub, cache: dict[int, tuple[Stub, CompiledMatch]]) -> CompiledMatch:
        """The stub's compiled matcher, compiled once per stub object."""
        known = self._matchers.get(id(stub))
        compiled = known[1] if known is not None and known[0] is stub else compile_match(stub.match)
        cache[id(stub)] = (stub, compiled)
        return compiled

    def _rebuild(self) -> None:
        """Rebuild the shared match order (the loaded scenarios, overrides, shared stubs)."""
        cache: dict[int, tuple[Stub, CompiledMatch]] = {}
        base: list[LoadedStub] = []
        for scenario in self._base:
            for index, stub in enumerate(scenario.stubs):
                stub_id = stub.id or f"{scenario.name}.stubs[{index}]"
                if stub_id in self._hidden:
                    continue
                stub = self._overrides.get(stub_id, stub)
                base.append(LoadedStub(stub_id, stub, scenario, self._compiled(stub, cache)))
        self._matchers = cache
        self._shared.rebuild(base)
        self._shared_scenarios = [*self._shared.scenarios, *self._base]
        self.quirks: frozenset[str] = frozenset(q for s in self._shared_scenarios for q in s.quirks)
        self._plain_fallback = None

    def _all_spaces(self) -> Iterator[StubSpace]:
        yield self._shared
        yield from self._spaces.values()

    def _space(self, test_id: str | None, *, create: bool = True) -> StubSpace | None:
        if test_id is None:
            return self._shared
        space = self._spaces.get(test_id)
        if space is None and create:
            with self._lock:
                space = self._spaces.get(test_id)
                if space is None:
                    space = self._spaces[test_id] = StubSpace(test_id)
        return space

    @property
    def scenarios(self) -> list[Scenario]:
        """Every shared scenario, run-time ones first."""
        return list(self._shared_scenarios)

    def replace_base(self, scenarios: Iterable[Scenario]) -> None:
        """Swap the scenarios loaded at start (``--watch`` reloads), keeping call counts."""
        with self._lock:
            self._base = list(scenarios)
            self._rebuild()

    def add(
        self,
        scenario: Scenario,
        *,
        priority: int = 0,
        test_id: str | None = None,
        unique: bool = False,
    ) -> list[str]:
        """Add a scenario's stubs while serving, to the shared space or a test id's.

        Args:
            scenario: its stubs are added; its fallback, defaults, quirks and chaos apply to
                the space (after those of scenarios added before it).
            priority: of every stub added; higher is tried first.
            test_id: the space; None for the shared one.
            unique: refuse an id already visible in the space, or given twice.

        Returns:
            The ids of the stubs added, in order (``<scenario name>.stubs[<n>]`` for a stub
            without an ``id``).

        Raises:
            StubConflict: ``unique`` and an id is taken (nothing is added).
        """
        with self._lock:
            space = self._space(test_id)
            assert space is not None
            added = [
                LoadedStub(
                    stub.id or f"{scenario.name}.stubs[{index}]",
                    stub,
                    scenario,
                    compile_match(stub.match),
                    priority=priority,
                    source="runtime",
                    test_id=test_id,
                )
                for index, stub in enumerate(scenario.stubs)
            ]
            ids = [s.id for s in added]
            if unique:
                self._check_unique(space, ids)
            space.scenarios.append(scenario)
            space.added.extend(added)
            self._changed(space)
            if self.remote is not None:
                self.remote.changed("add", test_id, scenario=scenario, priority=priority)
            return ids

    def _check_unique(self, space: StubSpace, ids: list[str]) -> None:
        taken = {s.id for s in self._order(space)}
        for index, stub_id in enumerate(ids):
            if stub_id in taken or stub_id in ids[:index]:
                where = f" under test id {space.test_id!r}" if space.test_id else ""
                raise StubConflict(
                    f"a stub with id {stub_id!r} is already loaded{where}: replace it with "
                    f"PUT /_mockgpt/stubs/{stub_id}, or give another id"
                )

    def _changed(self, space: StubSpace) -> None:
        if space is self._shared:
            self._rebuild()
        else:
            space.rebuild()

    def _order(self, space: StubSpace) -> list[LoadedStub]:
        """Every stub a request of ``space`` tries, in match order."""
        if space is self._shared:
            return self._shared.order
        return [*space.order, *self._shared.order]

    def _find(self, stub_id: str, space: StubSpace) -> LoadedStub:
        """The stub ``stub_id`` that ``space`` may change.

        Raises:
            StubNotFound: no such stub in the space.
            StubConflict: a test id asked for a shared stub.
        """
        for loaded in space.order:
            if loaded.id == stub_id:
                return loaded
        if space is not self._shared and any(s.id == stub_id for s in self._shared.order):
            raise StubConflict(
                f"stub {stub_id!r} is shared, not added under test id {space.test_id!r}: "
                "change it without the test id header"
            )
        owners = [s.test_id for s in self._spaces.values() if any(x.id == stub_id for x in s.added)]
        hint = f" (test id {owners[0]!r} has one: send its test id header)" if owners else ""
        raise StubNotFound(f"no stub {stub_id!r} is loaded{hint}")

    def replace(self, stub_id: str, stub: Stub, *, test_id: str | None = None) -> None:
        """Replace stub ``stub_id`` (its place in the match order stays; its calls restart).

        A scenario's stub is replaced until ``reset`` of the stubs.

        Raises:
            StubNotFound: no such stub in the space.
            StubConflict: a test id asked for a shared stub.
        """
        with self._lock:
            space = self._space(test_id)
            assert space is not None
            loaded = self._find(stub_id, space)
            if loaded.source == "scenario":
                self._overrides[stub_id] = stub
            else:
                new = dataclasses.replace(loaded, stub=stub, matcher=compile_match(stub.match))
                space.added[space.added.index(loaded)] = new
            self._forget_calls(space, stub_id)
            self._changed(space)
            if self.remote is not None:
                self.remote.changed("replace", test_id, stub_id=stub_id, stub=stub)

    def delete(self, stub_id: str, *, test_id: str | None = None) -> None:
        """Delete stub ``stub_id`` (a scenario's is hidden until ``reset`` of the stubs).

        Raises:
            StubNotFound: no such stub in the space.
            StubConflict: a test id asked for a shared stub.
        """
        with self._lock:
            space = self._space(test_id)
            assert space is not None
            loaded = self._find(stub_id, space)
            if loaded.source == "scenario":
                self._hidden.add(stub_id)
                self._overrides.pop(stub_id, None)
            else:
                space.added.remove(loaded)
            self._forget_calls(space, stub_id)
            self._changed(space)
            if self.remote is not None:
                self.remote.changed("delete", test_id, stub_id=stub_id)

    def _forget_calls(self, space: StubSpace, stub_id: str) -> None:
        for each in self._all_spaces() if space is self._shared else (space,):
            each.calls.pop(stub_id, None)

    def delete_added(self, test_id: str | None = None, *, every: bool = False) -> list[str]:
        """Delete the stubs and scenarios added while serving to one space, or to all.

        Args:
            test_id: the space; None for the shared one.
            every: every space's (``test_id`` is then ignored).

        Returns:
            The ids deleted: the shared space's first, then each test id's.
        """
        with self._lock:
            spaces = list(self._all_spaces()) if every else [self._space(test_id, create=False)]
            deleted: list[str] = []
            for space in spaces:
                if space is not None:
                    deleted += [s.id for s in space.added]
                    self._reset_space(space, ("stubs",))
            if self.remote is not None:
                self.remote.changed("delete_added", test_id, every=every)
            return deleted

    def reset(self, test_id: str | None = None, parts: Collection[str] = STUB_PARTS) -> None:
        """Forget call counts (sequences restart), chaos state and stubs added while serving.

        Args:
            test_id: forget only this test id's; None: every space's, and the scenario stubs
                replaced or deleted while serving come back.
            parts: which of ``STUB_PARTS``.
        """
        with self._lock:
            if test_id is not None:
                space = self._space(test_id, create=False)
                if space is not None and set(parts) >= set(STUB_PARTS):
                    self._spaces.pop(test_id)
                elif space is not None:
                    self._reset_space(space, parts)
                return
            if set(parts) >= set(STUB_PARTS):
                self._spaces.clear()
            for space in self._all_spaces():
                self._reset_space(space, parts)
            if "stubs" in parts:
                self._overrides.clear()
                self._hidden.clear()
            self._rebuild()

    def _reset_space(self, space: StubSpace, parts: Collection[str]) -> None:
        space.reset(parts)
        if "stubs" in parts:
            self._changed(space)

    def stubs(self, test_id: str | None = None) -> list[LoadedStub]:
        """The stubs a request with ``test_id`` tries, in match order, with its call counts."""
        with self._lock:
            space = self._space(test_id, create=False) or StubSpace(test_id)
            order = self._order(space)
            return [dataclasses.replace(s, calls=space.calls.get(s.id, 0)) for s in order]

    def listing(self) -> list[LoadedStub]:
        """Every stub: the shared ones in match order, then each test id's own, with calls."""
        with self._lock:
            return [
                dataclasses.replace(s, calls=space.calls.get(s.id, 0))
                for space in self._all_spaces()
                for s in space.order
            ]

    def test_ids(self) -> list[str]:
        """The test ids with a space (stubs, calls or chaos state), oldest first."""
        return list(self._spaces)

    # -- answering ---------------------------------------------------------------------
    def select(
        self, request: MatchView, test_id: str | None = None, only: Callable[..., bool] = bool
    ) -> Selection:
        """Choose what answers ``request``, sent with ``test_id`` (None: no test id).

        Only the stubs ``only`` keeps are asked (the others are not misses). A request that
        must fail gets a selection whose ``error`` is set (and which still names the stub and
        the misses, for the journal): 404 ``no_stub_matched`` when nothing matched and the
        fallback is ``error``; 500 ``sequence_exhausted`` when a ``sequence`` with
        ``on_exhausted: fail`` ran out.
        """
        if test_id is None:
            plain = self._plain_fallback
            if plain is not None:
                return plain  # no stubs, no chaos: the same answer every time
            space = self._shared
        else:
            found = self._space(test_id)
            assert found is not None
            space = found
        with self._lock:
            shared = self._shared
            if space is shared:
                stubs: Iterable[LoadedStub] = shared.order
                scenarios = self._shared_scenarios
                quirks = self.quirks
            else:
                stubs = chain(space.order, shared.order)
                scenarios = [*space.scenarios, *self._shared_scenarios]
                quirks = self.quirks | space.quirks if space.quirks else self.quirks
            misses: dict[str, str] = {}
            results: list[tuple[LoadedStub, MatchResult]] = []
            for loaded in filter(only, stubs):
                result = loaded.matcher.check(request)
                if result.matched:
                    if self.remote is not None and loaded.stub.sequence is not None:
                        calls = space.calls[loaded.id] = self.remote.count(space.test_id, loaded.id)
                    else:
                        calls = space.calls[loaded.id] = space.calls.get(loaded.id, 0) + 1
                    selection = answer(loaded, calls, misses, quirks)
                    break
                misses[loaded.id] = result.reason
                results.append((loaded, result))
            else:
                best = max(results, key=lambda r: r[1].closeness, default=None)
                closest = (best[0].id, best[1].reason) if best else None
                selection = fallback(scenarios, quirks, misses, closest)
            chaotic = draw_chaos(selection, scenarios, space, self.remote)
            if space is shared and not shared.order and not chaotic:
                self._plain_fallback = selection
            return selection

    def near_misses(
        self, request: MatchView, test_id: str | None = None
    ) -> list[tuple[LoadedStub, MatchResult]]:
        """Every stub ``request`` does not match now, with each failed condition, closest first.

        Nothing is counted: sequences and chaos do not move.
        """
        results = [(s, s.matcher.check(request)) for s in self.stubs(test_id)]
        missed = [r for r in results if not r[1].matched]
        return sorted(missed, key=lambda r: -r[1].closeness)


__all__ = [
    "MAX_TEST_IDS",
    "STUB_PARTS",
    "LoadedStub",
    "Selection",
    "StubConflict",
    "StubNotFound",
    "StubRegistry",
]
