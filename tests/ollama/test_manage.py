"""``/api/pull``, ``/api/create``, ``/api/copy`` and ``/api/delete`` through the official
``ollama`` client, sync and async: their progress lines, and ``/api/tags`` afterwards."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from anyio.from_thread import BlockingPortal

from mockgpt import ServerConfig, create_app
from mockgpt.ollama_store import OllamaModels
from mockgpt.render.ollama_models import local_model
from mockgpt.server import MockServer
from mockgpt.testing import MockGPT
from tests.ollama.conftest import MODELS, Wire, journalled
from tests.support import InProcess

ollama = pytest.importorskip("ollama")

CONFIGURED = [m if ":" in m else f"{m}:latest" for m in MODELS]


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


def names(client: Any) -> list[str]:
    return [m.model for m in client.list().models]


def test_pull_streams_its_progress_then_tags_lists_the_model(client: Any) -> None:
    parts = list(client.pull("mistral:7b", stream=True))

    statuses = [p.status for p in parts]
    assert statuses[0] == "pulling manifest"
    assert statuses[-3:] == ["verifying sha256 digest", "writing manifest", "success"]
    layers = parts[1:-3]
    assert len(layers) == 6  # weights, template, parameters: each announced, then complete
    for announced, done in zip(layers[::2], layers[1::2], strict=True):
        digest = re.fullmatch(r"sha256:([0-9a-f]{64})", announced.digest)
        assert digest is not None
        assert announced.status == done.status == f"pulling {digest.group(1)[:12]}"
        assert announced.completed is None
        assert done.completed == done.total == announced.total > 0
    listed = client.list().models
    assert [m.model for m in listed] == ["mistral:7b", *CONFIGURED]
    assert listed[0].size == sum(p.total for p in layers[::2])
    assert listed[0].details.family == "mistral"


def test_pull_raw_lines_and_stream_false(socket_wire: Wire, client: Any) -> None:
    streamed = socket_wire.post("/api/pull", {"model": "qwen3"})
    single = socket_wire.post("/api/pull", {"name": "phi3", "stream": False})
    answer = client.pull("gemma3", stream=False)

    assert streamed.status_code == 200
    assert streamed.headers["content-type"] == "application/x-ndjson"
    lines = streamed.content.split(b"\n")
    assert lines[-1] == b""
    assert [json.loads(line)["status"] for line in lines[:1]] == ["pulling manifest"]
    assert json.loads(lines[-2]) == {"status": "success"}
    assert single.headers["content-type"] == "application/json"
    assert single.json() == {"status": "success"}
    assert answer.status == "success"
    assert names(client)[:3] == ["gemma3:latest", "phi3:latest", "qwen3:latest"]


def test_create_from_a_model_keeps_its_settings(socket_wire: Wire, client: Any) -> None:
    parts = list(
        client.create(
            model="mario",
            from_="llama3",
            system="You are Mario.",
            parameters={"temperature": 0.2, "stop": ["<end>", "user:"]},
            stream=True,
        )
    )
    shown = client.show("mario")

    statuses = [p.status for p in parts]
    assert statuses[-2:] == ["writing manifest", "success"]
    assert [s.split(" sha256:")[0] for s in statuses[:-2]] == [
        "using existing layer",  # the weights
        "using existing layer",  # the template
        "creating new layer",  # the parameters
        "creating new layer",  # the system prompt
    ]
    assert names(client)[0] == "mario:latest"
    assert socket_wire.post("/api/show", {"model": "mario"}).json()["system"] == "You are Mario."
    assert shown.details.parent_model == "llama3:latest"
    assert shown.details.family == "llama"
    assert shown.parameters.splitlines() == [
        "num_ctx                        8192",
        "temperature                    0.2",
        'stop                           "<end>"',
        'stop                           "user:"',
    ]
    assert 'SYSTEM """You are Mario."""' in shown.modelfile
    assert "FROM llama3:latest" in shown.modelfile


def test_create_from_files_and_stream_false(socket_wire: Wire, client: Any) -> None:
    files = {"model.gguf": "sha256:" + "a" * 64}
    answer = client.create(model="my-embed:v1", files=files, template="{{ .Prompt }}")
    raw = socket_wire.post("/api/create", {"model": "other", "files": files, "stream": True})

    assert answer.status == "success"
    assert json.loads(raw.content.split(b"\n")[0]) == {"status": "parsing GGUF"}
    shown = client.show("my-embed:v1")
    assert shown.template == "{{ .Prompt }}"
    assert shown.capabilities == ["embedding"]
    assert names(client)[:2] == ["other:latest", "my-embed:v1"]


def test_blob_upload_then_create_from_it(
    tmp_path: Path, socket_wire: Wire, ollama_http: httpx.Client, client: Any
) -> None:
    weights = tmp_path / "model.gguf"
    weights.write_bytes(b"GGUF" + bytes(60))
    other = "sha256:" + "0" * 64

    digest = client.create_blob(weights)
    present = ollama_http.head(f"/api/blobs/{digest}")
    absent = ollama_http.head(f"/api/blobs/{other}")
    mismatch = socket_wire.post(f"/api/blobs/{other}", content=b"not these bytes")
    created = client.create(model="local", files={"model.gguf": digest})

    assert digest == "sha256:" + hashlib.sha256(weights.read_bytes()).hexdigest()
    assert (present.status_code, absent.status_code) == (200, 404)
    assert mismatch.status_code == 400
    assert mismatch.json()["error"].startswith(f'digest mismatch, expected "{other}", got "sha256:')
    assert created.status == "success"
    socket_wire.engine.reset(["stored"])
    assert ollama_http.head(f"/api/blobs/{digest}").status_code == 404


def test_create_without_from_or_files_is_400(client: Any) -> None:
    with pytest.raises(ollama.ResponseError) as caught:
        client.create(model="orphan", system="Hi.")

    assert (caught.value.status_code, caught.value.error) == (
        400,
        "neither 'from' or 'files' was specified",
    )
    assert "orphan:latest" not in names(client)


def test_copy_then_tags_lists_the_copy(client: Any) -> None:
    result = client.copy("llama3", "llama3-backup")
    listed = {m.model: m for m in client.list().models}

    assert result.status == "success"
    assert next(iter(listed)) == "llama3-backup:latest"
    assert listed["llama3-backup:latest"].digest == listed["llama3:latest"].digest
    assert listed["llama3-backup:latest"].size == listed["llama3:latest"].size
    assert client.show("llama3-backup").details.family == "llama"


def test_copy_raw_answer_is_empty(socket_wire: Wire) -> None:
    response = socket_wire.post("/api/copy", {"source": "llama3", "destination": "b"})

    assert (response.status_code, response.content) == (200, b"")


def test_copy_of_a_model_the_server_lacks_is_404(socket_wire: Wire, client: Any) -> None:
    with pytest.raises(ollama.ResponseError) as caught:
        client.copy("mistral", "mistral-backup")
    missing = socket_wire.post("/api/copy", {"source": "llama3"})

    assert (caught.value.status_code, caught.value.error) == (404, 'model "mistral" not found')
    assert missing.status_code == 400
    assert set(missing.json()) == {"error"}


def test_delete_then_tags_drops_it_and_a_second_delete_is_404(client: Any) -> None:
    client.pull("mistral", stream=False)

    assert client.delete("mistral").status == "success"
    assert client.delete("llama3:latest").status == "success"
    assert names(client) == [m for m in CONFIGURED if m != "llama3:latest"]
    with pytest.raises(ollama.ResponseError) as caught:
        client.delete("llama3")
    assert (caught.value.status_code, caught.value.error) == (404, "model 'llama3' not found")


def test_pull_brings_a_deleted_model_back(socket_wire: Wire, client: Any) -> None:
    client.delete("llama3")
    response = socket_wire.client.request(  # type: ignore[call-arg]
        "DELETE", "/api/delete", json={"model": "llama3"}
    )
    client.pull("llama3", stream=False)

    assert response.status_code == 404
    assert response.json() == {"error": "model 'llama3' not found"}
    assert sorted(names(client)) == sorted(CONFIGURED)


def test_reset_of_stored_objects_forgets_the_changes(socket_wire: Wire, client: Any) -> None:
    client.pull("mistral", stream=False)
    client.delete("llama3")
    socket_wire.engine.reset(["journal"])

    assert "mistral:latest" in names(client)
    socket_wire.engine.reset(["stored"])
    assert names(client) == CONFIGURED


def test_each_server_keeps_its_own_models(socket_wire: Wire, asgi_wire: Wire, client: Any) -> None:
    client.pull("mistral", stream=False)

    assert "mistral:latest" in names(client)
    listed = [m["name"] for m in asgi_wire.get("/api/tags").json()["models"]]
    assert listed == CONFIGURED


@pytest.fixture(scope="module")
def strict(portal: BlockingPortal) -> Iterator[InProcess]:
    config = ServerConfig(port=0, models=("llama3",), strict_models=True)
    client = InProcess(portal, create_app(config))
    yield client
    client.close()


def test_a_server_with_fixed_models_answers_those_it_has(strict: InProcess) -> None:
    """With ``strict_models``, chat and show follow the models pulled, copied and deleted."""
    chat = {"model": "mistral", "messages": [{"role": "user", "content": "hi"}], "stream": False}

    assert strict.post("/api/chat", chat).status_code == 404
    assert strict.post("/api/show", {"model": "mistral"}).status_code == 404
    assert strict.post("/api/create", {"model": "m", "from": "mistral"}).json() == {
        "error": "model 'mistral' not found"
    }
    strict.post("/api/pull", {"model": "mistral", "stream": False})
    assert strict.post("/api/chat", chat).status_code == 200
    assert strict.post("/api/copy", {"source": "mistral", "destination": "m2"}).status_code == 200
    assert strict.post("/api/show", {"model": "m2"}).status_code == 200
    strict.request("DELETE", "/api/delete", json_body={"model": "mistral"})
    assert strict.post("/api/chat", chat).json() == {"error": "model 'mistral' not found"}
    strict.app.state.engine.reset()  # type: ignore[attr-defined]


def test_models_are_kept_within_their_bound() -> None:
    models = OllamaModels(2)
    for name in ("a", "b", "c"):
        models.add(local_model(name, modified_ns=ord(name)))
    models.delete("x", ["x", "y", "z"])
    models.delete("y", ["x", "y", "z"])
    models.delete("z", ["x", "y", "z"])

    assert [m.name for m in models.listed(["x", "y", "z"])] == [
        "x:latest",
        "c:latest",
        "b:latest",
    ]


def test_management_calls_are_journalled_for_the_testing_helpers(
    ollama_server: MockServer,
) -> None:
    with MockGPT(ollama_server) as mock, ollama.Client(host=ollama_server.url) as client:
        client.pull("mistral", stream=False)
        client.create(model="m", from_="mistral")
        client.copy("m", "m2")
        client.delete("m")
        journalled(ollama_server.engine, 4)

        calls = mock.assert_called(times=4, endpoint="ollama")
        assert [(c.method, c.path, c.status) for c in calls] == [
            ("POST", "/api/pull", 200),
            ("POST", "/api/create", 200),
            ("POST", "/api/copy", 200),
            ("DELETE", "/api/delete", 200),
        ]
        assert calls[1].body == {"model": "m", "from": "mistral", "stream": False}
        assert [c.stub for c in calls] == [None] * 4


@pytest.mark.anyio
async def test_async_pull_create_copy_delete(async_client: Any) -> None:
    parts = [p async for p in await async_client.pull("mistral", stream=True)]
    created = await async_client.create(model="m", from_="mistral", system="Be brief.")
    await async_client.copy("m", "m2")
    await async_client.delete("mistral")
    listed = [m.model for m in (await async_client.list()).models]
    shown = await async_client.show("m2")

    assert [parts[0].status, parts[-1].status] == ["pulling manifest", "success"]
    assert created.status == "success"
    assert listed[:2] == ["m2:latest", "m:latest"]
    assert "mistral:latest" not in listed
    assert shown.details.parent_model == "mistral:latest"
    with pytest.raises(ollama.ResponseError) as caught:
        await async_client.delete("mistral")
    assert caught.value.status_code == 404
