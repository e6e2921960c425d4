"""``mockgpt serve`` run as a user runs it: a subprocess, a free port, the official client."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import openai
import pytest
import uvicorn
from click.testing import CliRunner

from mockgpt.cli import main
from tests.cli.serving import serving, stop, wait_until

CONSOLE_SCRIPT = Path(sys.executable).parent / ("mockgpt.exe" if os.name == "nt" else "mockgpt")


def test_cli_console_script_is_installed() -> None:
    assert CONSOLE_SCRIPT.is_file()
    assert os.access(CONSOLE_SCRIPT, os.X_OK)

    result = subprocess.run(
        [str(CONSOLE_SCRIPT), "--help"], capture_output=True, text=True, timeout=60
    )

    assert result.returncode == 0, result.stderr
    assert "serve" in result.stdout


def test_cli_serve_answers_the_official_client(tmp_path: Path) -> None:
    log = tmp_path / "serve.log"
    with (
        serving(log) as (url, _process),
        openai.OpenAI(base_url=f"{url}/v1", api_key="x", max_retries=0) as client,
    ):
        completion = client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "blue giraffe"}]
        )
        with client.chat.completions.create(
            model="gpt-4o-mini",
            messages=[{"role": "user", "content": "blue giraffe"}],
            stream=True,
        ) as stream:
            streamed = "".join(
                chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices
            )

    assert completion.choices[0].message.content == "blue giraffe"
    assert streamed == "blue giraffe"
    assert f"{url}/v1" in log.read_text()


BAD_FLAGS = [
    (["--port", "99999"], "--port"),
    (["--port", "-1"], "--port"),
    (["--port", "http"], "--port"),
    (["--tokens-per-second", "0"], "--tokens-per-second"),
    (["--tokens-per-second", "-3"], "--tokens-per-second"),
    (["--tokens-per-second", "nan"], "--tokens-per-second"),
    (["--ttft-ms", "-5"], "--ttft-ms"),
    (["--ttft-ms", "nan"], "--ttft-ms"),
    (["--max-body-bytes", "0"], "--max-body-bytes"),
    (["--log-level", "loud"], "--log-level"),
    (["--no-such-flag"], "--no-such-flag"),
]
BAD_FLAG_IDS = [
    "port-too-high",
    "port-negative",
    "port-not-a-number",
    "rate-zero",
    "rate-negative",
    "rate-nan",
    "ttft-negative",
    "ttft-nan",
    "max-body-zero",
    "log-level-unknown",
    "unknown-flag",
]


def _assert_one_line_reason(stderr: str, flag: str) -> None:
    """Click's usage lines, then exactly one ``Error:`` line that names ``flag``."""
    reasons = [line for line in stderr.splitlines() if line.startswith("Error:")]
    assert len(reasons) == 1, stderr
    assert flag in reasons[0], stderr
    others = [line for line in stderr.splitlines() if line and not line.startswith("Error:")]
    assert all(line.startswith(("Usage:", "Try ")) for line in others), stderr


@pytest.mark.parametrize(("args", "flag"), BAD_FLAGS, ids=BAD_FLAG_IDS)
def test_cli_serve_bad_flag_exits_2_with_one_line_reason(
    monkeypatch: pytest.MonkeyPatch, args: list[str], flag: str
) -> None:
    """A bad flag never starts a server: exit status 2 and one ``Error:`` line naming it."""
    started: list[object] = []
    monkeypatch.setattr(uvicorn.Server, "run", lambda *a, **kw: started.append(a))

    result = CliRunner().invoke(main, ["serve", "--port", "0", *args])

    assert started == [], (
        f"mockgpt serve {' '.join(args)} started a server instead of refusing the flag"
    )
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    _assert_one_line_reason(result.stderr, flag)


def test_cli_serve_bad_flag_from_the_console_script() -> None:
    result = subprocess.run(
        [str(CONSOLE_SCRIPT), "serve", "--port", "99999"],
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    _assert_one_line_reason(result.stderr, "--port")


@pytest.mark.parametrize(
    ("flag_key", "env_key", "shown"),
    [
        ("sk-flag-secret", None, '"<the --api-key you gave>"'),
        (None, "sk-env-secret", "os.environ['MOCKGPT_API_KEY']"),
    ],
    ids=["flag", "env"],
)
def test_cli_serve_banner_names_where_the_key_is_never_the_key(
    tmp_path: Path, flag_key: str | None, env_key: str | None, shown: str
) -> None:
    log = tmp_path / "serve.log"
    args = ["--api-key", flag_key] if flag_key else []
    env = {**os.environ, "MOCKGPT_API_KEY": env_key} if env_key else dict(os.environ)
    if not env_key:
        env.pop("MOCKGPT_API_KEY", None)
    with serving(log, *args, env=env):
        pass
    banner = log.read_text()

    assert f"api_key={shown})" in banner
    assert "secret" not in banner


BANNER_URL = re.compile(r"mockgpt serving the OpenAI API at http://127\.0\.0\.1:(\d+)/v1$")


def test_cli_serve_port_0_prints_the_port_it_listens_on(tmp_path: Path) -> None:
    """``--port 0`` lets the system choose; the banner and the ``OpenAI(...)`` line name it."""
    log = tmp_path / "serve.log"
    command = [sys.executable, "-m", "mockgpt", "serve", "--port", "0"]
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_until(
            lambda: any(BANNER_URL.match(line) for line in log.read_text().splitlines()),
            "the banner",
            process,
            log,
        )
        [port] = [m[1] for m in map(BANNER_URL.match, log.read_text().splitlines()) if m]
        base_url = f"http://127.0.0.1:{port}/v1"
        with openai.OpenAI(base_url=base_url, api_key="x", max_retries=0) as client:
            models = client.models.list()
    finally:
        stop(process)
    banner = log.read_text()

    assert port != "0"
    assert models.data
    assert f'  OpenAI(base_url="{base_url}", api_key="x")' in banner.splitlines()
    assert ":0/" not in banner


def test_cli_serve_port_in_use_exits_2_with_one_line_reason_and_no_banner() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "mockgpt", "serve", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=60,
        )

    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stdout == ""
    _assert_one_line_reason(result.stderr, f"127.0.0.1:{port}")
    assert "in use" in result.stderr


def test_cli_serve_seed_makes_ids_and_created_reproducible(tmp_path: Path) -> None:
    def first_answer(log: Path) -> tuple[str, int, str]:
        with serving(log, "--seed", "11") as (url, _):
            client = openai.OpenAI(base_url=f"{url}/v1", api_key="x", max_retries=0)
            raw = client.chat.completions.with_raw_response.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}]
            )
            answer = raw.parse()
            return answer.id, answer.created, raw.headers["x-request-id"]

    one = first_answer(tmp_path / "one.log")
    two = first_answer(tmp_path / "two.log")

    assert one == two
    assert one[1] < 1_800_000_000  # the seeded clock of 2025, not today's
