"""The pytest plugin: inert in other projects; the suite as test items; its report and exit code."""

from __future__ import annotations

import importlib.util
import json
import socket
from typing import Any
from xml.etree import ElementTree

import pytest

from tests.conformance.conftest import cli_options, serving

pytestmark = pytest.mark.timeout(300)  # whole suite runs: minutes on a loaded machine

INI = """
[pytest]
addopts = -p no:cacheprovider -p no:asyncio -p no:randomly
filterwarnings = error
"""
"""A downstream project's strict ini (warnings are errors there too)."""


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeini(INI)
    return pytester


def test_plugin_is_inert_in_another_project(project: pytest.Pytester) -> None:
    project.makepyfile(test_app="def test_app():\n    assert True\n")
    project.runpytest().assert_outcomes(passed=1)


def test_plugin_is_inert_with_base_url_but_another_target(project: pytest.Pytester) -> None:
    """--base-url alone (pytest-base-url style) collects and contacts nothing of the suite."""
    project.makepyfile(test_app="def test_app():\n    assert True\n")
    result = project.runpytest("--base-url", "http://127.0.0.1:9/v1")
    result.assert_outcomes(passed=1)
    assert "conformance" not in result.stdout.str()


def test_plugin_pyargs_without_base_url_collects_nothing(project: pytest.Pytester) -> None:
    result = project.runpytest("--pyargs", "conformance")
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED


def test_plugin_runs_the_suite_with_junit_properties(
    project: pytest.Pytester, mock_server: str
) -> None:
    args = ["--pyargs", "conformance", *cli_options(mock_server), "--features", "models,errors"]
    result = project.runpytest(*args, "--junitxml=junit.xml")
    result.assert_outcomes(passed=12)
    result.stdout.fnmatch_lines(
        ["*= OpenAI API conformance =*", "models * 4 * 0 * 0 * 0", "total * 12 * 0 * 0 * 0"]
    )
    junit = (project.path / "junit.xml").read_text()
    assert '<property name="check" value="models.list.schema" />' in junit
    assert '<property name="outcome" value="passed" />' in junit


def test_plugin_failure_names_check_field_expected_actual_spec_and_curl(
    project: pytest.Pytester,
) -> None:
    with serving(quirks=("no-done",)) as url:
        result = project.runpytest(
            "--pyargs", "conformance", *cli_options(url), "--features", "chat-streaming"
        )
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.assert_outcomes(failed=1, passed=15)
    result.stdout.fnmatch_lines(
        [
            "chat.stream.done-sentinel [http] <stream>",
            "  expected: data: [DONE] as the last event",
            '  actual:   the stream ends with: {"id":"chatcmpl-*',
            "  spec:     CreateChatCompletionRequest.stream: the stream is terminated by *",
            "  repro:    curl -sS -N -X POST http://127.0.0.1:*/v1/chat/completions -H *",
            "FAILED chat.stream.done-sentinel: <stream>: expected data: [[]DONE[]] *",
        ]
    )


def test_plugin_unsupported_checks_skip_with_their_reason(
    project: pytest.Pytester, mock_server: str
) -> None:
    options = cli_options(mock_server)
    del options[options.index("--embedding-model") : options.index("--embedding-model") + 2]
    result = project.runpytest(
        "--pyargs", "conformance", *options, "--features", "embeddings", "-ra"
    )
    assert result.ret == pytest.ExitCode.OK
    result.assert_outcomes(skipped=4)
    result.stdout.fnmatch_lines(["SKIPPED *unsupported: no embedding model given*"])


def test_plugin_blocked_check_fails_naming_its_owner_and_shows_its_own_evidence(
    project: pytest.Pytester,
) -> None:
    """The owner is not selected: it is still run, and reported as consulted."""
    with serving(quirks=("json-when-stream",)) as url:
        result = project.runpytest(
            "--pyargs", "conformance", *cli_options(url), "-k", "chat.stream.id-stable", "-ra"
        )
    result.assert_outcomes(failed=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [
            "*blocked by chat.stream.sse, which reports the same departure: <body>: *",
            "*own evidence: <body>: expected server-sent events*",
            "BLOCKED chat.stream.id-stable: by chat.stream.sse; its own evidence: <body>: *",
            "CONSULTED chat.stream.sse (chat-streaming, not selected): failed, *",
        ]
    )


def test_plugin_report_option_writes_json_and_markdown(
    project: pytest.Pytester, mock_server: str
) -> None:
    args = ["--pyargs", "conformance", *cli_options(mock_server), "--features", "models"]
    result = project.runpytest(*args, "--conformance-report", "out/report")
    result.assert_outcomes(passed=4)
    data = json.loads((project.path / "out" / "report.json").read_text())
    assert data["totals"] == {
        "passed": 4,
        "failed": 0,
        "warned": 0,
        "unsupported": 0,
        "blocked": 0,
        "inconclusive": 0,
        "not-applicable": 0,
    }
    assert data["meta"]["settings"]["model"] == "gpt-4o-mini"
    assert "api_key" not in data["meta"]["settings"]
    assert (project.path / "out" / "report.md").read_text().startswith("# Conformance report")


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--base-url", "http://127.0.0.1:9/v1"], "*--model is required with --base-url*"),
        (
            ["--base-url", "http://127.0.0.1:9/v1", "--model", "m", "--features", "weather"],
            "*--features: unknown feature(s) weather*",
        ),
        (["--model", "m", "--base-url", "<closed>"], "*cannot reach http://127.0.0.1:*"),
    ],
    ids=["no-model", "unknown-feature", "unreachable"],
)
def test_plugin_usage_errors(project: pytest.Pytester, args: list[str], message: str) -> None:
    args = [a.replace("<closed>", f"http://127.0.0.1:{_closed_port()}/v1") for a in args]
    result = project.runpytest("--pyargs", "conformance", *args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([message])


@pytest.mark.skipif(importlib.util.find_spec("xdist") is None, reason="needs pytest-xdist")
@pytest.mark.timeout(300)  # two worker processes start and import the clients
def test_plugin_runs_under_xdist_and_reports_on_the_controller(
    project: pytest.Pytester, mock_server: str
) -> None:
    args = ["--pyargs", "conformance", *cli_options(mock_server), "--features", "models"]
    result = project.runpytest_subprocess(*args, "-n", "2", "--conformance-report", "report")
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines(["total * 4 * 0 * 0 * 0"])
    data = json.loads((project.path / "report.json").read_text())
    assert len(data["checks"]) == 4


def _junit(path: Any) -> ElementTree.Element:
    return ElementTree.parse(path).getroot()


def test_plugin_junit_blocked_is_a_failure_naming_the_owner_with_real_names(
    project: pytest.Pytester,
) -> None:
    with serving(quirks=("json-when-stream",)) as url:
        result = project.runpytest(
            "--pyargs", "conformance", *cli_options(url), "-k", "chat.stream.id-stable",
            "--junitxml", "out.xml",
        )  # fmt: skip
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    root = _junit(project.path / "out.xml")
    (suite,) = root.iter("testsuite")
    assert suite.get("name") == "openai-conformance"
    (case,) = root.iter("testcase")
    assert (case.get("classname"), case.get("name")) == (
        "conformance.chat-streaming",
        "chat.stream.id-stable",
    )
    failure = case.find("failure")
    assert failure is not None
    assert str(failure.get("message")).startswith("blocked by chat.stream.sse, which reports")
    properties = {p.get("name"): p.get("value") for p in case.iter("property")}
    assert properties["blocked_by"] == "chat.stream.sse"
    assert properties["outcome"] == "blocked"


def test_plugin_should_warnings_pass_with_a_property_unless_strict(
    project: pytest.Pytester,
) -> None:
    args = ["--pyargs", "conformance", "-k", "chat.stream.created-stable"]
    with serving(quirks=("created-changes",)) as url:
        lenient = project.runpytest(*args, *cli_options(url), "--junitxml", "out.xml")
        strict = project.runpytest(*args, *cli_options(url), "--conformance-strict")
    lenient.assert_outcomes(passed=1)
    assert lenient.ret == pytest.ExitCode.OK
    lenient.stdout.fnmatch_lines(
        ["warnings (SHOULD rules: *", "WARN chat.stream.created-stable: chunks?1?.created: *"]
    )
    (case,) = _junit(project.path / "out.xml").iter("testcase")
    properties = {p.get("name"): p.get("value") for p in case.iter("property")}
    assert str(properties["warning"]).startswith("SHOULD: chunks[1].created: expected ")
    strict.assert_outcomes(failed=1)
    assert strict.ret == pytest.ExitCode.TESTS_FAILED


def test_plugin_profile_makes_generation_checks_not_applicable(project: pytest.Pytester) -> None:
    args = ["--pyargs", "conformance", "-k", "chat.stop.sequence", "-rs"]
    with serving(quirks=("stop-ignored",)) as url:
        inference = project.runpytest(*args, *cli_options(url))
        mock = project.runpytest(*args, *cli_options(url), "--profile", "fixture-mock")
    inference.assert_outcomes(failed=1)
    mock.assert_outcomes(skipped=1)
    assert mock.ret == pytest.ExitCode.OK
    mock.stdout.fnmatch_lines(["*not applicable (fixture-mock): a fixture mock answers *"])
