"""A seed makes every id and timestamp reproducible (``ServerConfig.seed``, ``mockgpt.ids``).

Two servers with the same seed, sent the same requests in the same order, answer with the
same ids and ``created`` values, over a real socket through the official client; a reset
starts the sequence again; without a seed ids differ and ``created`` is the wall clock.
"""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
from openai import OpenAI

from mockgpt import ServerConfig
from mockgpt.ids import SEEDED_EPOCH_S
from mockgpt.server import MockServer

USER = [{"role": "user", "content": "hello there"}]

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # the Assistants API


def _session(server: MockServer) -> dict[str, Any]:
    """One of each kind of object, as an application would store them."""
    client = OpenAI(base_url=server.base_url, api_key="x", max_retries=0)
    chat = client.chat.completions.create(model="gpt-4o-mini", messages=USER)  # type: ignore[arg-type]
    stream = client.chat.completions.create(
        model="gpt-4o-mini",
        messages=USER,  # type: ignore[arg-type]
        stream=True,
    )
    chunk_ids = {chunk.id for chunk in stream}
    response = client.responses.create(model="gpt-4o-mini", input="hi")
    assistant = client.beta.assistants.create(model="gpt-4o-mini")
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "hi"}])
    raw = httpx.post(
        f"{server.base_url}/chat/completions", json={"model": "gpt-4o-mini", "messages": USER}
    )
    ollama = httpx.post(
        server.base_url.removesuffix("/v1") + "/api/chat",
        json={"model": "llama3", "messages": USER, "stream": False},
    )
    return {
        "chat": (chat.id, chat.created),
        "chunks": chunk_ids,
        "response": (response.id, response.created_at, [item.id for item in response.output]),
        "assistant": (assistant.id, assistant.created_at),
        "thread": (thread.id, thread.created_at),
        "request_id": raw.headers["x-request-id"],
        "ollama": ollama.json()["created_at"],
    }


def test_same_seed_same_ids_and_timestamps() -> None:
    with MockServer(ServerConfig(port=0, seed=7)) as first:
        one = _session(first)
    with MockServer(ServerConfig(port=0, seed=7)) as second:
        two = _session(second)

    assert one == two
    chat_id, created = one["chat"]
    assert chat_id.startswith("chatcmpl-")
    assert SEEDED_EPOCH_S < created < SEEDED_EPOCH_S + 100  # a fixed clock, not today's
    assert one["ollama"].startswith("2025-01-01T00:0")


def test_a_different_seed_or_none_gives_other_ids() -> None:
    with MockServer(ServerConfig(port=0, seed=7)) as seeded:
        seven = _session(seeded)
    with MockServer(ServerConfig(port=0, seed=8)) as other:
        eight = _session(other)
    with MockServer(ServerConfig(port=0)) as unseeded:
        before = time.time()
        random = _session(unseeded)

    assert seven["chat"][0] != eight["chat"][0]
    assert seven["response"][0] != eight["response"][0]
    assert random["chat"][0] not in (seven["chat"][0], eight["chat"][0])
    assert random["chat"][1] >= int(before)  # the wall clock


def test_reset_starts_the_seeded_sequence_again() -> None:
    with MockServer(ServerConfig(port=0, seed=3)) as server:
        one = _session(server)
        httpx.post(server.base_url.removesuffix("/v1") + "/_mockgpt/reset").raise_for_status()
        two = _session(server)

    assert one == two


def test_health_probes_and_admin_reads_do_not_shift_the_seeded_ids() -> None:
    with MockServer(ServerConfig(port=0, seed=5)) as quiet:
        one = _session(quiet)
    with MockServer(ServerConfig(port=0, seed=5)) as probed:
        root = probed.base_url.removesuffix("/v1")
        for _ in range(3):
            httpx.get(f"{root}/health").raise_for_status()
            httpx.get(f"{root}/_mockgpt/journal").raise_for_status()
        two = _session(probed)

    assert one == two
