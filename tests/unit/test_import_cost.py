"""``import mockgpt`` and its pytest11 entry point import nothing heavy.

A pytest run that has mockgpt installed loads ``mockgpt.pytest_plugin`` whether or not a test
uses it, so importing it must not pull in the server, Starlette, uvicorn, pydantic, httpx or
openai: those load when a test first asks for a mockgpt fixture. Checked as a property (which
modules a fresh interpreter holds afterwards), not as a timing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import mockgpt

HEAVY_PACKAGES = ("starlette", "uvicorn", "pydantic", "httpx", "httpx2", "openai")
HEAVY_MODULES = ("mockgpt.app", "mockgpt.server")
ROOT = Path(mockgpt.__file__).resolve().parent.parent


def _heavy_modules_after(statement: str) -> list[str]:
    """The heavy modules a fresh interpreter holds after running ``statement``."""
    packages = sorted({*HEAVY_PACKAGES, "mockgpt"})
    code = (
        f"{statement}; import json, sys; "
        f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {packages!r})))"
    )
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False
    )
    assert result.returncode == 0, result.stderr
    loaded: list[str] = json.loads(result.stdout)
    return [
        name
        for name in loaded
        if name.split(".")[0] in HEAVY_PACKAGES
        or any(name == module or name.startswith(module + ".") for module in HEAVY_MODULES)
    ]


@pytest.mark.parametrize(
    "statement",
    ["import mockgpt.pytest_plugin", "import mockgpt", "import mockgpt.pytest_plugin, pytest"],
    ids=["pytest-plugin", "package", "plugin-with-pytest"],
)
def test_import_cost_entry_point_imports_nothing_heavy(statement: str) -> None:
    """Importing the package or its pytest11 entry point loads no server or HTTP stack."""
    assert _heavy_modules_after(statement) == []


def test_import_cost_public_name_loads_on_first_use() -> None:
    """The check above can fail: using a public name does import the server."""
    heavy = _heavy_modules_after("import mockgpt; mockgpt.MockServer")

    assert "mockgpt.server" in heavy
    assert "starlette" in heavy
