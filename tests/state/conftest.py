"""Redis for the shared-state tests, and mock servers in memory or sharing it.

- ``redis_server``: the Redis at ``MOCKGPT_TEST_REDIS`` (``redis://HOST:PORT``, as
  ``.ci/run`` starts it; each xdist worker takes its own database, 1 to 15), else one of the
  session's own: Debian's ``redis-server`` on a free loopback port, in a temporary
  directory. ``MOCKGPT_TEST_REDIS_SERVER`` names another binary. Without either the tests
  skip, except under CI (``CI=true``), where a missing Redis fails them.
- ``redis_binary``: ``redis-server``, for the tests that stop and start their own (with an
  append-only file, so that it keeps its data across a restart).
- ``redis_url``: that Redis emptied for the test.
- ``mock``: the same mock seen through two URLs: one ``mockgpt serve`` in memory (both URLs
  are the same process), or two ``mockgpt serve --state`` processes sharing Redis.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest
import redis

from tests.cli.serving import answers_health, free_port, serving, wait_until

START_TIMEOUT_S = 30.0


def missing_redis(reason: str) -> None:
    """Skip a Redis test, except under CI (``CI=true``), where a missing Redis fails it."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason}; .ci/run installs it (apt-get install redis-server)", pytrace=False)
    pytest.skip(reason)


@dataclass
class RedisServer:
    """One ``redis-server`` process on 127.0.0.1 (``start`` / ``stop`` it again and again)."""

    binary: str
    directory: Path
    port: int
    process: subprocess.Popen[bytes] | None = None
    external: str | None = None
    """The URL of a Redis started by someone else (never started or stopped here)."""

    @property
    def url(self) -> str:
        return self.external or f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        if self.external:
            return
        command = [
            self.binary,
            *("--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.directory)),
            # an append-only file, written at once: its data outlives a restart
            *("--appendonly", "yes", "--appendfsync", "always", "--save", ""),
        ]
        with (self.directory / "redis.log").open("ab") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        client = redis.Redis.from_url(self.url)
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                if self.process.poll() is not None:
                    log_text = (self.directory / "redis.log").read_text()
                    pytest.fail(f"redis-server exited: {log_text}")
                time.sleep(0.05)
        pytest.fail("redis-server did not answer")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


@pytest.fixture(scope="session")
def redis_binary() -> str:
    binary = os.environ.get("MOCKGPT_TEST_REDIS_SERVER") or shutil.which("redis-server")
    if binary is None:
        missing_redis("no redis-server (set MOCKGPT_TEST_REDIS_SERVER, or apt-get install it)")
        raise AssertionError  # unreachable: missing_redis skips or fails
    return binary


@pytest.fixture(scope="session")
def redis_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RedisServer]:
    given = os.environ.get("MOCKGPT_TEST_REDIS")
    if given:
        worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
        database = int(worker) % 15 + 1 if worker.isdigit() else 1
        url = urlunsplit(urlsplit(given)._replace(path=f"/{database}"))
        yield RedisServer("", Path(), 0, external=url)
        return
    binary: str = request.getfixturevalue("redis_binary")
    server = RedisServer(binary, tmp_path_factory.mktemp("redis"), free_port())
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    if redis_server.process is None:
        redis_server.start()  # after a test stopped it
    redis.Redis.from_url(redis_server.url).flushdb()
    return redis_server.url


@dataclass
class Mock:
    """One mock behind two URLs (``one`` and ``other``); ``kind``: ``memory`` or ``redis``."""

    kind: str
    one: str
    other: str

    def post(self, url: str, path: str, body: object, **headers: str) -> httpx.Response:
        return httpx.post(url + path, json=body, headers=headers, timeout=10)


@pytest.fixture(scope="module", params=["memory", "redis"])
def mock_servers(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Mock]:
    logs = tmp_path_factory.mktemp("serve")
    with ExitStack() as stack:
        if request.param == "memory":
            url, _ = stack.enter_context(serving(logs / "memory.log"))
            yield Mock("memory", url, url)
            return
        server: RedisServer = request.getfixturevalue("redis_server")
        if server.process is None:
            server.start()
        state = ("--state", server.url)
        one, _ = stack.enter_context(serving(logs / "one.log", *state))
        other, _ = stack.enter_context(serving(logs / "other.log", *state))
        yield Mock("redis", one, other)


@pytest.fixture
def mock(mock_servers: Mock) -> Mock:
    """The mock, reset: no stubs added, no journal, no stored objects."""
    answer = httpx.post(mock_servers.one + "/_mockgpt/reset", timeout=10)
    assert answer.status_code == 200, answer.text
    return mock_servers


@contextmanager
def serving_workers(log: Path, *args: str) -> Iterator[str]:
    """``mockgpt serve --port <free> ARGS`` in a session of its own; its URL once it answers.

    Stopped with its whole process group, so that no worker outlives the test.
    """
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "mockgpt", "serve", "--port", str(port), *args]
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        wait_until(lambda: answers_health(url), "/health answering", process, log)
        yield url
    finally:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def pytest_configure(config: pytest.Config) -> None:
    """Register ``pytester`` (for the README's test), as tests/plugin does."""
    if not config.pluginmanager.has_plugin("pytester"):
        config.pluginmanager.import_plugin("pytester")
