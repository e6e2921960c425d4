"""The runner: outcomes, and a rule owned by another check settled by running that check."""

from __future__ import annotations

from typing import Any

import pytest

from conformance.context import CheckContext, Settings
from conformance.failures import Unsupported, Violation, combine
from conformance.registry import Registry
from conformance.runner import Runner, repeat_outcomes


def make_runner(
    *, should: tuple[str, ...] = (), exempt: dict[str, str] | None = None, **behaviours: Any
) -> Runner:
    """A runner over checks named after ``behaviours`` (id -> function raising or not)."""
    registry = Registry()
    for check_id, behaviour in behaviours.items():
        name = check_id.replace(".", "_").replace("-", "_")

        def func(ctx: Any, behaviour: Any = behaviour) -> None:
            """A check made for the test."""
            behaviour()

        func.__name__ = name
        severity: Any = "should" if check_id in should else "must"
        registry.check(id=check_id, feature="chat", spec="spec text", severity=severity)(func)
    ctx = CheckContext(Settings(base_url="http://127.0.0.1:9/v1", model="m"))
    return Runner(ctx, list(registry), not_applicable=exempt)


def passes() -> None:
    pass


def fails(
    owner: str | None = None, path: str = "field", expected: str = "a", actual: str = "b"
) -> Any:
    def raise_it() -> None:
        raise Violation(path, expected, actual, owner=owner)

    return raise_it


def fails_all(*violations: Violation) -> Any:
    def raise_them() -> None:
        raise combine(violations)

    return raise_them


def refused(reason: str = "HTTP 404: no such route") -> Any:
    def raise_it() -> None:
        raise Unsupported(reason)

    return raise_it


def test_runner_outcomes_passed_failed_unsupported() -> None:
    runner = make_runner(
        **{"a.pass": passes, "a.fail": fails(), "a.refused": refused("HTTP 400: no tools")}
    )
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
    assert result.reason == (
        "blocked by a.owner, which reports the same departure: field: expected a, got b"
    )
    assert runner.results["a.owner"].outcome == "failed"


def test_runner_a_500_on_a_checks_own_request_is_its_failure_while_the_owner_fails_otherwise() -> (
    None
):
    """The owner (the schema check) fails for a missing nullable key; the check's own request
    got a 500: that is the check's failure, with its own evidence, not a block."""
    runner = make_runner(
        **{
            "chat.response.schema": fails(
                path="choices[0].message.refusal", expected="the key to be present",
                actual="no such key",
            ),
            "structured.json": fails(
                owner="chat.response.schema", path="<status>", expected="200",
                actual="500 Internal Server Error",
            ),
        }
    )  # fmt: skip
    result = runner.run("structured.json")
    assert (result.outcome, result.blocked_by) == ("failed", None)
    assert result.violation is not None
    assert result.violation.headline() == "<status>: expected 200, got 500 Internal Server Error"


def test_runner_the_same_status_on_the_owners_request_blocks() -> None:
    runner = make_runner(
        **{
            "a.owner": fails(path="<status>", expected="200", actual="500 boom"),
            "a.user": fails(owner="a.owner", path="<status>", expected="200", actual="500 bang"),
            "a.other": fails(owner="a.owner", path="<status>", expected="200", actual="422 no"),
        }
    )
    assert runner.run("a.user").outcome == "blocked"
    assert runner.run("a.other").outcome == "failed"


def test_runner_blocked_reason_quotes_the_owner_and_keeps_the_checks_own_evidence() -> None:
    runner = make_runner(
        **{
            "a.owner": fails(path="chunks[3].created", expected="an integer", actual="1.5"),
            "a.user": fails(
                owner="a.owner", path="chunks[7].created", expected="an int", actual="2.5"
            ),
        }
    )
    result = runner.run("a.user")
    assert result.outcome == "blocked"
    assert "chunks[3].created: expected an integer, got 1.5" in result.reason
    assert "2.5" not in result.reason
    assert result.violation is not None
    assert result.violation.headline() == "chunks[7].created: expected an int, got 2.5"


def test_runner_an_unsupported_or_exempt_owner_makes_the_check_inconclusive() -> None:
    runner = make_runner(
        exempt={"a.exempt": "a fixture mock generates nothing"},
        **{
            "a.owner": refused(),
            "a.exempt": fails(),
            "a.user": fails(owner="a.owner"),
            "a.other": fails(owner="a.exempt"),
        },
    )
    result = runner.run("a.user")
    assert (result.outcome, result.blocked_by) == ("inconclusive", "a.owner")
    assert result.reason.startswith("a.owner owns this rule and is unsupported (HTTP 404: ")
    assert runner.run("a.exempt").outcome == "not-applicable"
    assert runner.run("a.exempt").reason == "a fixture mock generates nothing"
    assert runner.run("a.other").outcome == "inconclusive"


def test_runner_a_check_with_an_own_and_an_owned_departure_fails_with_both() -> None:
    runner = make_runner(
        **{
            "a.owner": fails(path="created"),
            "a.user": fails_all(
                Violation("created", "a", "b", owner="a.owner"), Violation("id", "c", "d")
            ),
        }
    )
    result = runner.run("a.user")
    assert result.outcome == "failed"
    assert result.violation is not None
    assert [v.path for v in result.violation.findings()] == ["id", "created"]
    assert result.violation.headline().endswith("(and 1 more: created)")


def test_runner_should_rules_warn_and_blocks_by_them_say_so() -> None:
    runner = make_runner(
        should=("a.should",),
        **{"a.should": fails(), "a.user": fails(owner="a.should")},
    )
    assert runner.run("a.should").outcome == "warned"
    result = runner.run("a.user")
    assert (result.outcome, result.root_outcome) == ("blocked", "warned")


def test_runner_lists_owners_consulted_outside_the_selection() -> None:
    runner = make_runner(**{"a.owner": fails(), "a.user": fails(owner="a.owner")})
    runner.run_all(["a.user"])
    (consulted,) = runner.consulted(["a.user"])
    assert (consulted.check.id, consulted.consulted) == ("a.owner", True)
    assert consulted.to_record()["consulted"] is True


def test_runner_repeated_outcomes_that_differ_are_flaky() -> None:
    one = make_runner(**{"a.x": passes}).run("a.x")
    two = make_runner(**{"a.x": fails()}).run("a.x")
    assert repeat_outcomes([one, two]).flaky == ["passed", "failed"]
    same = make_runner(**{"a.x": passes}).run("a.x")
    assert repeat_outcomes([same, make_runner(**{"a.x": passes}).run("a.x")]).flaky == []


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


def test_runner_a_must_check_whose_departures_are_all_shoulds_warns() -> None:
    def nullable_missing() -> None:
        violation = Violation("choices[0].message.refusal", "the key to be present", "no key")
        violation.severity = "should"
        raise violation

    def and_a_must() -> None:
        should = Violation("choices[0].message.refusal", "the key to be present", "no key")
        should.severity = "should"
        raise combine([should, Violation("created", "an integer", "1.5")])

    runner = make_runner(**{"a.nullable": nullable_missing, "a.both": and_a_must})
    assert runner.run("a.nullable").outcome == "warned"
    assert runner.run("a.both").outcome == "failed"
