"""The runner: outcomes, and a rule owned by another check settled by running that check."""

from __future__ import annotations

from typing import Any

import pytest

from conformance.context import CheckContext, Settings
from conformance.failures import Unsupported, Violation
from conformance.registry import Registry
from conformance.runner import Runner


def make_runner(**behaviours: Any) -> Runner:
    """A runner over checks named after ``behaviours`` (id -> function raising or not)."""
    registry = Registry()
    for check_id, behaviour in behaviours.items():
        name = check_id.replace(".", "_").replace("-", "_")

        def func(ctx: Any, behaviour: Any = behaviour) -> None:
            """A check made for the test."""
            behaviour()

        func.__name__ = name
        registry.check(id=check_id, feature="chat", spec="spec text")(func)
    ctx = CheckContext(Settings(base_url="http://127.0.0.1:9/v1", model="m"))
    return Runner(ctx, list(registry))


def passes() -> None:
    pass


def fails(owner: str | None = None) -> Any:
    def raise_it() -> None:
        raise Violation("field", "a", "b", owner=owner)

    return raise_it


def test_runner_outcomes_passed_failed_unsupported() -> None:
    def refused() -> None:
        raise Unsupported("HTTP 400: no tools")

    runner = make_runner(**{"a.pass": passes, "a.fail": fails(), "a.refused": refused})
    results = {r.check.id: r for r in runner.run_all()}
    assert results["a.pass"].outcome == "passed"
    assert results["a.fail"].outcome == "failed"
    assert results["a.fail"].violation is not None
    assert results["a.fail"].violation.check_id == "a.fail"
    assert results["a.fail"].violation.spec == "spec text"
    assert (results["a.refused"].outcome, results["a.refused"].reason) == (
        "unsupported",
        "HTTP 400: no tools",
    )


def test_runner_blocks_a_check_when_the_owner_of_its_rule_fails() -> None:
    runner = make_runner(**{"a.owner": fails(), "a.user": fails(owner="a.owner")})
    result = runner.run("a.user")
    assert (result.outcome, result.blocked_by) == ("blocked", "a.owner")
    assert result.reason == "blocked by a.owner, which fails: field: expected a, got b"
    assert runner.results["a.owner"].outcome == "failed"


def test_runner_fails_a_check_when_the_owner_of_its_rule_passes() -> None:
    runner = make_runner(**{"a.owner": passes, "a.user": fails(owner="a.owner")})
    assert runner.run("a.user").outcome == "failed"


def test_runner_reports_the_root_of_a_chain_of_blocks() -> None:
    runner = make_runner(
        **{"a.root": fails(), "a.middle": fails(owner="a.root"), "a.leaf": fails(owner="a.middle")}
    )
    assert runner.run("a.leaf").blocked_by == "a.root"


def test_runner_unknown_owner_or_a_cycle_fails_the_check_itself() -> None:
    runner = make_runner(**{"a.one": fails(owner="a.two"), "a.two": fails(owner="a.one")})
    assert runner.run("a.one").outcome in ("failed", "blocked")
    lone = make_runner(**{"a.lone": fails(owner="no.such-check")})
    assert lone.run("a.lone").outcome == "failed"


def test_runner_turns_a_crash_into_a_failure_that_names_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def crash() -> None:
        raise KeyError("choices")

    result = make_runner(**{"a.crash": crash}).run("a.crash")
    assert result.outcome == "failed"
    assert result.violation is not None
    assert result.violation.path == "<check>"
    assert result.violation.actual.startswith("KeyError: 'choices' at ")


def test_runner_keeps_warnings_instead_of_raising_them() -> None:
    import warnings

    def warn() -> None:
        warnings.warn("odd created", UserWarning, stacklevel=1)

    result = make_runner(**{"a.warn": warn}).run("a.warn")
    assert (result.outcome, result.warnings) == ("passed", ["UserWarning: odd created"])


def test_runner_runs_each_check_once() -> None:
    calls: list[str] = []
    runner = make_runner(**{"a.once": lambda: calls.append("x")})
    runner.run("a.once")
    runner.run("a.once")
    assert calls == ["x"]
