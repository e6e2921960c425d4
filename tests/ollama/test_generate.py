"""``POST /api/generate``: a completion of ``prompt``, streamed or not, with ``context``."""

from __future__ import annotations

import json
from typing import Any

import pytest

from mockgpt.render.ollama import context_ids
from tests.ollama.conftest import Wire, assert_final, split_ndjson


def test_generate_streams_response_pieces_then_the_final_object(wire: Wire) -> None:
    response = wire.post("/api/generate", {"model": "llama3", "prompt": "blue giraffe"})

    *deltas, final = split_ndjson(response)
    assert [o["response"] for o in deltas] == ["blue", " giraffe"]
    assert all(list(o) == ["model", "created_at", "response", "done"] for o in deltas)
    assert final["response"] == ""
    assert "message" not in final
    assert_final(final)
    assert final["context"] == context_ids("blue giraffe") + context_ids("blue giraffe")


def test_generate_stream_false_gives_one_object(wire: Wire) -> None:
    body = {"model": "llama3", "prompt": "blue giraffe", "system": "be kind", "stream": False}

    response = wire.post("/api/generate", body)

    assert response.headers["content-type"] == "application/json"
    answer = response.json()
    assert answer["response"] == "blue giraffe"
    assert_final(answer)
    assert all(isinstance(i, int) for i in answer["context"])
    assert answer["context"] == context_ids("be kindblue giraffe") + context_ids("blue giraffe")


def test_generate_raw_mode_has_no_context(wire: Wire) -> None:
    body = {"model": "llama3", "prompt": "[INST] hi [/INST]", "raw": True, "stream": False}

    answer = wire.post("/api/generate", body).json()

    assert answer["response"] == "[INST] hi [/INST]"
    assert "context" not in answer


def test_generate_accepts_and_ignores_context_suffix_template_images(wire: Wire) -> None:
    body = {
        "model": "llama3",
        "prompt": "blue giraffe",
        "context": [1, 2, 3],
        "suffix": "    return result",
        "template": "{{ .Prompt }}",
        "images": ["aGVsbG8="],
        "keep_alive": -1,
        "stream": False,
    }

    assert wire.post("/api/generate", body).json()["response"] == "blue giraffe"


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "single"])
def test_generate_num_predict_and_stop(wire: Wire, stream: bool) -> None:
    prompt = "alpha beta gamma delta epsilon"
    cut = {"num_predict": 3}
    stopped = {"stop": [" gamma"]}

    def text(options: dict[str, Any]) -> tuple[str, str]:
        body = {"model": "llama3", "prompt": prompt, "options": options, "stream": stream}
        response = wire.post("/api/generate", body)
        if stream:
            objects = split_ndjson(response)
            return "".join(o["response"] for o in objects), objects[-1]["done_reason"]
        answer = response.json()
        return answer["response"], answer["done_reason"]

    assert text(cut) == ("alpha beta gamma", "length")
    assert text(stopped) == ("alpha beta", "stop")


def test_generate_format_json(wire: Wire) -> None:
    body = {"model": "llama3", "prompt": "blue giraffe", "format": "json", "stream": False}

    assert json.loads(wire.post("/api/generate", body).json()["response"]) == {
        "text": "blue giraffe"
    }


def test_generate_prompt_reaches_stubs_as_the_last_user_message(wire: Wire) -> None:
    wire.stub(
        {
            "match": {"endpoint": "ollama", "last_user": "sky", "system": "poet"},
            "respond": {"content": "Because of {{ last_user }}"},
        }
    )
    body = {"model": "llama3", "prompt": "the sky", "system": "a poet", "stream": False}

    assert wire.post("/api/generate", body).json()["response"] == "Because of the sky"


@pytest.mark.parametrize(
    ("keep_alive", "reason"), [(None, "load"), (0, "unload")], ids=["load", "unload"]
)
def test_generate_without_prompt_loads_or_unloads(wire: Wire, keep_alive: Any, reason: str) -> None:
    body: dict[str, Any] = {"model": "llama3"}
    if keep_alive is not None:
        body["keep_alive"] = keep_alive

    answer = wire.post("/api/generate", body).json()

    assert answer["response"] == ""
    assert answer["done"] is True
    assert answer["done_reason"] == reason
