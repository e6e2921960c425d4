"""The stubs a server answers from, their call counts, sequences and chaos: per server state.

``StubRegistry.select(request)`` asks each stub's matcher in order; the first match answers
(its ``respond``, or the next answer of its ``sequence``). If none does, the fallback answers
and every stub's near-miss reason is kept for the journal and for strict tests.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field

from mockgpt.scenarios.matchers import CompiledMatch, MatchResult, MatchView, compile_match
from mockgpt.scenarios.schema import ErrorSpec, Fault, Respond, Scenario, Stub

logger = logging.getLogger(__name__)


@dataclass
class LoadedStub:
    """A stub with its id, its scenario and how often it has answered."""

    id: str
    stub: Stub
    scenario: Scenario
    matcher: CompiledMatch
    calls: int = 0


@dataclass
class Selection:
    """What answers one request, and how.

    Attributes:
        answer: the stub's answer (its ``respond`` or the sequence's next), None for the
            fallback or a stub without one (echo).
        fallback: how the fallback answers (``echo``, ``lorem``, ``error``, ``proxy``), None
            when a stub matched.
        calls: how many times the stub has answered, this call included.
        stub_id: the stub that matched, None when the fallback answers.
        misses: stub id -> why it did not match, for every stub tried before.
        closest: the stub that came nearest when none matched, with its reason.
        quirks: active quirk names.
        fault: what goes wrong with the answer, if anything.
        error: when set, the answer is this HTTP error.
        ttft_ms: time to first token for this answer, None for the server's setting.
        tokens_per_second: stream pacing for this answer, None for the server's setting.
        model: the model name the answer reports, None for the requested one.
    """

    answer: Respond | None = None
    fallback: str | None = None
    calls: int = 0
    stub_id: str | None = None
    misses: dict[str, str] = field(default_factory=dict)
    closest: tuple[str, str] | None = None
    quirks: frozenset[str] = frozenset()
    fault: Fault | None = None
    error: ErrorSpec | None = None
    ttft_ms: float | None = None
    tokens_per_second: float | None = None
    model: str | None = None


class StubRegistry:
    """The loaded scenarios and the stubs added at run time, in match order.

    Safe to use from two threads (a test adding stubs while the server answers).

    Args:
        scenarios: scenarios whose stubs are searched in order.
    """

    def __init__(self, scenarios: Iterable[Scenario] = ()) -> None:
        self._lock = threading.Lock()
        self._base: list[Scenario] = list(scenarios)
        self._extra: list[Scenario] = []
        self._stubs: list[LoadedStub] = []
        self._chaos_rng: dict[int, random.Random] = {}
        """Each chaos scenario's random source, by ``id(scenario)``."""
        self._matchers: dict[int, CompiledMatch] = {}
        self._plain_fallback: Selection | None = None
        """What answers when there is nothing to match, decided once per load."""
        self._rebuild()

    # -- loading -----------------------------------------------------------------------
    def _rebuild(self) -> None:
        old = {s.id: s.calls for s in self._stubs}
        stubs: list[LoadedStub] = []
        for scenario in [*self._extra, *self._base]:
            for index, stub in enumerate(scenario.stubs):
                stub_id = stub.id or f"{scenario.name}.stubs[{index}]"
                stubs.append(
                    LoadedStub(
                        stub_id,
                        stub,
                        scenario,
                        self._compiled(stub),
                        old.get(stub_id, 0),
                    )
                )
        self._stubs = stubs
        self._plain_fallback = None
        live_stubs = {id(s.stub) for s in stubs}
        self._matchers = {k: v for k, v in self._matchers.items() if k in live_stubs}
        self.quirks: frozenset[str] = frozenset(q for s in self.scenarios for q in s.quirks)
        live = {id(s) for s in self.scenarios}
        self._chaos_rng = {k: v for k, v in self._chaos_rng.items() if k in live}

    def _compiled(self, stub: Stub) -> CompiledMatch:
        """The stub's compiled matcher, compiled once per stub object."""
        compiled = self._matchers.get(id(stub))
        if compiled is None or compiled.match is not stub.match:
            compiled = self._matchers[id(stub)] = compile_match(stub.match)
        return compiled

    @property
    def scenarios(self) -> list[Scenario]:
        """Every scenario, run-time ones first."""
        return [*self._extra, *self._base]

    def replace_base(self, scenarios: Iterable[Scenario]) -> None:
        """Swap the scenarios loaded at start (``--watch`` reloads), keeping call counts."""
        with self._lock:
            self._base = list(scenarios)
            self._rebuild()

    def add(self, scenario: Scenario) -> None:
        """Add a scenario at run time; its stubs are tried before the loaded ones."""
        with self._lock:
            self._extra.append(scenario)
            self._rebuild()

    def reset(self) -> None:
        """Forget run-time scenarios, call counts (sequences restart) and chaos state."""
        with self._lock:
            self._extra.clear()
            self._stubs = []
            self._chaos_rng.clear()
            self._rebuild()

    def stubs(self) -> list[LoadedStub]:
        """The stubs in match order, with their call counts."""
        with self._lock:
            return list(self._stubs)

    # -- answering ---------------------------------------------------------------------
    def _fallback(self) -> str:
        for scenario in self.scenarios:
            if "fallback" in scenario.model_fields_set:
                return scenario.fallback
        return "echo"

    def _chaos(self, selection: Selection) -> None:
        for scenario in self.scenarios:
            chaos = scenario.chaos
            if chaos is None:
                continue
            # by scenario, not position: adding a scenario must not restart or swap sequences
            rng = self._chaos_rng.setdefault(id(scenario), random.Random(chaos.seed))
            hit = rng.random() < chaos.rate
            if hit and selection.fault is None and selection.error is None:
                selection.fault = rng.choice(chaos.faults)
            return

    def select(self, request: MatchView) -> Selection:
        """Choose what answers ``request``.

        A request that must fail gets a selection whose ``error`` is set (and which still
        names the stub and the misses, for the journal): 404 ``no_stub_matched`` when nothing
        matched and the fallback is ``error``; 500 ``sequence_exhausted`` when a ``sequence``
        with ``on_exhausted: fail`` ran out.
        """
        plain = self._plain_fallback
        if plain is not None and not self._stubs:
            return plain  # no stubs, no chaos: the same answer every time
        with self._lock:
            misses: dict[str, str] = {}
            results: list[tuple[LoadedStub, MatchResult]] = []
            for loaded in self._stubs:
                result = loaded.matcher.check(request)
                if result.matched:
                    loaded.calls += 1
                    selection = self._answer(loaded, misses)
                    break
                misses[loaded.id] = result.reason
                results.append((loaded, result))
            else:
                closest = max(results, key=lambda r: r[1].closeness, default=None)
                selection = self._fallback_selection(misses, closest)
            self._chaos(selection)
            if not self._stubs and not any(s.chaos for s in self.scenarios):
                self._plain_fallback = selection
            return selection

    def _fallback_selection(
        self,
        misses: dict[str, str],
        closest: tuple[LoadedStub, MatchResult] | None,
    ) -> Selection:
        near = (closest[0].id, closest[1].reason) if closest else None
        if near:
            logger.debug("no stub matched; closest: %s (%s)", near[0], near[1])
        kind = self._fallback()
        if kind == "error":
            detail = f" The closest stub was {near[0]}: {near[1]}." if near else ""
            error = ErrorSpec(
                status=404,
                message=f"No stub matched this request.{detail}",
                type="invalid_request_error",
                code="no_stub_matched",
                should_retry=False,
            )
            return Selection(
                fallback=kind, misses=misses, closest=near, quirks=self.quirks, error=error
            )
        defaults = self.scenarios[0].defaults if self.scenarios else None
        return Selection(
            fallback=kind,
            misses=misses,
            closest=near,
            quirks=self.quirks,
            ttft_ms=defaults.ttft_ms if defaults else None,
            tokens_per_second=defaults.tokens_per_second if defaults else None,
        )

    def _answer(self, loaded: LoadedStub, misses: dict[str, str]) -> Selection:
        stub, scenario = loaded.stub, loaded.scenario
        answer: Respond | None = stub.respond
        if stub.sequence is not None:
            position = loaded.calls - 1
            if position >= len(stub.sequence):
                if stub.on_exhausted == "fail":
                    error = ErrorSpec(
                        status=500,
                        message=f"stub {loaded.id}: its sequence of {len(stub.sequence)} "
                        f"answers is exhausted (call {loaded.calls}); set on_exhausted to "
                        "repeat or cycle.",
                        type="mockgpt_error",
                        code="sequence_exhausted",
                        should_retry=False,
                    )
                    return Selection(
                        stub_id=loaded.id,
                        misses=misses,
                        quirks=self.quirks | frozenset(stub.quirks),
                        error=error,
                    )
                if stub.on_exhausted == "cycle":
                    position %= len(stub.sequence)
                else:
                    position = len(stub.sequence) - 1
            answer = stub.sequence[position]
        pacing = stub.pacing
        return Selection(
            answer=answer,
            calls=loaded.calls,
            stub_id=loaded.id,
            misses=misses,
            quirks=self.quirks | frozenset(stub.quirks),
            fault=stub.fault,
            error=answer.error if answer is not None else None,
            ttft_ms=(
                pacing.ttft_ms
                if pacing and pacing.ttft_ms is not None
                else scenario.defaults.ttft_ms
            ),
            tokens_per_second=(
                pacing.tokens_per_second
                if pacing and pacing.tokens_per_second is not None
                else scenario.defaults.tokens_per_second
            ),
            model=(answer.model if answer is not None and answer.model else None)
            or scenario.defaults.model,
        )
