"""A process that loses its Redis answers 503 naming it, and recovers with its journal whole."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from mockgpt.config import ServerConfig
from mockgpt.engine import Engine
from mockgpt.journal import JournalEntry
from mockgpt.shared.codec import decode_entry
from mockgpt.shared.redis_state import RedisState
from tests.cli.serving import free_port, serving
from tests.plugin.test_config import SUBPROCESS_TIMEOUT_S
from tests.state.conftest import START_TIMEOUT_S, RedisServer

CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hello"}]}


def until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"{what}: not seen within {START_TIMEOUT_S} s")


@pytest.mark.timeout(SUBPROCESS_TIMEOUT_S)
def test_a_lost_store_gives_503_naming_it_then_the_process_recovers_and_loses_no_entry(
    redis_binary: str, tmp_path: Path
) -> None:
    store = RedisServer(redis_binary, tmp_path, free_port())
    store.start()
    answered: list[str] = []
    refused: list[httpx.Response] = []

    def chat(text: str) -> int:
        body = {**CHAT, "messages": [{"role": "user", "content": text}]}
        answer = httpx.post(f"{url}/v1/chat/completions", json=body, timeout=10)
        if answer.status_code == 200:
            answered.append(text)
        elif answer.status_code == 503:
            refused.append(answer)
        return answer.status_code

    try:
        with serving(tmp_path / "serve.log", "--state", store.url) as (url, _):
            assert chat("before") == 200
            store.stop()
            count = iter(range(1_000_000))
            until(lambda: chat(f"while away {next(count)}") == 503, "a 503")
            store.start()
            until(lambda: chat(f"after {next(count)}") == 200, "answers again")
            entries = httpx.get(f"{url}/_mockgpt/journal", timeout=10).json()["data"]
    finally:
        store.stop()

    error = refused[0].json()["error"]
    assert error["message"].startswith(f"mockgpt state store {store.url} is unreachable")
    assert error["code"] == "state_store_unreachable"
    journalled = [e["request"]["body"]["messages"][0]["content"] for e in entries]
    assert journalled == answered  # every request answered is journalled, in order


@pytest.mark.timeout(SUBPROCESS_TIMEOUT_S)
def test_an_entry_the_store_did_not_take_is_kept_and_written_when_it_is_back(
    redis_binary: str, tmp_path: Path
) -> None:
    store = RedisServer(redis_binary, tmp_path, free_port())
    store.start()
    entry = JournalEntry("req_kept", "POST", "/v1/chat/completions", [], b"{}", status=200)

    async def scenario() -> tuple[list[JournalEntry], list[bytes]]:
        state = RedisState(store.url, Engine(ServerConfig()))
        await state.start()
        try:
            store.stop()
            state.journal_append(entry)
            await state.flush()  # returns once the store refused it: kept, not lost
            kept = list(state.kept)
            store.start()
            deadline = time.monotonic() + START_TIMEOUT_S
            while (state.kept or not state.up) and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            written: list[Any] = await state.client.lrange(state.keys.journal, 0, -1)
            return kept, written
        finally:
            await state.close()

    try:
        kept, written = asyncio.run(scenario())
    finally:
        store.stop()

    assert len(kept) == 1
    assert [decode_entry(line.split(b"\t", 1)[1], 0).request_id for line in written] == ["req_kept"]
