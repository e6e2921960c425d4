"""``POST /api/chat``: NDJSON streams and single objects, limits, structured output, usage."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.ollama.conftest import RFC3339_NANO, Wire, assert_final, split_ndjson

USER = [{"role": "user", "content": "blue giraffe"}]


def test_chat_streams_ndjson_lines_by_default(wire: Wire) -> None:
    response = wire.post("/api/chat", {"model": "llama3", "messages": USER})

    objects = split_ndjson(response)
    *deltas, final = objects
    assert [o["message"] for o in deltas] == [
        {"role": "assistant", "content": "blue"},
        {"role": "assistant", "content": " giraffe"},
    ]
    for o in deltas:
        assert list(o) == ["model", "created_at", "message", "done"]
        assert o["model"] == "llama3"
        assert RFC3339_NANO.match(o["created_at"]), o["created_at"]
    assert final["message"] == {"role": "assistant", "content": ""}
    assert final["model"] == "llama3"
    assert_final(final)
    assert final["eval_count"] == 2
    assert "context" not in final


def test_chat_stream_false_gives_one_object(wire: Wire) -> None:
    response = wire.post("/api/chat", {"model": "llama3", "messages": USER, "stream": False})

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["message"] == {"role": "assistant", "content": "blue giraffe"}
    assert body["model"] == "llama3"
    assert_final(body)


def test_chat_stream_joins_to_the_non_streamed_answer(wire: Wire) -> None:
    messages = [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": "first"},
        {"role": "assistant", "content": "answer"},
        {"role": "user", "content": "The quick brown fox, jumps over 12 lazy dogs!"},
    ]
    streamed = split_ndjson(wire.post("/api/chat", {"model": "llama3", "messages": messages}))
    single = wire.post(
        "/api/chat", {"model": "llama3", "messages": messages, "stream": False}
    ).json()

    joined = "".join(o["message"]["content"] for o in streamed)
    assert joined == single["message"]["content"] == messages[-1]["content"]
    for key in ("prompt_eval_count", "eval_count", "done_reason"):
        assert streamed[-1][key] == single[key]


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "single"])
def test_chat_num_predict_cuts_with_done_reason_length(wire: Wire, stream: bool) -> None:
    body = {
        "model": "llama3",
        "messages": [{"role": "user", "content": "one two three four five"}],
        "options": {"num_predict": 2},
        "stream": stream,
    }
    response = wire.post("/api/chat", body)

    final = split_ndjson(response)[-1] if stream else response.json()
    text = (
        "".join(o["message"]["content"] for o in split_ndjson(response))
        if stream
        else final["message"]["content"]
    )
    assert text == "one two"
    assert_final(final, "length")
    assert final["eval_count"] == 2


@pytest.mark.parametrize("num_predict", [-1, -2, 0], ids=["infinite", "fill-context", "zero"])
def test_chat_num_predict_not_positive_means_no_limit(wire: Wire, num_predict: int) -> None:
    body = {"model": "llama3", "messages": USER, "stream": False}
    body["options"] = {"num_predict": num_predict}

    final = wire.post("/api/chat", body).json()

    assert final["message"]["content"] == "blue giraffe"
    assert final["done_reason"] == "stop"


@pytest.mark.parametrize("stop", [[" three", "x"], " three"], ids=["list", "string"])
def test_chat_stop_ends_before_the_stop_sequence(wire: Wire, stop: Any) -> None:
    body = {
        "model": "llama3",
        "messages": [{"role": "user", "content": "one two three four"}],
        "options": {"stop": stop, "temperature": 0.2, "num_ctx": 4096},
    }

    objects = split_ndjson(wire.post("/api/chat", body))

    assert "".join(o["message"]["content"] for o in objects) == "one two"
    assert_final(objects[-1], "stop")


def test_chat_format_json_answers_a_json_object(wire: Wire) -> None:
    body = {"model": "llama3", "messages": USER, "format": "json", "stream": False}

    content = wire.post("/api/chat", body).json()["message"]["content"]

    assert json.loads(content) == {"text": "blue giraffe"}


SCHEMA = {
    "type": "object",
    "properties": {"age": {"type": "integer"}, "available": {"type": "boolean"}},
    "required": ["age", "available"],
}


def test_chat_format_schema_answers_a_value_of_the_schema(wire: Wire) -> None:
    body = {"model": "llama3", "messages": USER, "format": SCHEMA, "stream": False}

    first = json.loads(wire.post("/api/chat", body).json()["message"]["content"])
    again = json.loads(wire.post("/api/chat", body).json()["message"]["content"])
    body["options"] = {"seed": 7}
    seeded = [json.loads(wire.post("/api/chat", body).json()["message"]["content"]) for _ in "ab"]

    assert set(first) == {"age", "available"}
    assert isinstance(first["age"], int)
    assert isinstance(first["available"], bool)
    assert first == again
    assert seeded[0] == seeded[1]


def test_chat_format_reaches_a_stub_as_response_format(wire: Wire) -> None:
    wire.stub(
        {
            "match": {"endpoint": "ollama", "response_format": "json_schema"},
            "respond": {"json": "from_schema"},
        }
    )
    body = {"model": "llama3", "messages": USER, "format": SCHEMA, "stream": False}

    content = json.loads(wire.post("/api/chat", body).json()["message"]["content"])

    assert set(content) == {"age", "available"}


def test_chat_stub_matches_endpoint_ollama_only(wire: Wire) -> None:
    wire.stub({"match": {"endpoint": "ollama"}, "respond": {"content": "from the ollama stub"}})

    ollama = wire.post("/api/chat", {"model": "llama3", "messages": USER, "stream": False})
    openai = wire.post("/v1/chat/completions", {"model": "llama3", "messages": USER})

    assert ollama.json()["message"]["content"] == "from the ollama stub"
    assert openai.json()["choices"][0]["message"]["content"] == "blue giraffe"


def test_chat_stub_model_is_reported(wire: Wire) -> None:
    wire.stub({"match": {"model": "llama3"}, "respond": {"content": "ok", "model": "llama3:8b"}})

    objects = split_ndjson(wire.post("/api/chat", {"model": "llama3", "messages": USER}))

    assert {o["model"] for o in objects} == {"llama3:8b"}


def test_chat_refusal_is_sent_as_content(wire: Wire) -> None:
    wire.stub({"respond": {"refusal": "I cannot help with that."}})

    body = wire.post("/api/chat", {"model": "llama3", "messages": USER, "stream": False}).json()

    assert body["message"]["content"] == "I cannot help with that."


@pytest.mark.parametrize(
    ("keep_alive", "reason"),
    [(None, "load"), ("5m", "load"), (0, "unload"), ("0s", "unload")],
    ids=["default", "duration", "zero", "zero-duration"],
)
def test_chat_without_messages_loads_or_unloads_the_model(
    wire: Wire, keep_alive: object, reason: str
) -> None:
    body: dict[str, Any] = {"model": "llama3", "messages": []}
    if keep_alive is not None:
        body["keep_alive"] = keep_alive

    response = wire.post("/api/chat", body)

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    answer = response.json()
    assert answer["message"] == {"role": "assistant", "content": ""}
    assert answer["done"] is True
    assert answer["done_reason"] == reason


def test_chat_ignores_images_think_and_keep_alive(wire: Wire) -> None:
    messages = [{"role": "user", "content": "blue giraffe", "images": ["aGVsbG8="]}]
    body = {"model": "llama3", "messages": messages, "think": True, "keep_alive": "10m"}

    objects = split_ndjson(wire.post("/api/chat", body))

    assert "".join(o["message"]["content"] for o in objects) == "blue giraffe"
