"""A recorded Responses API exchange matches on the fields a Responses request has (``input``,
``instructions``), not on the chat form mockgpt parses it into, and replays offline."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest
import yaml

from mockgpt.config import ServerConfig
from mockgpt.recorder import Recorder
from mockgpt.server import MockServer

MODEL = "gpt-4o-mini"
FIRST: dict[str, Any] = {"input": "blue giraffe", "instructions": "Answer briefly."}
SHORT: dict[str, Any] = {"input": [{"role": "user", "content": "red panda"}]}
LONG: dict[str, Any] = {
    "input": [
        {"role": "user", "content": "red panda"},
        {"role": "assistant", "content": "red panda"},
        {"role": "user", "content": "green frog"},
    ]
}


@pytest.fixture(scope="module")
def upstream() -> Iterator[MockServer]:
    with MockServer(ServerConfig(port=0, log_level="warning")) as server:
        yield server


def _answers(base_url: str) -> list[str]:
    with openai.OpenAI(base_url=base_url, api_key="x", max_retries=0) as client:
        return [
            client.responses.create(model=MODEL, **request).output_text
            for request in (FIRST, SHORT, LONG)
        ]


def test_recorder_responses_match_on_input_and_replay(upstream: MockServer, tmp_path: Path) -> None:
    cassette = tmp_path / "responses.yaml"
    config = ServerConfig(port=0, upstream=upstream.base_url, log_level="warning")
    with MockServer(config) as proxy:
        proxy.engine.recorder = Recorder(cassette, upstream=upstream.base_url, fresh=True)
        recorded = _answers(proxy.base_url)
        assert proxy.engine.recorder.flush(timeout_s=10)
    matches = [stub["match"] for stub in yaml.safe_load(cassette.read_text())["stubs"]]
    with MockServer(ServerConfig(port=0, scenarios=(str(cassette),))) as replay:
        replayed = _answers(replay.base_url)

    assert matches == [
        # the longest input first: a recorded input list matches any input it begins
        {"endpoint": "responses", "model": MODEL, "body": LONG},
        {"endpoint": "responses", "model": MODEL, "body": SHORT},
        {"endpoint": "responses", "model": MODEL, "body": FIRST},
    ]
    assert recorded == ["blue giraffe", "red panda", "green frog"]
    assert replayed == recorded
