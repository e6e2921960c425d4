"""``mockgpt conformance``: the suite through pytest; exit 0 / 1 / 2."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from conformance.cli import PYTEST_INI, pytest_arguments
from mockgpt.cli import main
from tests.conformance.conftest import cli_options, serving

pytestmark = pytest.mark.timeout(300)  # whole suite runs: minutes on a loaded machine


def test_cli_passes_against_mockgpt(mock_server: str) -> None:
    result = CliRunner().invoke(
        main, ["conformance", *cli_options(mock_server), "--features", "models"]
    )
    assert result.exit_code == 0, result.output
    assert "OpenAI API conformance" in result.output
    assert "4 passed" in result.output


def test_cli_exits_1_on_a_failure() -> None:
    with serving(quirks=("chunk-id-changes",)) as url:
        result = CliRunner().invoke(
            main, ["conformance", *cli_options(url), "--features", "chat-streaming"]
        )
    assert result.exit_code == 1, result.output
    assert "FAILED chat.stream.id-stable: chunks[1].id: expected " in result.output


def test_cli_exits_2_on_usage_errors(mock_server: str) -> None:
    runner = CliRunner()
    unknown = runner.invoke(main, ["conformance", *cli_options(mock_server), "--features", "x"])
    assert unknown.exit_code == 2
    missing = runner.invoke(main, ["conformance", "--base-url", mock_server])
    assert missing.exit_code == 2
    assert "Missing option '--model'" in missing.output


def test_cli_pytest_arguments_isolate_the_run_and_pass_extra_arguments() -> None:
    args = pytest_arguments(
        base_url="http://h/v1",
        model="m",
        api_key=None,
        embedding_model="e",
        features=("chat,tools",),
        report="out",
        request_timeout=5.0,
        stream_timeout=9.0,
        property_examples=3,
        rate_limit_model=None,
        stream_error_model=None,
        extra=("-n", "2"),
    )
    assert args[:2] == ["-c", str(PYTEST_INI)]
    assert args[args.index("-p") + 1] == "conformance.plugin"
    text = " ".join(args)
    assert "--pyargs conformance --base-url http://h/v1 --model m" in text
    assert "--embedding-model e --conformance-report out --features chat,tools" in text
    assert "--request-timeout 5.0 --stream-timeout 9.0 --property-examples 3" in text
    assert "--api-key" not in text
    assert args[-2:] == ["-n", "2"]
