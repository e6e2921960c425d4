"""The suite's state for one pytest run: the runners, the records, the report.

``conformance.plugin`` registers a ``SuiteSession`` as a plugin when the suite is set up
(``--base-url`` given and the conformance package targeted). It runs the checks (the runners
and their contexts start on first use), keeps the record each check item carries (on the
pytest-xdist controller too), names JUnit classes after features, writes the
``--conformance-report`` files and prints the terminal summary.
"""

from __future__ import annotations

import datetime
import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from _pytest.junitxml import xml_key  # the --junitxml writer, to name JUnit classes

from conformance.context import CheckContext, Settings
from conformance.meta import BaseUrlError, probe, run_meta
from conformance.profiles import not_applicable
from conformance.registry import FEATURES, Check, load_checks, select_checks
from conformance.report import Report, report_from
from conformance.runner import CheckResult, Runner, repeat_outcomes

PROPERTY = "conformance"
"""The user property that carries a check's record (JSON)."""


class SuiteSession:
    """The suite's state for one pytest run, registered as a plugin when the suite is set up."""

    def __init__(
        self,
        settings: Settings,
        features: frozenset[str] | None,
        report_path: str | None,
        *,
        strict: bool = False,
        repeat: int = 1,
    ) -> None:
        self.settings = settings
        self.features = features
        self.report_path = report_path
        self.strict = strict
        self.repeat = repeat
        self.started = time.monotonic()
        self.started_at = datetime.datetime.now(datetime.timezone.utc)
        self.contexts: list[CheckContext] = []
        self.runners: list[Runner] = []
        self.selected = {c.id for c in select_checks(features)}
        self.sent: set[str] = set()
        self.records: list[dict[str, Any]] = []
        self.written: list[Path] = []
        self.headers: dict[str, str] = {}
        self.hints: list[str] = []
        self.config: pytest.Config | None = None

    def run(self, check: Check) -> CheckResult:
        """The result of one check (the runners and their contexts start on first use)."""
        if not self.runners:
            exempt = not_applicable(self.settings.profile)
            for _ in range(self.repeat):
                ctx = CheckContext(self.settings)
                self.contexts.append(ctx)
                self.runners.append(Runner(ctx, list(load_checks()), not_applicable=exempt))
        return repeat_outcomes([runner.run(check.id) for runner in self.runners])

    def consulted(self) -> list[CheckResult]:
        """Owners run outside the selected checks, not handed over yet."""
        if not self.runners:
            return []
        fresh = [r for r in self.runners[0].consulted(self.selected) if r.check.id not in self.sent]
        self.sent.update(r.check.id for r in fresh)
        return fresh

    def report(self) -> Report | None:
        """The report of the records received so far, None before any."""
        if not self.records:
            return None
        options = {
            "features": sorted(self.features) if self.features else None,
            "strict": self.strict,
            "repeat": self.repeat,
        }
        meta = run_meta(
            self.settings, started=self.started_at, options=options, headers=self.headers
        )
        meta["hints"] = self.hints
        return report_from(
            self.records,
            base_url=self.settings.base_url,
            model=self.settings.model,
            duration_s=time.monotonic() - self.started,
            meta=meta,
            strict=self.strict,
        )

    @pytest.hookimpl
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        """Fail fast, as a usage error, when the server cannot be reached or lacks ``/v1``.

        A base URL without ``/v1`` gets one hint instead of every check unsupported.
        """
        if hasattr(session.config, "workerinput"):
            return
        try:
            httpx.get(f"{self.settings.base_url}/models", timeout=min(self.settings.timeout_s, 10))
        except httpx.TransportError as exc:
            raise pytest.UsageError(
                f"cannot reach {self.settings.base_url}: {type(exc).__name__}: {exc} "
                "(is the server running, and does --base-url end with /v1?)"
            ) from None
        ctx = CheckContext(self.settings)
        try:
            self.headers, self.hints = probe(ctx)
        except BaseUrlError as exc:
            raise pytest.UsageError(str(exc)) from None
        finally:
            ctx.close()

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Keep the record each check item carries (on the xdist controller too).

        And name its JUnit class after its feature (``conformance.<feature>``), wherever the
        suite is installed.
        """
        xml = self.config.stash.get(xml_key, None) if self.config is not None else None
        parts = report.nodeid.split("::")
        if xml is not None and len(parts) >= 3 and parts[-2] in FEATURES:
            xml.node_reporter(report).add_attribute("classname", f"conformance.{parts[-2]}")
        if report.when != "call":
            return
        for name, value in report.user_properties:
            if name == PROPERTY:
                self.records.append(json.loads(str(value)))

    @pytest.hookimpl
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        """Write the report files; fail the run when the report is not ok."""
        report = self.report()
        if report is None or hasattr(session.config, "workerinput"):
            return
        if self.report_path:
            self.written = report.write(self.report_path)
        if not report.ok and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    @pytest.hookimpl
    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        """Print the feature matrix and a line per failure, block, warning and flaky check."""
        report = self.report()
        if report is None:
            return
        terminalreporter.write_sep("=", "OpenAI API conformance")
        for line in report.terminal_lines():
            terminalreporter.write_line(line)
        for path in self.written:
            terminalreporter.write_line(f"report written: {path}")

    @pytest.hookimpl
    def pytest_unconfigure(self) -> None:
        """Close the HTTP clients."""
        for ctx in self.contexts:
            ctx.close()


STATE = pytest.StashKey[SuiteSession]()
"""Where the run's ``SuiteSession`` is kept (``config.stash``)."""
