"""The pytest plugin: ``pytest --pyargs conformance --base-url URL --model M``.

Registered as the ``pytest11`` entry point ``mockgpt_conformance``. It only adds options: it
collects nothing unless ``--base-url`` is given *and* the run targets the conformance
package, so another project's test run is unaffected. Each check is one test item; an
unsupported check is a skip (``unsupported: ...``), a check blocked by another failure is a
skip (``blocked by ...``) that still fails the run. Results travel as the items'
``user_properties`` (so they reach the controller under pytest-xdist and the
``--junitxml`` file), and the terminal summary, ``--conformance-report`` JSON and Markdown
are written from them.
"""

from __future__ import annotations

import importlib.util
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conformance.context import CheckContext, Settings
from conformance.failures import Violation
from conformance.registry import FEATURES, Check, load_checks, select_checks
from conformance.report import Report, report_from
from conformance.runner import CheckResult, Runner

PACKAGE_DIR = Path(__file__).resolve().parent
ANCHOR = PACKAGE_DIR / "suite.py"
"""The file the checks are collected from (their node ids read ``.../suite.py::<check id>``)."""
PROPERTY = "conformance"


class _Session:
    """The suite's state for one pytest run, registered as a plugin when the suite is set up."""

    def __init__(
        self, settings: Settings, features: frozenset[str] | None, report_path: str | None
    ) -> None:
        self.settings = settings
        self.features = features
        self.report_path = report_path
        self.started = time.monotonic()
        self.ctx: CheckContext | None = None
        self.runner: Runner | None = None
        self.records: list[dict[str, Any]] = []
        self.written: list[Path] = []

    def run(self, check: Check) -> CheckResult:
        """The result of one check (the runner and its context start on first use)."""
        if self.runner is None:
            self.ctx = CheckContext(self.settings)
            self.runner = Runner(self.ctx, list(load_checks()))
        return self.runner.run(check.id)

    def report(self) -> Report | None:
        """The report of the records received so far, None before any."""
        if not self.records:
            return None
        return report_from(
            self.records,
            base_url=self.settings.base_url,
            model=self.settings.model,
            duration_s=time.monotonic() - self.started,
        )

    @pytest.hookimpl
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        """Fail fast, as a usage error, when the server cannot be reached at all."""
        if hasattr(session.config, "workerinput"):
            return
        import httpx

        try:
            httpx.get(f"{self.settings.base_url}/models", timeout=min(self.settings.timeout_s, 10))
        except httpx.TransportError as exc:
            raise pytest.UsageError(
                f"cannot reach {self.settings.base_url}: {type(exc).__name__}: {exc} "
                "(is the server running, and does --base-url end with /v1?)"
            ) from None

    @pytest.hookimpl
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Keep the record each check item carries (on the xdist controller too)."""
        if report.when != "call":
            return
        for name, value in report.user_properties:
            if name == PROPERTY:
                self.records.append(json.loads(str(value)))

    @pytest.hookimpl
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        """Write the report files; fail the run for a check blocked by an unreported failure."""
        report = self.report()
        if report is None or hasattr(session.config, "workerinput"):
            return
        if self.report_path:
            self.written = report.write(self.report_path)
        failed = {r["check_id"] for r in report.by_outcome("failed")}
        if any(r["blocked_by"] not in failed for r in report.by_outcome("blocked")):
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    @pytest.hookimpl
    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        """Print the feature matrix (passed / failed / unsupported / blocked per feature)."""
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
        if self.ctx is not None:
            self.ctx.close()


STATE = pytest.StashKey[_Session]()


def pytest_addoption(parser: pytest.Parser) -> None:
    """Register the suite's options (inert when ``--base-url`` is absent)."""
    group = parser.getgroup("conformance", "OpenAI API conformance suite (mockgpt)")
    options: list[tuple[str, dict[str, Any]]] = [
        ("--model", {"help": "the chat model to test (required with --base-url)"}),
        ("--api-key", {"help": "API key to send (default: none)"}),
        ("--embedding-model", {"help": "an embedding model (default: embeddings unsupported)"}),
        (
            "--features",
            {
                "action": "append",
                "default": [],
                "help": "features to check, comma-separated or repeated; of: "
                + ", ".join(FEATURES),
            },
        ),
        ("--conformance-report", {"metavar": "PATH", "help": "write PATH.json and PATH.md"}),
        ("--request-timeout", {"type": float, "default": 30.0, "help": "seconds per request"}),
        ("--stream-timeout", {"type": float, "default": 60.0, "help": "longest stream, seconds"}),
        (
            "--property-examples",
            {"type": int, "default": 25, "help": "generated requests per property (budget)"},
        ),
        ("--rate-limit-model", {"help": "a model the server answers with 429"}),
        ("--stream-error-model", {"help": "a model whose streams end with an error event"}),
    ]
    if importlib.util.find_spec("pytest_base_url") is None:
        # pytest-base-url owns --base-url when it is installed; both use the dest base_url.
        options.insert(
            0, ("--base-url", {"help": "API root of the server, e.g. http://127.0.0.1:8000/v1"})
        )
    for name, kwargs in options:
        try:
            group.addoption(name, **kwargs)
        except ValueError:
            continue  # another plugin registered the same option; share its value


def _targets_suite(config: pytest.Config) -> bool:
    for arg in config.args:
        name = str(arg).split("::")[0]
        if config.option.pyargs and name.split(".")[0] == "conformance":
            return True
        path = Path(config.invocation_params.dir, name).resolve()
        if path == PACKAGE_DIR or PACKAGE_DIR in path.parents:
            return True
    return False


def pytest_configure(config: pytest.Config) -> None:
    """Set up the run when ``--base-url`` is given and the conformance package is targeted."""
    base_url = config.getoption("base_url", None)
    if not base_url or not _targets_suite(config):
        return
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
        base_url=str(base_url).rstrip("/"),
        model=str(model),
        api_key=config.getoption("api_key"),
        embedding_model=config.getoption("embedding_model"),
        timeout_s=config.getoption("request_timeout"),
        stream_timeout_s=config.getoption("stream_timeout"),
        property_examples=config.getoption("property_examples"),
        rate_limit_model=config.getoption("rate_limit_model"),
        stream_error_model=config.getoption("stream_error_model"),
    )
    session = _Session(settings, frozenset(names) or None, config.getoption("conformance_report"))
    config.stash[STATE] = session
    config.pluginmanager.register(session, "mockgpt-conformance-session")


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    """Collect the checks from ``conformance/suite.py`` when the suite is set up."""
    if file_path.resolve() != ANCHOR or parent.config.stash.get(STATE, None) is None:
        return None
    collector: ConformanceFile = ConformanceFile.from_parent(parent, path=file_path)
    return collector


class ConformanceFile(pytest.File):
    """The registered checks of the selected features, one item each."""

    def collect(self) -> Iterator[pytest.Item]:
        """One ``ConformanceItem`` per selected check."""
        state = self.config.stash[STATE]
        for check in select_checks(state.features):
            yield ConformanceItem.from_parent(self, name=check.id, check=check)


class ConformanceItem(pytest.Item):
    """One check, run against the server under test."""

    def __init__(self, *, check: Check, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.check = check
        self.keywords[check.feature] = True

    def runtest(self) -> None:
        """Run the check; a violation fails the item, unsupported and blocked skip it."""
        state = self.config.stash[STATE]
        result = state.run(self.check)
        record = result.to_record()
        self.user_properties += [
            ("check", self.check.id),
            ("feature", self.check.feature),
            ("outcome", result.outcome),
            (PROPERTY, json.dumps(record)),
        ]
        if result.outcome == "failed":
            assert result.violation is not None
            raise result.violation
        if result.outcome == "unsupported":
            pytest.skip(f"unsupported: {result.reason}")
        if result.outcome == "blocked":
            pytest.skip(result.reason)

    def repr_failure(
        self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None
    ) -> str | Any:
        """A violation as its labelled lines; anything else as pytest shows it."""
        if isinstance(excinfo.value, Violation):
            return excinfo.value.render()
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        """Where the check is defined, and its id."""
        code = self.check.func.__code__
        return Path(code.co_filename), code.co_firstlineno - 1, self.check.id
