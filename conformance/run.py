"""The suite's pytest run: its set-up, its collectors and items, and their hooks.

``conformance.plugin`` (the pytest11 entry point) imports this module and registers it as a
plugin only when a run targets the suite (``--base-url`` given and the conformance package
targeted), after calling ``set_up``: it imports the HTTP clients and the checks, which another
project's pytest run never needs. Each check is one test item, under one collector per
feature (a JUnit class, ``conformance.<feature>``); ``ConformanceItem.runtest`` tells which
item outcome each check outcome gives. The run's ``SuiteSession``
(``conformance.session``) keeps the records and writes the report.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conformance.context import Settings
from conformance.failures import Violation
from conformance.registry import Check, select_checks
from conformance.report import evidence
from conformance.session import PROPERTY, STATE, SuiteSession

ANCHOR = Path(__file__).resolve().parent / "suite.py"
"""The file the checks are collected from (their node ids read ``.../suite.py::<check id>``)."""


class Blocked(AssertionError):
    """A check blocked by another check's failure: a failure that names the owner."""


def set_up(config: pytest.Config) -> None:
    """Make the run's ``SuiteSession`` from the options and register it as a plugin.

    Called by ``conformance.plugin`` in ``pytest_configure`` (``tryfirst``, so that the JUnit
    suite name is set before ``--junitxml`` reads it), when ``--base-url`` is given and the
    suite is targeted.

    Raises:
        pytest.UsageError: ``--model`` is missing, ``--features`` names an unknown feature, or
            ``--conformance-repeat`` is < 1.
    """
    model = config.getoption("model", None)
    if not model:
        raise pytest.UsageError("--model is required with --base-url (the chat model to test)")
    names = {
        n.strip() for v in config.getoption("features") or () for n in v.split(",") if n.strip()
    }
    try:
        select_checks(frozenset(names) or None)
    except ValueError as exc:
        raise pytest.UsageError(f"--features: {exc}") from None
    settings = Settings(
        base_url=str(config.getoption("base_url")).rstrip("/"),
        model=str(model),
        api_key=config.getoption("api_key"),
        embedding_model=config.getoption("embedding_model"),
        timeout_s=config.getoption("request_timeout"),
        stream_timeout_s=config.getoption("stream_timeout"),
        property_examples=config.getoption("property_examples"),
        rate_limit_model=config.getoption("rate_limit_model"),
        stream_error_model=config.getoption("stream_error_model"),
        profile=config.getoption("profile"),
    )
    repeat = config.getoption("conformance_repeat")
    if repeat < 1:
        raise pytest.UsageError(f"--conformance-repeat must be >= 1, not {repeat}")
    session = SuiteSession(
        settings,
        frozenset(names) or None,
        config.getoption("conformance_report"),
        strict=config.getoption("conformance_strict"),
        repeat=repeat,
    )
    if config.getini("junit_suite_name") == "pytest":
        # JUnit reports name the suite for what it is (unless the project's ini names it).
        config._inicache["junit_suite_name"] = "openai-conformance"
    session.config = config
    config.stash[STATE] = session
    config.pluginmanager.register(session, "mockgpt-conformance-session")


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    """Collect the checks from ``conformance/suite.py`` when the suite is set up."""
    if file_path.resolve() != ANCHOR or parent.config.stash.get(STATE, None) is None:
        return None
    collector: ConformanceFile = ConformanceFile.from_parent(parent, path=file_path)
    return collector


@pytest.hookimpl
def pytest_collection_finish(session: pytest.Session) -> None:
    """Keep the checks this run reports, ``-k`` applied (other owners are consulted)."""
    state = session.config.stash.get(STATE, None)
    if state is not None:
        state.selected = {i.check.id for i in session.items if isinstance(i, ConformanceItem)}


class ConformanceFile(pytest.File):
    """The registered checks of the selected features: one collector per feature."""

    def collect(self) -> Iterator[pytest.Collector]:
        """One ``FeatureCollector`` per selected feature, in report order."""
        state = self.config.stash[STATE]
        features: dict[str, list[Check]] = {}
        for check in select_checks(state.features):
            features.setdefault(check.feature, []).append(check)
        for feature, checks in features.items():
            yield FeatureCollector.from_parent(self, name=feature, checks=checks)


class FeatureCollector(pytest.Collector):
    """The checks of one feature (a JUnit class)."""

    def __init__(self, *, checks: list[Check], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.checks = checks

    def collect(self) -> Iterator[pytest.Item]:
        """One ``ConformanceItem`` per check."""
        for check in self.checks:
            yield ConformanceItem.from_parent(self, name=check.id, check=check)


class ConformanceItem(pytest.Item):
    """One check, run against the server under test."""

    def __init__(self, *, check: Check, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.check = check
        self.keywords[check.feature] = True

    def runtest(self) -> None:
        """Run the check, and give the item the check's outcome.

        A failure or a block fails the item; a warning passes it with a ``warning`` property
        (fails it with ``--conformance-strict``); unsupported, not-applicable and
        inconclusive skip it.
        """
        state = self.config.stash[STATE]
        result = state.run(self.check)
        record = result.to_record()
        self.user_properties += [
            ("check", self.check.id),
            ("feature", self.check.feature),
            ("severity", self.check.severity),
            ("outcome", result.outcome),
            (PROPERTY, json.dumps(record)),
        ]
        for owner in state.consulted():
            self.user_properties.append((PROPERTY, json.dumps(owner.to_record())))
        if result.flaky:
            self.user_properties.append(("flaky", ", ".join(result.flaky)))
        own = evidence(record["violation"])
        if result.outcome == "failed" or (result.outcome == "warned" and state.strict):
            assert result.violation is not None
            raise result.violation
        if result.outcome == "warned":
            self.user_properties.append(("warning", f"SHOULD: {own}"))
        elif result.outcome == "blocked":
            if result.root_outcome == "warned" and not state.strict:
                self.user_properties.append(("warning", f"{result.reason}; own evidence: {own}"))
                return
            self.user_properties.append(("blocked_by", str(result.blocked_by)))
            raise Blocked(f"{result.reason}\n  own evidence: {own}")
        elif result.outcome == "unsupported":
            pytest.skip(f"unsupported: {result.reason}")
        elif result.outcome == "not-applicable":
            pytest.skip(f"not applicable ({state.settings.profile}): {result.reason}")
        elif result.outcome == "inconclusive":
            pytest.skip(f"inconclusive: {result.reason}; own evidence: {own}")

    def repr_failure(
        self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None
    ) -> str | Any:
        """A violation or a block as its labelled lines; anything else as pytest shows it."""
        if isinstance(excinfo.value, Violation):
            return excinfo.value.render()
        if isinstance(excinfo.value, Blocked):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        """Where the check is defined, and its id."""
        code = self.check.func.__code__
        return Path(code.co_filename), code.co_firstlineno - 1, self.check.id
