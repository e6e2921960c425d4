"""The pytest plugin: ``pytest --pyargs conformance --base-url URL --model M``.

Registered as the ``pytest11`` entry point ``mockgpt_conformance``. It only adds options: it
collects nothing unless ``--base-url`` is given *and* the run targets the conformance
package, so another project's test run is unaffected. Each check is one test item, under
one collector per feature (JUnit class names read ``conformance.suite.<feature>``): a failure
fails it; a check blocked by another's failure fails too, naming the owner, with its own
evidence; a SHOULD warning passes with a ``warning`` property (and fails with
``--conformance-strict``); unsupported, not-applicable and inconclusive checks are skips that
say why. Results travel as the items' ``user_properties`` (so they reach the controller under
pytest-xdist and the ``--junitxml`` file), and the terminal summary, ``--conformance-report``
JSON and Markdown are written from them (by the run's ``SuiteSession``, ``conformance.session``).
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conformance.context import Settings
from conformance.failures import Violation
from conformance.profiles import PROFILES
from conformance.registry import FEATURES, Check, select_checks
from conformance.report import evidence
from conformance.session import PROPERTY, STATE, SuiteSession

PACKAGE_DIR = Path(__file__).resolve().parent
ANCHOR = PACKAGE_DIR / "suite.py"
"""The file the checks are collected from (their node ids read ``.../suite.py::<check id>``)."""


class Blocked(AssertionError):
    """A check blocked by another check's failure: a failure that names the owner."""


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
        (
            "--profile",
            {
                "default": "inference",
                "choices": list(PROFILES),
                "help": "the kind of server: which checks apply (default: inference)",
            },
        ),
        (
            "--conformance-strict",
            {"action": "store_true", "help": "SHOULD warnings fail the run too"},
        ),
        (
            "--conformance-repeat",
            {"type": int, "default": 1, "metavar": "N", "help": "run each check N times"},
        ),
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


@pytest.hookimpl(tryfirst=True)
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
