"""``mockgpt serve`` with the admin API: ``--test-header``, and a live feed that does not hold
up a Ctrl+C."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

import httpx
import openai

from tests.admin.conftest import say
from tests.cli.serving import serving


def test_serve_test_header_names_the_isolation_header(tmp_path: Path) -> None:
    with serving(tmp_path / "serve.log", "--test-header", "X-Worker") as (url, _):
        added = httpx.post(
            f"{url}/_mockgpt/stubs",
            json={"match": {"last_user": "who"}, "respond": {"content": "worker 1"}},
            headers={"x-worker": "1"},
        )
        with openai.OpenAI(
            base_url=f"{url}/v1", api_key="x", default_headers={"X-Worker": "1"}
        ) as worker:
            answer = say(worker, "who")
        with openai.OpenAI(
            base_url=f"{url}/v1", api_key="x", default_headers={"X-Mockgpt-Test": "1"}
        ) as other:
            other_answer = say(other, "who")

    assert added.status_code == 201
    assert (answer, other_answer) == ("worker 1", "who")


def test_serve_exits_on_ctrl_c_while_a_feed_is_open(tmp_path: Path) -> None:
    log = tmp_path / "serve.log"
    with (
        serving(log) as (url, process),
        httpx.stream("GET", f"{url}/_mockgpt/journal/stream", timeout=30) as feed,
    ):
        assert feed.status_code == 200
        process.send_signal(signal.SIGINT)
        try:
            status = process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            status = None
        rest = feed.read()

    assert status == 0, log.read_text()
    assert rest == b""
