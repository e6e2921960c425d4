"""``mockgpt serve --workers N``: refused without shared state when the scenarios count, else
served by N processes (admin writes refused without ``--state``, shared with it)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.plugin.test_config import SUBPROCESS_TIMEOUT_S
from tests.state.conftest import serving_workers

SEQUENCE = """\
name: steps
stubs:
  - id: steps
    match: {last_user: count}
    sequence: [{content: one}, {content: two}]
"""
CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "count"}]}


def content(url: str) -> str:
    answer = httpx.post(f"{url}/v1/chat/completions", json=CHAT, timeout=10)
    assert answer.status_code == 200, answer.text
    text: str = answer.json()["choices"][0]["message"]["content"]
    return text


@pytest.mark.timeout(SUBPROCESS_TIMEOUT_S)
def test_several_workers_without_shared_state_refuse_a_scenario_with_a_sequence(
    tmp_path: Path,
) -> None:
    scenario = tmp_path / "steps.yaml"
    scenario.write_text(SEQUENCE)

    run = subprocess.run(
        [sys.executable, "-m", "mockgpt", "serve", "--workers", "2", "--scenario", str(scenario)],
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert run.returncode == 2
    reason = run.stderr.strip().splitlines()[-1]
    assert "--workers 2 without --state: stub 'steps' has a sequence" in reason
    assert "--state redis://HOST:PORT/DB" in reason
    assert "admin API writes are refused" in reason
    assert "mockgpt serving" not in run.stdout


@pytest.mark.timeout(SUBPROCESS_TIMEOUT_S)
def test_several_workers_without_shared_state_serve_stateless_scenarios_and_refuse_admin_writes(
    tmp_path: Path,
) -> None:
    with serving_workers(tmp_path / "serve.log", "--workers", "2") as url:
        answers = {content(url) for _ in range(6)}
        write = httpx.post(f"{url}/_mockgpt/stubs", json={"respond": {"content": "x"}}, timeout=10)

    assert answers == {"count"}
    assert write.status_code == 409
    assert write.json()["error"]["code"] == "state_not_shared"
    assert "--state redis://HOST:PORT/DB" in write.json()["error"]["message"]


@pytest.mark.timeout(SUBPROCESS_TIMEOUT_S)
def test_several_workers_with_shared_state_serve_as_one_mock(
    tmp_path: Path, redis_url: str
) -> None:
    scenario = tmp_path / "steps.yaml"
    scenario.write_text(SEQUENCE.replace("two}]", "two}, {content: three}, {content: four}]"))
    args = ("--workers", "2", "--state", redis_url, "--scenario", str(scenario))

    with serving_workers(tmp_path / "serve.log", *args) as url:
        steps = [content(url) for _ in range(4)]
        stub = {"id": "late", "match": {"last_user": "late"}, "respond": {"content": "added"}}
        added = httpx.post(f"{url}/_mockgpt/stubs", json=stub, timeout=10)
        late = [
            httpx.post(
                f"{url}/v1/chat/completions",
                json={**CHAT, "messages": [{"role": "user", "content": "late"}]},
                timeout=10,
            ).json()["choices"][0]["message"]["content"]
            for _ in range(6)
        ]

    assert steps == ["one", "two", "three", "four"]
    assert added.status_code == 201
    assert late == ["added"] * 6
