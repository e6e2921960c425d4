"""With a proxy fallback (``--upstream``), an unmatched moderations or images request goes
upstream unchanged; a stub still answers before it."""

from __future__ import annotations

from collections.abc import Iterator

import openai
import pytest

from mockgpt import ServerConfig
from mockgpt.scenarios import Scenario
from mockgpt.server import MockServer


@pytest.fixture(scope="module")
def upstream() -> Iterator[MockServer]:
    with MockServer(ServerConfig(port=0, log_level="warning")) as server:
        server.engine.registry.add(
            Scenario.model_validate(
                {
                    "name": "upstream",
                    "stubs": [
                        {
                            "match": {"endpoint": "moderations"},
                            "respond": {"moderation": {"categories": ["hate"]}},
                        },
                        {
                            "match": {"endpoint": "images"},
                            "respond": {"image": {"revised_prompt": "from upstream"}},
                        },
                    ],
                }
            )
        )
        yield server


@pytest.fixture(scope="module")
def proxy(upstream: MockServer) -> Iterator[MockServer]:
    config = ServerConfig(port=0, upstream=upstream.base_url, log_level="warning")
    with MockServer(config) as server:
        yield server


def test_upstream_answers_unmatched_moderations_and_images(proxy: MockServer) -> None:
    with openai.OpenAI(base_url=proxy.base_url, api_key="x", max_retries=0) as client:
        moderation = client.moderations.create(input="calm words")
        image = client.images.generate(prompt="a hill", response_format="b64_json")

    assert moderation.results[0].categories.hate
    assert image.data[0].revised_prompt == "from upstream"


def test_upstream_is_not_asked_when_a_stub_answers(proxy: MockServer) -> None:
    proxy.engine.registry.add(
        Scenario.model_validate(
            {
                "name": "local",
                "stubs": [{"match": {"endpoint": "moderations"}, "respond": {"moderation": {}}}],
            }
        )
    )
    try:
        with openai.OpenAI(base_url=proxy.base_url, api_key="x", max_retries=0) as client:
            moderation = client.moderations.create(input="calm words")
    finally:
        proxy.engine.reset()

    assert not moderation.results[0].flagged
