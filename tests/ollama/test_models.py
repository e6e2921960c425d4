"""``GET /api/tags``, ``POST /api/show``, ``GET /api/ps`` and ``GET /api/version``."""

from __future__ import annotations

import re

import pytest

from tests.ollama.conftest import MODELS, RFC3339_NANO, Wire, journalled

DETAIL_KEYS = {
    "parent_model",
    "format",
    "family",
    "families",
    "parameter_size",
    "quantization_level",
}


def test_tags_lists_the_configured_models(wire: Wire) -> None:
    response = wire.get("/api/tags")

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    models = response.json()["models"]
    assert [m["name"] for m in models] == [
        "llama3:latest",
        "llama3.2:1b",
        "nomic-embed-text:latest",
        "gpt-4o-mini:latest",
    ]
    for model in models:
        assert set(model) == {"name", "model", "modified_at", "size", "digest", "details"}
        assert model["model"] == model["name"]
        assert RFC3339_NANO.match(model["modified_at"])
        assert isinstance(model["size"], int)
        assert model["size"] > 0
        assert re.fullmatch(r"[0-9a-f]{64}", model["digest"])
        assert set(model["details"]) == DETAIL_KEYS
        assert model["details"]["format"] == "gguf"
    details = {m["name"]: m["details"] for m in models}
    assert details["llama3.2:1b"]["family"] == "llama"
    assert details["llama3.2:1b"]["parameter_size"] == "1B"
    assert details["nomic-embed-text:latest"]["family"] == "bert"


@pytest.mark.parametrize("name", ["llama3", "llama3:latest", "llama3.2:1b"])
def test_show_describes_a_configured_model(wire: Wire, name: str) -> None:
    response = wire.post("/api/show", {"model": name})

    assert response.status_code == 200
    shown = response.json()
    assert {"modelfile", "parameters", "template", "details", "model_info", "capabilities"} <= set(
        shown
    )
    assert set(shown["details"]) == DETAIL_KEYS
    assert shown["capabilities"] == ["completion", "tools"]
    info = shown["model_info"]
    family = shown["details"]["family"]
    assert info["general.architecture"] == family
    assert isinstance(info["general.parameter_count"], int)
    assert info[f"{family}.context_length"] == 8192
    assert "FROM " in shown["modelfile"]


def test_show_embedding_model_has_the_embedding_capability(wire: Wire) -> None:
    shown = wire.post("/api/show", {"name": "nomic-embed-text"}).json()

    assert shown["capabilities"] == ["embedding"]


def test_show_answers_any_model_chat_answers(wire: Wire) -> None:
    """Chat answers any model name (no fixed list), so show describes any, as if pulled."""
    response = wire.post("/api/show", {"model": "mistral:7b"})

    assert response.status_code == 200
    shown = response.json()
    assert shown["details"]["family"] == "mistral"
    assert shown["details"]["parameter_size"] == "7B"
    assert shown["capabilities"] == ["completion", "tools"]
    assert shown["modelfile"].splitlines()[4] == "FROM mistral:7b"
    assert (
        shown["parameters"]
        == 'num_ctx                        8192\nstop                           "user:"'
    )


def test_show_without_model_is_400(wire: Wire) -> None:
    response = wire.post("/api/show", {})

    assert response.status_code == 400
    assert response.json() == {"error": "model is required"}


def test_version(wire: Wire) -> None:
    response = wire.get("/api/version")

    assert response.status_code == 200
    assert re.fullmatch(r"0\.\d+\.\d+", response.json()["version"])
    assert set(response.json()) == {"version"}


def test_ps_lists_models_used_within_keep_alive(wire: Wire) -> None:
    assert wire.get("/api/ps").json() == {"models": []}
    chat = {"model": "llama3", "messages": [{"role": "user", "content": "hi"}], "stream": False}

    wire.post("/api/chat", chat)
    wire.post("/api/generate", {"model": "llama3.2:1b", "keep_alive": "1h"})
    journalled(wire.engine, 3)  # /api/ps reads what the journal holds
    running = wire.get("/api/ps").json()["models"]

    assert [m["name"] for m in running] == ["llama3.2:1b", "llama3:latest"]
    for model in running:
        assert RFC3339_NANO.match(model["expires_at"])
        assert model["size_vram"] == model["size"] > 0
        assert set(model["details"]) == DETAIL_KEYS
    wire.post("/api/chat", {"model": "llama3:latest", "messages": [], "keep_alive": 0})
    journalled(wire.engine, 5)
    assert [m["name"] for m in wire.get("/api/ps").json()["models"]] == ["llama3.2:1b"]
    wire.post("/api/generate", {"model": "gpt-4o-mini", "keep_alive": -1})
    journalled(wire.engine, 7)
    forever = wire.get("/api/ps").json()["models"][0]
    assert forever["name"] == "gpt-4o-mini:latest"
    assert forever["expires_at"] > "2100"


def test_tags_are_the_configured_models_in_any_config(wire: Wire) -> None:
    assert len(wire.get("/api/tags").json()["models"]) == len(MODELS)
