"""Run checks: each gives one ``CheckResult``.

Outcomes: ``passed``; ``failed`` (a MUST rule broken) or ``warned`` (a SHOULD rule broken);
``unsupported`` (the server refused the feature cleanly); ``not-applicable`` (the profile of
the server says the rule is not its to keep, with a reason); and two for a departure whose
rule another check owns, settled by running that check (once per run):

- ``blocked``: the owner fails and reports the *same* departure (``Violation.rule``): one
  root cause, reported once, under the owner. The blocked check keeps its own evidence.
- ``inconclusive``: the owner is unsupported or not applicable, so nobody can say whether
  the departure is the server's.

When the owner passes, or fails for something else, the departure is this check's own and it
fails (or warns) with it: a 500 on this check's request is this check's failure even while
the owner fails for a missing nullable key.
"""

from __future__ import annotations

import logging
import time
import traceback
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from conformance.context import CheckContext
from conformance.failures import Unsupported, Violation, combine
from conformance.registry import Check

logger = logging.getLogger(__name__)

Outcome = Literal[
    "passed", "failed", "warned", "unsupported", "blocked", "inconclusive", "not-applicable"
]
OUTCOMES: tuple[Outcome, ...] = (
    "passed",
    "failed",
    "warned",
    "unsupported",
    "blocked",
    "inconclusive",
    "not-applicable",
)
_BROKEN = ("failed", "warned", "blocked")
_UNKNOWN = ("unsupported", "not-applicable", "inconclusive")


@dataclass
class CheckResult:
    """What one check found.

    Attributes:
        check: the check.
        outcome: one of ``OUTCOMES``.
        violation: the departure the check itself saw (failed, warned, blocked,
            inconclusive), with the others in ``violation.more``.
        reason: why unsupported, not applicable, blocked or inconclusive, one line.
        blocked_by: the check that owns the departure (blocked: the root failure;
            inconclusive: the unsupported owner).
        root_outcome: the outcome of ``blocked_by`` (``failed`` or ``warned``).
        duration_s: wall time of the check, seconds.
        warnings: warnings raised while it ran (by the official client, say), as text.
        consulted: run only as the owner of another check's departure (not selected).
        flaky: the outcomes of every repetition, when they differ (``--repeat``).
    """

    check: Check
    outcome: Outcome
    violation: Violation | None = None
    reason: str = ""
    blocked_by: str | None = None
    root_outcome: str | None = None
    duration_s: float = 0.0
    warnings: list[str] = field(default_factory=list)
    consulted: bool = False
    flaky: list[str] = field(default_factory=list)

    def to_record(self) -> dict[str, Any]:
        """A JSON-ready record (what reports and the pytest plugin carry)."""
        return {
            "check_id": self.check.id,
            "feature": self.check.feature,
            "severity": self.check.severity,
            "summary": self.check.summary,
            "spec": self.check.spec,
            "outcome": self.outcome,
            "reason": self.reason,
            "blocked_by": self.blocked_by,
            "root_outcome": self.root_outcome,
            "violation": self.violation.to_dict() if self.violation else None,
            "duration_s": round(self.duration_s, 4),
            "warnings": self.warnings,
            "consulted": self.consulted,
            "flaky": self.flaky,
            "notes": [self.check.caveat] if self.check.caveat and self.outcome in _BROKEN else [],
        }


def _crash(exc: Exception) -> Violation:
    where = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    at = f" at {where.filename}:{where.lineno}" if where else ""
    return Violation(
        "<check>",
        "the check to run to its end",
        f"{type(exc).__name__}: {exc}{at}",
        note="an unexpected exception: a bug in the suite, or an answer it did not foresee",
    )


class Runner:
    """Runs checks against one server, each at most once.

    Args:
        ctx: the run's context.
        checks: every check that may be run or consulted as an owner, by id.
        not_applicable: check id -> why the server's profile exempts it (not run).
    """

    def __init__(
        self,
        ctx: CheckContext,
        checks: Mapping[str, Check] | Iterable[Check],
        *,
        not_applicable: Mapping[str, str] | None = None,
    ) -> None:
        self.ctx = ctx
        self.checks: dict[str, Check] = (
            dict(checks) if isinstance(checks, Mapping) else {c.id: c for c in checks}
        )
        self.not_applicable = dict(not_applicable or {})
        self.results: dict[str, CheckResult] = {}
        self._running: set[str] = set()

    def run(self, check_id: str) -> CheckResult:
        """The result of one check (memoized).

        Raises:
            KeyError: no such check.
        """
        if check_id in self.results:
            return self.results[check_id]
        check = self.checks[check_id]
        if check_id in self.not_applicable:
            result = CheckResult(check, "not-applicable", reason=self.not_applicable[check_id])
            self.results[check_id] = result
            return result
        self._running.add(check_id)
        started = time.monotonic()
        try:
            # Warnings (the official client's, about what a server sent) are kept with the
            # result: they must not turn into errors under a strict warnings filter.
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                result = self._run(check)
        finally:
            self._running.discard(check_id)
        result.warnings = sorted({f"{w.category.__name__}: {w.message}" for w in caught})
        result.duration_s = time.monotonic() - started
        self.results[check_id] = result
        return result

    def run_all(self, check_ids: Iterable[str] | None = None) -> list[CheckResult]:
        """Results of ``check_ids`` (all checks when None), in that order."""
        return [self.run(i) for i in (check_ids if check_ids is not None else self.checks)]

    def consulted(self, selected: Iterable[str]) -> list[CheckResult]:
        """Owners run for another check's departure that are not in ``selected``."""
        chosen = set(selected)
        extra = [r for i, r in self.results.items() if i not in chosen]
        for result in extra:
            result.consulted = True
        return extra

    def _run(self, check: Check) -> CheckResult:
        try:
            check.func(self.ctx)
        except Violation as violation:
            return self._violated(check, violation)
        except Unsupported as unsupported:
            return CheckResult(check, "unsupported", reason=unsupported.reason)
        except Exception as exc:
            logger.exception("check %s raised", check.id)
            return self._violated(check, _crash(exc))
        return CheckResult(check, "passed")

    def _owner_result(self, check: Check, violation: Violation) -> CheckResult | None:
        owner = violation.owner
        if not owner or owner == check.id or owner not in self.checks:
            return None
        if owner in self._running:
            return None  # a cycle: the departure stays with the check that saw it
        return self.run(owner)

    def _violated(self, check: Check, violation: Violation) -> CheckResult:
        findings = violation.findings()
        for finding in findings:
            finding.check_id = check.id
            finding.spec = check.spec
        own: list[Violation] = []
        blocked: list[tuple[Violation, CheckResult]] = []
        unknown: list[tuple[Violation, CheckResult]] = []
        for finding in findings:
            owner = self._owner_result(check, finding)
            if owner is None or owner.outcome == "passed":
                own.append(finding)
            elif owner.outcome in _UNKNOWN:
                unknown.append((finding, owner))
            elif owner.outcome in _BROKEN and _reports(owner, finding):
                blocked.append((finding, owner))
            else:
                own.append(finding)
        should = check.severity == "should" or all(f.severity == "should" for f in own)
        broke: Outcome = "warned" if should else "failed"
        if own:
            return CheckResult(check, broke, combine(own + [f for f, _ in blocked + unknown]))
        if blocked:
            finding, owner = blocked[0]
            root = owner.blocked_by if owner.outcome == "blocked" else owner.check.id
            root_outcome = owner.root_outcome if owner.outcome == "blocked" else owner.outcome
            evidence = owner.violation.headline() if owner.violation else owner.reason
            return CheckResult(
                check,
                "blocked",
                combine([f for f, _ in blocked + unknown]),
                reason=f"blocked by {root}, which reports the same departure: {evidence}",
                blocked_by=root,
                root_outcome=root_outcome,
            )
        finding, owner = unknown[0]
        return CheckResult(
            check,
            "inconclusive",
            combine([f for f, _ in unknown]),
            reason=f"{owner.check.id} owns this rule and is {owner.outcome} "
            f"({owner.reason}); whether the server keeps it is not known",
            blocked_by=owner.check.id,
        )


def _reports(owner: CheckResult, finding: Violation) -> bool:
    """Whether the owner's result shows the same departure as ``finding``."""
    if owner.violation is None:
        return False
    return any(v.rule == finding.rule for v in owner.violation.findings())


def repeat_outcomes(results: list[CheckResult]) -> CheckResult:
    """The first of several runs of one check, marked flaky when their outcomes differ."""
    first = results[0]
    outcomes = [r.outcome for r in results]
    if len(set(outcomes)) > 1:
        first.flaky = list(outcomes)
    return first
