"""The ini options, the marker's registration, and xdist (each worker its own server)."""

from __future__ import annotations

import pytest

from tests.plugin.conftest import HAS_XDIST

SUBPROCESS_TIMEOUT_S = 300
"""New Python processes (three with ``-n 2``) import openai and pytest's plugins each: slow on
a loaded CI machine."""

LEAN = ("-p", "no:hypothesispytest", "-p", "no:respx")
"""Plugins these runs do not need, left out to start faster."""


def test_ini_scenarios_and_transport(downstream: pytest.Pytester) -> None:
    """``mockgpt_scenarios`` loads files for every test; ``mockgpt_transport`` sets the default."""
    downstream.makeini(
        "[pytest]\n"
        "addopts = -p no:cacheprovider\n"
        "filterwarnings = error\n"
        "asyncio_default_fixture_loop_scope = function\n"
        "mockgpt_scenarios = weather.yaml\n"
        "mockgpt_transport = asgi\n"
    )
    downstream.makepyfile(
        """
        import pytest
        from weather_app import weather_report

        def test_every_test_has_the_ini_scenario(mockgpt):
            assert weather_report("Paris") == "Sunny, 18 °C."
            assert [s.name for s in mockgpt.scenarios] == ["weather"]
            assert mockgpt.transport == "asgi"

        @pytest.mark.mockgpt(transport="socket")
        def test_marker_wins_over_the_ini(mockgpt):
            mockgpt.stub(match={"last_user": "weather"}, respond="from the test")
            assert weather_report("Paris") == "from the test"
            assert mockgpt.journal[0].headers["host"].startswith("127.0.0.1:")

        def test_unmatched_with_ini_stubs_fails(mockgpt):
            mockgpt.client().chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": "hello"}]
            )
        """
    )

    result = downstream.runpytest()

    result.assert_outcomes(passed=3, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_unmatched_with_ini_stubs_fails*",
            "      closest stub: answer-from-tool (0 of 1 conditions held)",
        ]
    )


def test_marker_is_registered(downstream: pytest.Pytester) -> None:
    result = downstream.runpytest("--markers")

    result.stdout.fnmatch_lines(
        [
            "@pytest.mark.mockgpt(scenario=None, strict=True, fallback=None, transport='socket', "
            "cassette=False, seed=None, real_api=False): *"
        ]
    )


@pytest.mark.timeout(SUBPROCESS_TIMEOUT_S)
def test_plugin_is_inert_without_its_fixtures(downstream: pytest.Pytester) -> None:
    """A test that asks for no mockgpt fixture starts no server and sets no variable."""
    downstream.makepyfile(
        """
        import importlib, os, threading

        def test_untouched():
            assert "OPENAI_BASE_URL" not in os.environ
            assert not [t for t in threading.enumerate() if t.name == "mockgpt-server"]
            for name in ("httpx", "httpx2"):
                try:
                    lib = importlib.import_module(name)
                except ImportError:
                    continue
                assert lib.HTTPTransport.handle_request.__module__.startswith(name)
        """
    )

    result = downstream.runpytest_subprocess(*LEAN)

    result.assert_outcomes(passed=1)


@pytest.mark.timeout(SUBPROCESS_TIMEOUT_S)
@pytest.mark.skipif(not HAS_XDIST, reason="pytest-xdist is not installed")
def test_xdist_each_worker_has_its_own_server(downstream: pytest.Pytester) -> None:
    downstream.makepyfile(
        """
        import os
        import pytest

        @pytest.mark.parametrize("n", range(6))
        def test_port(mockgpt, n):
            mockgpt.stub(respond=f"answer {n}", expect=1)
            answer = mockgpt.client().chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}]
            )
            assert answer.choices[0].message.content == f"answer {n}"
            worker = os.environ["PYTEST_XDIST_WORKER"]
            print(f"SERVER {worker} {mockgpt.server.port}")
        """
    )

    result = downstream.runpytest_subprocess("-n", "2", "-rA", *LEAN)

    result.assert_outcomes(passed=6)
    servers = {
        tuple(line.split()[1:3]) for line in result.stdout.lines if line.startswith("SERVER gw")
    }
    assert {worker for worker, _ in servers} == {"gw0", "gw1"}
    assert len({port for _, port in servers}) == 2
