"""``mockgpt serve`` run as a user runs it: a subprocess, a free port, the official client."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import openai
import pytest
import uvicorn
from click.testing import CliRunner

from mockgpt.cli import main

CONSOLE_SCRIPT = Path(sys.executable).parent / ("mockgpt.exe" if os.name == "nt" else "mockgpt")
START_TIMEOUT_S = 30.0


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_for_health(process: subprocess.Popen[bytes], url: str, log: Path) -> None:
    """Poll ``/health`` until it answers; fail at once if the process exits."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"mockgpt serve exited with {process.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    pytest.fail(
        f"mockgpt serve did not answer /health within {START_TIMEOUT_S} s:\n{log.read_text()}"
    )


def test_cli_console_script_is_installed() -> None:
    assert CONSOLE_SCRIPT.is_file()
    assert os.access(CONSOLE_SCRIPT, os.X_OK)

    result = subprocess.run(
        [str(CONSOLE_SCRIPT), "--help"], capture_output=True, text=True, timeout=60
    )

    assert result.returncode == 0, result.stderr
    assert "serve" in result.stdout


def test_cli_serve_answers_the_official_client(tmp_path: Path) -> None:
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "mockgpt", "serve", "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_for_health(process, url, log)
        with openai.OpenAI(base_url=f"{url}/v1", api_key="x", max_retries=0) as client:
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
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)

    assert completion.choices[0].message.content == "blue giraffe"
    assert streamed == "blue giraffe"
    assert f"http://127.0.0.1:{port}/v1" in log.read_text()


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
    monkeypatch.setattr(uvicorn, "run", lambda *a, **kw: started.append(a))

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
    port = _free_port()
    log = tmp_path / "serve.log"
    args = [sys.executable, "-m", "mockgpt", "serve", "--port", str(port)]
    args += ["--api-key", flag_key] if flag_key else []
    env = {**os.environ, "MOCKGPT_API_KEY": env_key} if env_key else dict(os.environ)
    if not env_key:
        env.pop("MOCKGPT_API_KEY", None)
    with log.open("wb") as out:
        process = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, env=env)
    try:
        _wait_for_health(process, f"http://127.0.0.1:{port}", log)
    finally:
        process.terminate()
        process.wait(timeout=30)
    banner = log.read_text()

    assert f"api_key={shown})" in banner
    assert "secret" not in banner
