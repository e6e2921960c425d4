"""The suite's pytest11 entry point, ``conformance.plugin``, imports nothing heavy.

Every pytest run of a project that has mockgpt installed loads ``conformance.plugin``, so
importing it must not pull in the HTTP clients, the validation models, hypothesis or the
command line: ``conformance.run`` brings those only when a run targets the suite. Checked as
a property (which modules a fresh interpreter holds afterwards), not as a timing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import conformance

HEAVY_PACKAGES = ("httpx", "httpx2", "openai", "pydantic", "starlette", "hypothesis", "click")
ROOT = Path(conformance.__file__).resolve().parent.parent


def _heavy_packages_after(statement: str) -> list[str]:
    """The heavy packages a fresh interpreter holds after running ``statement``."""
    code = (
        f"{statement}; import json, sys; "
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules}"
        f" & {set(HEAVY_PACKAGES)!r})))"
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
    return loaded


@pytest.mark.parametrize(
    "statement",
    ["import pytest; import conformance.plugin", "import conformance.plugin"],
    ids=["with-pytest", "alone"],
)
def test_import_cost_entry_point_imports_nothing_heavy(statement: str) -> None:
    """Importing the entry point loads no HTTP client, model, hypothesis or click."""
    assert _heavy_packages_after(statement) == []


def test_import_cost_heavy_part_loads_them() -> None:
    """The check above can fail: what the entry point defers (``conformance.run`` and the
    checks it loads in ``set_up``) does import them."""
    heavy = _heavy_packages_after(
        "import pytest; import conformance.run, conformance.registry as r; r.load_checks()"
    )

    assert {"httpx", "click", "pydantic", "hypothesis"} <= set(heavy)


def test_import_cost_another_project_never_loads_the_suite(pytester: pytest.Pytester) -> None:
    """A pytest run that does not target the suite loads the entry point and nothing more,
    even with ``--base-url`` (pytest-base-url style)."""
    pytester.makeini("[pytest]\naddopts = -p no:cacheprovider -p no:asyncio -p no:randomly\n")
    pytester.makepyfile(
        test_app="""
        import sys

        def test_app():
            loaded = sorted(m for m in sys.modules if m.split(".")[0] == "conformance")
            assert loaded == ["conformance", "conformance.failures", "conformance.plugin",
                              "conformance.profiles", "conformance.registry"]
        """
    )
    result = pytester.runpytest_subprocess("--base-url", "http://127.0.0.1:9/v1")

    result.assert_outcomes(passed=1)
