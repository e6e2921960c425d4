"""``mockgpt serve`` as a user runs it: a subprocess on a free port, its output in a file."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

START_TIMEOUT_S = 30.0
"""The longest a server may take to start, or a change to show, before the test fails."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_until(
    ready: Callable[[], bool], what: str, process: subprocess.Popen[bytes], log: Path
) -> None:
    """Poll ``ready`` until it holds; fail at once if the process exits, or after a while."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"mockgpt serve exited with {process.returncode}:\n{log.read_text()}")
        if ready():
            return
        time.sleep(0.05)
    pytest.fail(f"{what}: not seen within {START_TIMEOUT_S} s; its output:\n{log.read_text()}")


def answers_health(url: str) -> bool:
    try:
        return httpx.get(f"{url}/health", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


@contextmanager
def serving(
    log: Path, *args: str, env: dict[str, str] | None = None
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """``python -m mockgpt serve --port <free> ARGS``, stdout and stderr to ``log``.

    Yields the server's URL (``http://127.0.0.1:<port>``) and its process, once ``/health``
    answers; stops the server after.
    """
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "mockgpt", "serve", "--port", str(port), *args]
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, env=env or dict(os.environ)
        )
    try:
        wait_until(lambda: answers_health(url), "/health answering", process, log)
        yield url, process
    finally:
        stop(process)
