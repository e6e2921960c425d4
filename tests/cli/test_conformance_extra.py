"""``mockgpt conformance`` without the ``conformance`` extra names it, in one line (exit 2).

Hypothesis is made unimportable for the subprocess by a ``hypothesis.py`` that raises
``ImportError``, first on its ``PYTHONPATH``: what ``import hypothesis`` does where the extra
is not installed. Nothing is uninstalled.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.serving import free_port

MISSING = 'raise ImportError("No module named {name!r}")\n'


ONE_SERVER = ["--base-url", "http://127.0.0.1:{port}/v1", "--model", "m"]


@pytest.mark.parametrize(
    ("missing", "args", "needed"),
    [
        (("hypothesis",), ONE_SERVER, "hypothesis"),
        (("hypothesis", "pytest"), ONE_SERVER, "pytest and hypothesis"),
        (("hypothesis",), ["--servers", "{servers}"], "hypothesis"),
    ],
    ids=["hypothesis", "hypothesis-and-pytest", "servers-file"],
)
def test_cli_conformance_without_the_extra_names_it_in_one_line(
    tmp_path: Path, missing: tuple[str, ...], args: list[str], needed: str
) -> None:
    shims = tmp_path / "shims"
    shims.mkdir()
    for name in missing:
        (shims / f"{name}.py").write_text(MISSING.format(name=name), encoding="utf-8")
    servers = tmp_path / "servers.yaml"
    servers.write_text(
        "servers:\n  - name: here\n    base_url: http://127.0.0.1:1/v1\n    models: {chat: m}\n",
        encoding="utf-8",
    )
    path = [str(shims), *filter(None, [os.environ.get("PYTHONPATH")])]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(path)}
    filled = [a.format(port=free_port(), servers=servers) for a in args]

    result = subprocess.run(
        [sys.executable, "-m", "mockgpt", "conformance", *filled],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )

    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"Error: the conformance suite needs {needed}, which the 'conformance' extra "
        "installs: pip install 'mockgpt[conformance]'"
    ]
