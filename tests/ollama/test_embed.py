"""``POST /api/embed`` and ``/api/embeddings`` through the official ``ollama`` client: the very
same vectors as ``/v1/embeddings`` (read with raw HTTP, so any openai version will do)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from mockgpt import ServerConfig
from mockgpt.scenarios import Scenario
from mockgpt.server import MockServer
from mockgpt.testing import MockGPT
from tests.ollama.conftest import Wire, journalled

ollama = pytest.importorskip("ollama")

TEXTS = ["blue giraffe", "a red panda eats bamboo"]

SCRIPTED = {
    "id": "rag",
    "match": {"endpoint": "embeddings"},
    "respond": {
        "embedding": {
            "vectors": {"cat": [1.0, 0.0, 0.0], "dog": [0.0, 0.6, 0.8]},
            "keys": {"pets": {"contains": "kitten"}},
        }
    },
}
"""Fixed vectors for two texts, a keyed one for texts about kittens, ``embed`` for the rest."""


@pytest.fixture
def client(socket_wire: Wire, ollama_server: MockServer) -> Iterator[Any]:
    """The official client on a server reset for this test."""
    with ollama.Client(host=ollama_server.url, timeout=10) as client:
        yield client


@pytest.fixture
async def async_client(socket_wire: Wire, ollama_server: MockServer) -> AsyncIterator[Any]:
    client = ollama.AsyncClient(host=ollama_server.url, timeout=10)
    yield client
    await client._client.aclose()


def v1_embeddings(http: httpx.Client, model: str, texts: list[str], **extra: Any) -> Any:
    """``POST /v1/embeddings`` with float vectors, as raw JSON."""
    body = {"model": model, "input": texts, "encoding_format": "float", **extra}
    response = http.post("/v1/embeddings", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def test_embed_gives_the_vectors_of_v1_embeddings(client: Any, ollama_http: httpx.Client) -> None:
    answer = client.embed(model="nomic-embed-text", input=TEXTS)
    expected = v1_embeddings(ollama_http, "nomic-embed-text", TEXTS)

    assert answer.embeddings == [item["embedding"] for item in expected["data"]]
    assert len(answer.embeddings[0]) == 1536
    assert answer.embeddings[0] != answer.embeddings[1]
    assert answer.model == "nomic-embed-text"
    assert answer.prompt_eval_count == expected["usage"]["prompt_tokens"]
    assert answer.total_duration >= answer.load_duration > 0


def test_embed_one_string_and_dimensions(client: Any, ollama_http: httpx.Client) -> None:
    answer = client.embed(model="llama3", input="blue giraffe", dimensions=8, truncate=False)
    expected = v1_embeddings(ollama_http, "llama3", ["blue giraffe"], dimensions=8)

    assert answer.embeddings == [expected["data"][0]["embedding"]]
    assert len(answer.embeddings[0]) == 8


def test_embed_loads_the_model_for_ps(socket_wire: Wire, client: Any) -> None:
    client.embed(model="nomic-embed-text", input="a", keep_alive="1h")
    client.embeddings(model="llama3", prompt="b", keep_alive=0)
    journalled(socket_wire.engine, 2)

    assert [m.model for m in client.ps().models] == ["nomic-embed-text:latest"]


def test_embed_keeps_the_answer_shape(socket_wire: Wire) -> None:
    body = {"model": "llama3", "input": ["a"], "keep_alive": "5m", "options": {"num_ctx": 64}}
    response = socket_wire.post("/api/embed", body)

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    answer = response.json()
    assert list(answer) == [
        "model",
        "embeddings",
        "total_duration",
        "load_duration",
        "prompt_eval_count",
    ]
    assert all(isinstance(answer[k], int) for k in ("total_duration", "load_duration"))


def test_embed_with_a_stub_gives_its_scripted_vectors_on_both_apis(
    socket_wire: Wire, client: Any, ollama_http: httpx.Client
) -> None:
    socket_wire.stub(SCRIPTED)
    texts = ["cat", "dog", "a kitten sleeps", "a kitten plays", "weather"]

    answer = client.embed(model="nomic-embed-text", input=texts)
    expected = v1_embeddings(ollama_http, "nomic-embed-text", texts)

    assert answer.embeddings == [item["embedding"] for item in expected["data"]]
    assert answer.embeddings[:2] == [[1.0, 0.0, 0.0], [0.0, 0.6000000238418579, 0.800000011920929]]
    kitten_a, kitten_b = answer.embeddings[2:4]
    assert sum(a * b for a, b in zip(kitten_a, kitten_b, strict=True)) > 0.99
    assert [e.stub for e in socket_wire.engine.journal.entries()] == ["rag", "rag"]


def test_embeddings_gives_the_vector_of_v1_embeddings(
    socket_wire: Wire, client: Any, ollama_http: httpx.Client
) -> None:
    plain = client.embeddings(model="nomic-embed-text", prompt="blue giraffe")
    expected_plain = v1_embeddings(ollama_http, "nomic-embed-text", ["blue giraffe"])
    socket_wire.stub(SCRIPTED)
    scripted = client.embeddings(model="nomic-embed-text", prompt="dog")
    expected_scripted = v1_embeddings(ollama_http, "nomic-embed-text", ["dog"])

    assert plain.embedding == expected_plain["data"][0]["embedding"]
    assert scripted.embedding == expected_scripted["data"][0]["embedding"]
    assert scripted.embedding == [0.0, 0.6000000238418579, 0.800000011920929]
    raw = socket_wire.post("/api/embeddings", {"model": "llama3", "prompt": "dog"}).json()
    assert list(raw) == ["embedding"]


def test_embed_without_input_gives_no_vectors(socket_wire: Wire, client: Any) -> None:
    socket_wire.stub({**SCRIPTED, "respond": {"embedding": {"vectors": [[1.0, 0.0]]}}})

    assert client.embed(model="llama3", input=[]).embeddings == []
    assert client.embed(model="llama3", input="").embeddings == []
    assert client.embeddings(model="llama3", prompt="").embedding == []


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"model": "llama3", "input": 5}, "invalid input type"),
        ({"model": "llama3", "input": ["a", 1]}, "invalid input type"),
        ({"input": "a"}, "model is required"),
        ({"model": "llama3", "input": "a", "keep_alive": "soon"}, 'time: invalid duration "soon"'),
    ],
    ids=["number", "list-with-number", "no-model", "bad-keep-alive"],
)
def test_embed_bad_body_is_400_in_ollama_shape(
    socket_wire: Wire, body: dict[str, Any], message: str
) -> None:
    response = socket_wire.post("/api/embed", body)

    assert response.status_code == 400
    assert response.json() == {"error": message}


def test_embed_dimensions_above_the_model_is_400(client: Any) -> None:
    with pytest.raises(ollama.ResponseError) as caught:
        client.embed(model="llama3", input="a", dimensions=4096)

    assert caught.value.status_code == 400
    assert "'dimensions': 4096" in caught.value.error


def test_embed_scripted_error_and_fault_in_ollama_shape(socket_wire: Wire, client: Any) -> None:
    socket_wire.stub(
        {
            "match": {"last_user": "slow"},
            "respond": {"error": {"status": 429, "message": "slow down"}},
        },
        {"match": {"last_user": "boom"}, "fault": {"http_error": {"status": 503}}},
    )

    with pytest.raises(ollama.ResponseError) as slow:
        client.embed(model="llama3", input="slow")
    with pytest.raises(ollama.ResponseError) as boom:
        client.embeddings(model="llama3", prompt="boom")

    assert (slow.value.status_code, slow.value.error) == (429, "slow down")
    assert boom.value.status_code == 503
    raw = socket_wire.post("/api/embed", {"model": "llama3", "input": "slow"})
    assert raw.json() == {"error": "slow down"}


def test_embed_calls_are_embeddings_calls_for_the_testing_helpers(
    ollama_server: MockServer,
) -> None:
    with MockGPT(ollama_server) as mock, ollama.Client(host=ollama_server.url) as client:
        mock.stub(match={"endpoint": "embeddings"}, respond={"embedding": {"key": "k"}}, id="e")
        client.embed(model="llama3", input=["a", "b"])
        client.embeddings(model="llama3", prompt="c")

        calls = mock.assert_called(times=2, endpoint="embeddings")
        assert [c.path for c in calls] == ["/api/embed", "/api/embeddings"]
        assert [c.stub for c in calls] == ["e", "e"]
        mock.assert_stub_used("e", times=2)


@pytest.mark.anyio
async def test_async_embed_and_embeddings(async_client: Any, ollama_http: httpx.Client) -> None:
    answer = await async_client.embed(model="nomic-embed-text", input=TEXTS)
    single = await async_client.embeddings(model="nomic-embed-text", prompt=TEXTS[1])

    expected = v1_embeddings(ollama_http, "nomic-embed-text", TEXTS)
    assert answer.embeddings == [item["embedding"] for item in expected["data"]]
    assert single.embedding == expected["data"][1]["embedding"]


@pytest.fixture(scope="module")
def upstream() -> Iterator[MockServer]:
    with MockServer(ServerConfig(port=0, log_level="warning")) as server:
        server.engine.registry.add(
            Scenario.model_validate(
                {
                    "name": "upstream",
                    "stubs": [
                        {
                            "match": {"last_user": "limit me"},
                            "respond": {"error": {"status": 429, "message": "slow down"}},
                        }
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


def test_embed_unmatched_goes_upstream_with_a_proxy_fallback(
    proxy: MockServer, upstream: MockServer
) -> None:
    with (
        ollama.Client(host=proxy.url, timeout=10) as client,
        httpx.Client(base_url=upstream.url) as direct,
    ):
        answer = client.embed(model="llama3", input=TEXTS, dimensions=4)
        legacy = client.embeddings(model="llama3", prompt=TEXTS[0])
        with pytest.raises(ollama.ResponseError) as caught:
            client.embed(model="llama3", input="limit me")
        expected = v1_embeddings(direct, "llama3", TEXTS, dimensions=4)
        whole = v1_embeddings(direct, "llama3", TEXTS[:1])

    assert answer.embeddings == [item["embedding"] for item in expected["data"]]
    assert legacy.embedding == whole["data"][0]["embedding"]
    assert (caught.value.status_code, caught.value.error) == (429, "slow down")
    assert [e.path for e in upstream.engine.journal.entries()][:3] == ["/v1/embeddings"] * 3
    assert not proxy.engine.errors
