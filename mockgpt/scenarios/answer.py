"""What answers one request once the stubs were asked: ``LoadedStub`` and ``Selection``.

``answer(loaded, calls, ...)`` is the matched stub's answer (its ``respond``, or the
``calls``-th answer of its ``sequence``); ``fallback(...)`` is the answer when no stub matched.
Neither keeps state: the call counts and chaos state live in ``StubRegistry``, per test id.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from mockgpt.scenarios.matchers import CompiledMatch
from mockgpt.scenarios.schema import ErrorSpec, Fault, Respond, Scenario, Stub

logger = logging.getLogger(__name__)

Source = Literal["scenario", "runtime"]
"""Where a stub comes from: a scenario loaded at start, or added while serving."""


@dataclass
class LoadedStub:
    """A stub with its id, its scenario and where it sits in the match order.

    Attributes:
        id: the stub's ``id``, else ``<scenario name>.stubs[<index>]``.
        stub: the stub as validated.
        scenario: the scenario it belongs to (its ``defaults`` apply to it).
        matcher: its compiled ``match``.
        calls: how many requests it answered (in the space it was listed for).
        priority: higher is tried first; scenario stubs have 0.
        source: ``scenario`` (loaded at start) or ``runtime`` (added while serving).
        test_id: the test id it was added under; None for a shared stub.
    """

    id: str
    stub: Stub
    scenario: Scenario
    matcher: CompiledMatch
    calls: int = 0
    priority: int = 0
    source: Source = "scenario"
    test_id: str | None = None


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


def fallback_kind(scenarios: Sequence[Scenario]) -> str:
    """The fallback of the first scenario that sets one (``echo`` when none does)."""
    for scenario in scenarios:
        if "fallback" in scenario.model_fields_set:
            return scenario.fallback
    return "echo"


def fallback(
    scenarios: Sequence[Scenario],
    quirks: frozenset[str],
    misses: dict[str, str],
    closest: tuple[str, str] | None,
) -> Selection:
    """The selection when no stub matched: the first scenario's fallback and defaults.

    With ``fallback: error`` the selection is a 404 ``no_stub_matched`` naming ``closest``.
    """
    if closest:
        logger.debug("no stub matched; closest: %s (%s)", closest[0], closest[1])
    kind = fallback_kind(scenarios)
    if kind == "error":
        detail = f" The closest stub was {closest[0]}: {closest[1]}." if closest else ""
        error = ErrorSpec(
            status=404,
            message=f"No stub matched this request.{detail}",
            type="invalid_request_error",
            code="no_stub_matched",
            should_retry=False,
        )
        return Selection(fallback=kind, misses=misses, closest=closest, quirks=quirks, error=error)
    defaults = scenarios[0].defaults if scenarios else None
    return Selection(
        fallback=kind,
        misses=misses,
        closest=closest,
        quirks=quirks,
        ttft_ms=defaults.ttft_ms if defaults else None,
        tokens_per_second=defaults.tokens_per_second if defaults else None,
    )


def answer(
    loaded: LoadedStub, calls: int, misses: dict[str, str], quirks: frozenset[str]
) -> Selection:
    """The selection of a matched stub on its ``calls``-th call (1 for the first).

    A ``sequence`` gives its ``calls``-th answer; past its end, ``on_exhausted`` decides
    (``fail``: a 500 ``sequence_exhausted``).
    """
    stub, scenario = loaded.stub, loaded.scenario
    quirks = quirks | frozenset(stub.quirks) if stub.quirks else quirks
    reply: Respond | None = stub.respond
    if stub.sequence is not None:
        position = calls - 1
        if position >= len(stub.sequence):
            if stub.on_exhausted == "fail":
                error = ErrorSpec(
                    status=500,
                    message=f"stub {loaded.id}: its sequence of {len(stub.sequence)} "
                    f"answers is exhausted (call {calls}); set on_exhausted to "
                    "repeat or cycle.",
                    type="mockgpt_error",
                    code="sequence_exhausted",
                    should_retry=False,
                )
                return Selection(stub_id=loaded.id, misses=misses, quirks=quirks, error=error)
            if stub.on_exhausted == "cycle":
                position %= len(stub.sequence)
            else:
                position = len(stub.sequence) - 1
        reply = stub.sequence[position]
    pacing = stub.pacing
    defaults = scenario.defaults
    return Selection(
        answer=reply,
        calls=calls,
        stub_id=loaded.id,
        misses=misses,
        quirks=quirks,
        fault=stub.fault,
        error=reply.error if reply is not None else None,
        ttft_ms=(pacing.ttft_ms if pacing and pacing.ttft_ms is not None else defaults.ttft_ms),
        tokens_per_second=(
            pacing.tokens_per_second
            if pacing and pacing.tokens_per_second is not None
            else defaults.tokens_per_second
        ),
        model=(reply.model if reply is not None and reply.model else None) or defaults.model,
    )
