"""Servers for the conformance suite's own tests.

- ``mock_server``: mockgpt as the suite expects to find it (``conformance.yaml``: a
  rate-limited model and a model whose streams fail; a fixed model list; an API key).
- ``serving(quirks=..., emulated=...)``: the same server with quirks, real ones (mockgpt's)
  or emulated ones (``quirk_emulator.py``), for the broken twins.
- ``settings_for(url)``: the suite's settings for such a server.

The terminal summary prints the twins' kill rate (``test_twins.py``).
"""

from __future__ import annotations

import asyncio
import importlib.util
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from conformance import Settings
from mockgpt import ServerConfig
from mockgpt.app import create_app
from mockgpt.server import MockServer
from tests.conformance.quirk_emulator import QuirkEmulator

_SERVING = ("torch", "transformers", "fastapi", "tokenizers")
collect_ignore_glob = (
    [] if all(importlib.util.find_spec(m) for m in _SERVING) else ["test_transformers_serve.py"]
)
"""``transformers serve`` needs the ``local`` extra and transformers' ``serving`` extra: only
CI's local-model environment has them, and runs the file by name (so a missing install there
is "no tests ran", a failure, not a silent skip)."""

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = Path(__file__).parent / "scenarios" / "conformance.yaml"
TWINS_DIR = ROOT / "fixtures" / "broken"
API_KEY = "sk-conformance"
MODEL = "gpt-4o-mini"
EMBEDDING_MODEL = "text-embedding-3-small"
RATE_LIMITED = "conformance-rate-limited"
STREAM_ERROR = "conformance-stream-error"
MODERATION_MODEL = "omni-moderation-latest"
"""The model ``moderations.response.shape`` asks for (the API's default, sent as no model)."""
MODELS = (MODEL, EMBEDDING_MODEL, RATE_LIMITED, STREAM_ERROR, MODERATION_MODEL)


def mock_config(*, quirks: tuple[str, ...] = (), scenarios: tuple[str, ...] = ()) -> ServerConfig:
    """mockgpt as the suite's own tests run it."""
    return ServerConfig(
        port=0,
        api_key=API_KEY,
        models=MODELS,
        strict_models=True,
        scenarios=(*scenarios, str(SCENARIO)),
        quirks=quirks,
        log_level="warning",
    )


def settings_for(base_url: str, **overrides: Any) -> Settings:
    """The suite's settings for a server made by ``mock_config``."""
    values: dict[str, Any] = {
        "base_url": base_url,
        "model": MODEL,
        "api_key": API_KEY,
        "embedding_model": EMBEDDING_MODEL,
        "rate_limit_model": RATE_LIMITED,
        "stream_error_model": STREAM_ERROR,
        "timeout_s": 30.0,
        "stream_timeout_s": 30.0,
    }
    values.update(overrides)
    return Settings(**values)


def cli_options(base_url: str) -> list[str]:
    """The command-line options for a server made by ``mock_config``."""
    return [
        "--base-url", base_url, "--model", MODEL, "--api-key", API_KEY,
        "--embedding-model", EMBEDDING_MODEL, "--rate-limit-model", RATE_LIMITED,
        "--stream-error-model", STREAM_ERROR,
    ]  # fmt: skip


@contextmanager
def serve_app(app: Any) -> Iterator[str]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=lambda: asyncio.run(server.serve(sockets=[sock])), daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive(), "test server thread died"
        assert time.monotonic() < deadline, "test server did not start within 10 s"
        time.sleep(0.002)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/v1"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@contextmanager
def serving(
    *,
    quirks: tuple[str, ...] = (),
    scenarios: tuple[str, ...] = (),
    emulated: frozenset[str] = frozenset(),
) -> Iterator[str]:
    """A mockgpt server (base URL) with real ``quirks``/``scenarios`` and ``emulated`` quirks."""
    config = mock_config(quirks=quirks, scenarios=scenarios)
    if emulated:
        with serve_app(QuirkEmulator(create_app(config), emulated)) as url:
            yield url
        return
    with MockServer(config) as server:
        yield server.base_url


@pytest.fixture(scope="session")
def mock_server() -> Iterator[str]:
    """Base URL of plain mockgpt, set up for the suite."""
    with serving() as url:
        yield url


def pytest_configure(config: pytest.Config) -> None:
    # pytester, for the plugin tests (pytest_plugins is only allowed in the root conftest).
    if not config.pluginmanager.has_plugin("pytester"):
        config.pluginmanager.import_plugin("pytester")


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """The kill rate of the broken twins that ran: killed / run."""
    outcomes: dict[str, str] = {}
    for reports in terminalreporter.stats.values():
        for report in reports:
            for name, value in getattr(report, "user_properties", ()):
                if name in ("twin", "emulated-twin"):
                    outcomes[f"{name}:{report.nodeid}"] = str(value)
    for kind in ("twin", "emulated-twin"):
        results = [v for k, v in outcomes.items() if k.startswith(f"{kind}:")]
        if results:
            killed = sum(1 for v in results if v.startswith("killed"))
            terminalreporter.write_line(
                f"conformance {kind}s: kill rate {killed}/{len(results)} "
                f"({100 * killed // len(results)}%)"
            )
