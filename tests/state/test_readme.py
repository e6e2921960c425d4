"""The README's "Running several workers or replicas": its commands and its test, run here.

The ``mockgpt serve`` lines of its first ``sh`` block run as written, on free ports and this
session's Redis instead of 6379; its ``python`` block runs with pytester against them.
"""

from __future__ import annotations

import re
import shlex
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest

from tests.plugin.conftest import HAS_PYTEST_ASYNCIO
from tests.plugin.conftest import INI as PLUGIN_INI
from tests.plugin.test_config import LEAN, SUBPROCESS_TIMEOUT_S
from tests.state.conftest import serving_workers

README = Path(__file__).parents[2] / "README.md"
TITLE = "## Running several workers or replicas"
INI = PLUGIN_INI + ("asyncio_default_fixture_loop_scope = function\n" if HAS_PYTEST_ASYNCIO else "")


def block(language: str) -> str:
    """The first fenced block of ``language`` in the section."""
    text = README.read_text(encoding="utf-8")
    start = text.index(f"\n{TITLE}\n")
    section = text[start : text.find("\n## ", start + len(TITLE))]
    found = re.search(rf"^```{language}\n(.*?)^```$", section, re.MULTILINE | re.DOTALL)
    assert found is not None, f"no {language} block in {TITLE!r}"
    return found.group(1)


def serve_lines(redis_url: str) -> list[list[str]]:
    """The section's ``mockgpt serve`` commands, on this session's Redis, without the port."""
    commands = []
    for line in block("sh").splitlines():
        if line.startswith("mockgpt serve"):
            args = shlex.split(line.rstrip("&").replace("redis://127.0.0.1:6379/0", redis_url))
            if "--port" in args:
                at = args.index("--port")
                del args[at : at + 2]
            commands.append(args[2:])
    return commands


@pytest.mark.timeout(SUBPROCESS_TIMEOUT_S)
def test_the_readme_replicas_and_workers_serve_as_one_mock(
    tmp_path: Path, redis_url: str, pytester: pytest.Pytester
) -> None:
    commands = serve_lines(redis_url)
    assert len(commands) == 3  # two replicas, then one server of four workers
    with ExitStack() as stack:
        urls = [
            stack.enter_context(serving_workers(tmp_path / f"serve{i}.log", *args))
            for i, args in enumerate(commands)
        ]
        stub = {"match": {"last_user": "weather"}, "respond": {"content": "Sunny"}}
        added = httpx.post(f"{urls[0]}/_mockgpt/stubs", json=stub, timeout=10)
        answers = [
            httpx.post(
                f"{url}/v1/chat/completions",
                json={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "weather"}]},
                timeout=10,
            ).json()["choices"][0]["message"]["content"]
            for url in urls
        ]
        httpx.post(f"{urls[0]}/_mockgpt/reset", timeout=10)
        pytester.makeini(INI)
        pytester.makepyfile(test_readme_example=block("python"))
        result = pytester.runpytest_subprocess("-n", "2", "--mockgpt-url", urls[1], *LEAN)

    assert added.status_code == 201
    assert answers == ["Sunny"] * 3
    result.assert_outcomes(passed=1)
