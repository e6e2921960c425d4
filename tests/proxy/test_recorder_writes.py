"""``--record`` writes off the event loop: a slow disk delays no request, at most one rewrite is
in flight (later exchanges are batched into the next), the file on disk is always a valid
scenario, and everything recorded is on disk once the server has stopped."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from mockgpt.config import ServerConfig
from mockgpt.recorder import Recorder
from mockgpt.scenarios import Scenario
from mockgpt.server import MockServer

WAIT_S = 10


@pytest.fixture(scope="module")
def upstream() -> Iterator[MockServer]:
    with MockServer(ServerConfig(port=0, log_level="warning")) as server:
        yield server


class SlowWriter:
    """Replaces ``Recorder._write``: notes the calling thread; the first call waits for
    ``release``."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.threads: list[str] = []
        self.blocked = threading.Event()
        self.release = threading.Event()
        original = Recorder._write

        def slowed(recorder: Recorder, *args: Any) -> None:
            self.threads.append(threading.current_thread().name)
            if len(self.threads) == 1:
                self.blocked.set()
                assert self.release.wait(WAIT_S)
            original(recorder, *args)

        monkeypatch.setattr(Recorder, "_write", slowed)


def ask(client: httpx.Client, text: str) -> httpx.Response:
    return client.post(
        "/v1/chat/completions",
        json={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": text}]},
    )


def valid_stubs(path: Path) -> list[dict[str, Any]]:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    Scenario.model_validate(document)
    stubs: list[dict[str, Any]] = document["stubs"]
    return stubs


def test_recorder_writes_off_the_loop_while_requests_and_health_answer(
    upstream: MockServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the first rewrite blocked, `/health` and more proxied requests still answer; the
    exchanges recorded meanwhile go into one more rewrite, done in the writer thread."""
    writer = SlowWriter(monkeypatch)
    out = tmp_path / "recorded.yaml"
    config = ServerConfig(port=0, upstream=upstream.base_url, record=str(out))
    with MockServer(config) as proxy, httpx.Client(base_url=proxy.url, timeout=WAIT_S) as client:
        assert ask(client, "first").status_code == 200
        assert writer.blocked.wait(WAIT_S)
        assert client.get("/health").status_code == 200
        for text in ("second", "third", "fourth"):
            assert ask(client, text).status_code == 200
        assert not out.exists()  # the first rewrite is still held back; no partial file
        writer.release.set()
        assert proxy.engine.recorder is not None
        assert proxy.engine.recorder.flush(timeout_s=WAIT_S)
        assert len(valid_stubs(out)) == 4
    assert len(writer.threads) == 2  # the blocked rewrite, then one for the three batched
    assert "mockgpt-server" not in writer.threads  # never the event loop's thread


def test_recorder_flushes_everything_at_shutdown(
    upstream: MockServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Exchanges whose rewrite is still pending when the server stops are in the file after."""
    writer = SlowWriter(monkeypatch)
    original_flush = Recorder.flush

    def flush(recorder: Recorder, timeout_s: float | None = None) -> bool:
        writer.release.set()  # shutdown asks for the flush: let the held rewrite go on
        return original_flush(recorder, timeout_s)

    monkeypatch.setattr(Recorder, "flush", flush)
    out = tmp_path / "recorded.yaml"
    config = ServerConfig(port=0, upstream=upstream.base_url, record=str(out))
    with MockServer(config) as proxy, httpx.Client(base_url=proxy.url, timeout=WAIT_S) as client:
        for text in ("one", "two", "three"):
            assert ask(client, text).status_code == 200
        assert writer.blocked.wait(WAIT_S)
        assert not writer.release.is_set()
    assert writer.release.is_set()
    assert [s["match"]["body"]["messages"][0]["content"] for s in valid_stubs(out)] == [
        "one",
        "two",
        "three",
    ]


def test_recorder_keeps_the_newest_file_when_save_overtakes_the_writer(tmp_path: Path) -> None:
    """A rewrite of an older version never replaces a newer file."""
    recorder = Recorder(tmp_path / "r.yaml")
    recorder.save()
    with recorder._lock:
        recorder._version = 3
        version, document = recorder._version, recorder._document()
    recorder._write(version, document)
    recorder._write(1, {"stubs": "stale"})
    assert valid_stubs(tmp_path / "r.yaml") == []
