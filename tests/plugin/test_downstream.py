"""A downstream project's test suite, run by pytester: fixtures, marker, transports, async."""

from __future__ import annotations

import pytest

from tests.plugin.conftest import DOWNSTREAM, HAS_PYTEST_ASYNCIO


def test_plugin_downstream_suite_passes(downstream: pytest.Pytester) -> None:
    """Every fixture, the marker, the scenario file, both transports, sync and async."""
    downstream.makepyfile(test_weather_app=(DOWNSTREAM / "test_weather_app.py").read_text())
    if HAS_PYTEST_ASYNCIO:
        downstream.makepyfile(
            test_pytest_asyncio=(DOWNSTREAM / "test_pytest_asyncio.py").read_text()
        )

    result = downstream.runpytest()

    result.assert_outcomes(passed=16 + (4 if HAS_PYTEST_ASYNCIO else 0))
