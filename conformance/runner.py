"""Run checks: each gives one ``CheckResult`` (passed, failed, unsupported or blocked).

A violation whose rule another check owns is settled by running that check (once per run):
if the owner fails, this check is *blocked* by it (same root cause, reported once); if the
owner passes, the departure is particular to this check's request and this check fails.
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
from conformance.failures import Unsupported, Violation
from conformance.registry import Check

logger = logging.getLogger(__name__)

Outcome = Literal["passed", "failed", "unsupported", "blocked"]
OUTCOMES: tuple[Outcome, ...] = ("passed", "failed", "unsupported", "blocked")


@dataclass
class CheckResult:
    """What one check found.

    Attributes:
        check: the check.
        outcome: ``passed``, ``failed``, ``unsupported`` or ``blocked``.
        violation: the departure (failed and blocked).
        reason: why unsupported or blocked, one line.
        blocked_by: the failing check that owns the broken rule (blocked).
        duration_s: wall time of the check, seconds.
        warnings: warnings raised while it ran (by the official client, say), as text.
    """

    check: Check
    outcome: Outcome
    violation: Violation | None = None
    reason: str = ""
    blocked_by: str | None = None
    duration_s: float = 0.0
    warnings: list[str] = field(default_factory=list)

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
            "violation": self.violation.to_dict() if self.violation else None,
            "duration_s": round(self.duration_s, 4),
            "warnings": self.warnings,
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
    """

    def __init__(self, ctx: CheckContext, checks: Mapping[str, Check] | Iterable[Check]) -> None:
        self.ctx = ctx
        self.checks: dict[str, Check] = (
            dict(checks) if isinstance(checks, Mapping) else {c.id: c for c in checks}
        )
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

    def _violated(self, check: Check, violation: Violation) -> CheckResult:
        violation.check_id = check.id
        violation.spec = check.spec
        owner = violation.owner
        if owner and owner != check.id and owner in self.checks and owner not in self._running:
            owner_result = self.run(owner)
            if owner_result.outcome in ("failed", "blocked"):
                root = owner_result.blocked_by or owner
                return CheckResult(
                    check,
                    "blocked",
                    violation,
                    reason=f"blocked by {root}, which fails: {violation.headline()}",
                    blocked_by=root,
                )
        return CheckResult(check, "failed", violation)
