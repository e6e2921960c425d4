"""README examples run with ``pytester``, registered at configure time.

``pytest_plugins`` is accepted only in the top-level conftest, so the plugin is imported here
when this directory's tests are collected.
"""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    if not config.pluginmanager.has_plugin("pytester"):
        config.pluginmanager.import_plugin("pytester")
