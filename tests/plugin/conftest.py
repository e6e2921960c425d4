"""Plugin tests: ``pytester`` runs of downstream-style test files, and direct fixture use.

``downstream/`` holds the files those runs copy in (an application and its tests); it is
not collected here. ``pytester`` is registered at configure time rather than through
``pytest_plugins``, which pytest accepts only in the top-level conftest.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

DOWNSTREAM = Path(__file__).parent / "downstream"

collect_ignore = ["downstream"]

HAS_PYTEST_ASYNCIO = importlib.util.find_spec("pytest_asyncio") is not None
HAS_XDIST = importlib.util.find_spec("xdist") is not None

INI = """
[pytest]
addopts = -p no:cacheprovider
filterwarnings = error
"""
"""The downstream project's ini: warnings are errors there too."""


for _name in ("httpcore", "httpcore2"):
    # httpx and httpx2 import their httpcore on first use and keep its exception classes. A
    # pytester run that made that first request would unload it when it restores sys.modules,
    # and the next socket error here would escape the client's mapping (a raw httpcore error,
    # not APIConnectionError). Imported now, it is part of every run's snapshot.
    if importlib.util.find_spec(_name) is not None:
        importlib.import_module(_name)


def pytest_configure(config: pytest.Config) -> None:
    if not config.pluginmanager.has_plugin("pytester"):
        config.pluginmanager.import_plugin("pytester")


@pytest.fixture
def downstream(pytester: pytest.Pytester) -> pytest.Pytester:
    """A pytester directory with the downstream application and a strict ini."""
    ini = INI
    if HAS_PYTEST_ASYNCIO:
        ini += "asyncio_default_fixture_loop_scope = function\n"
    pytester.makeini(ini)
    for name in ("weather_app.py", "weather.yaml"):
        (pytester.path / name).write_text((DOWNSTREAM / name).read_text())
    return pytester
