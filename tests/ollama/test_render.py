"""The Ollama renderer and helpers without a server: timings, timestamps, names, durations."""

from __future__ import annotations

import math
from collections.abc import Iterator

import pytest

from mockgpt.errors import RequestRejected
from mockgpt.events import Finish, TextDelta, ToolCallDelta, Usage
from mockgpt.render.ollama import OllamaMeta, OllamaRenderer, rfc3339_nano
from mockgpt.render.ollama_models import model_details, same_model, tag_name
from mockgpt.routes.ollama import keep_alive_seconds

WALL_NS = 1_700_000_000_123_456_789


def _renderer(kind: str = "chat", *, stream: bool = True, clock: list[int]) -> OllamaRenderer:
    ticks: Iterator[int] = iter(clock)
    meta = OllamaMeta("llama3", kind, started_ns=0)  # type: ignore[arg-type]
    return OllamaRenderer(meta, stream=stream, clock=lambda: next(ticks), wall=lambda: WALL_NS)


def test_renderer_durations_come_from_the_clock() -> None:
    renderer = _renderer(clock=[100, 250, 1000])

    lines = renderer.feed(TextDelta("hi")) + renderer.feed(TextDelta(" you"))
    lines += renderer.feed(Finish("stop")) + renderer.feed(Usage(7, 2))
    final = renderer.close()[-1]

    assert [line["message"] for line in lines] == [
        {"role": "assistant", "content": "hi"},
        {"role": "assistant", "content": " you"},
    ]
    assert final == {
        "model": "llama3",
        "created_at": "2023-11-14T22:13:20.123456789Z",
        "message": {"role": "assistant", "content": ""},
        "done_reason": "stop",
        "done": True,
        "total_duration": 1000,
        "load_duration": 100,
        "prompt_eval_count": 7,
        "prompt_eval_duration": 150,
        "eval_count": 2,
        "eval_duration": 750,
    }


def test_renderer_without_tokens_still_has_positive_durations() -> None:
    renderer = _renderer(clock=[5, 5])

    final = renderer.close()[-1]

    assert final["load_duration"] == 5
    assert final["prompt_eval_duration"] == final["eval_duration"] == 1
    assert final["total_duration"] == 7
    assert final["eval_count"] == 0


def test_renderer_not_streamed_holds_the_whole_message() -> None:
    renderer = _renderer(stream=False, clock=[1, 2, 3])

    sent = renderer.feed(TextDelta("a"))
    sent += renderer.feed(ToolCallDelta(0, '{"x":', "call_1", "f"))
    sent += renderer.feed(ToolCallDelta(0, " 1}"))
    sent += renderer.feed(Finish("length"))
    final = renderer.close()[-1]

    assert sent == []
    assert final["message"] == {
        "role": "assistant",
        "content": "a",
        "tool_calls": [
            {"id": "call_1", "function": {"index": 0, "name": "f", "arguments": {"x": 1}}}
        ],
    }
    assert final["done_reason"] == "length"


def test_renderer_generate_context_is_absent_in_raw_mode() -> None:
    ticks = iter([1, 2, 3])
    meta = OllamaMeta("llama3", "generate", started_ns=0, context_prompt=None)
    renderer = OllamaRenderer(meta, stream=False, clock=lambda: next(ticks))
    renderer.feed(TextDelta("x"))

    final = renderer.close()[-1]

    assert list(final)[:5] == ["model", "created_at", "response", "done", "done_reason"]
    assert final["response"] == "x"
    assert "context" not in final


@pytest.mark.parametrize(
    ("ns", "text"),
    [
        (0, "1970-01-01T00:00:00Z"),
        (1_500_000_000, "1970-01-01T00:00:01.5Z"),
        (WALL_NS, "2023-11-14T22:13:20.123456789Z"),
        (1_700_000_000_000_001_000, "2023-11-14T22:13:20.000001Z"),
    ],
)
def test_rfc3339_nano_drops_trailing_zeros_like_go(ns: int, text: str) -> None:
    assert rfc3339_nano(ns) == text


def test_model_names_default_to_the_latest_tag() -> None:
    assert tag_name("llama3") == "llama3:latest"
    assert tag_name("llama3:8b") == "llama3:8b"
    assert same_model("llama3", "llama3:latest")
    assert not same_model("llama3", "llama3:8b")


@pytest.mark.parametrize(
    ("model", "family", "size"),
    [
        ("llama3.2:1b", "llama", "1B"),
        ("qwen2.5:0.5b", "qwen", "0.5B"),
        ("library/mistral:7b-instruct", "mistral", "7B"),
        ("nomic-embed-text", "bert", "137M"),
        ("gpt-4o-mini", "gpt", "7B"),
    ],
)
def test_model_details_are_read_from_the_name(model: str, family: str, size: str) -> None:
    details = model_details(model)

    assert (details["family"], details["parameter_size"]) == (family, size)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        (None, 300.0),
        (0, 0.0),
        (30, 30.0),
        (1.5, 1.5),
        ("0", 0.0),
        ("10s", 10.0),
        ("5m", 300.0),
        ("1h30m", 5400.0),
        ("1.5h", 5400.0),
        ("250ms", 0.25),
        (-1, math.inf),
        ("-1m", math.inf),
    ],
)
def test_keep_alive_is_seconds_or_a_go_duration(value: object, seconds: float) -> None:
    assert keep_alive_seconds(value) == seconds


@pytest.mark.parametrize("value", ["5", "soon", "", "m", True, [1], {"s": 1}])
def test_keep_alive_rejects_what_go_rejects(value: object) -> None:
    with pytest.raises(RequestRejected) as caught:
        keep_alive_seconds(value)

    assert caught.value.status == 400
    assert "invalid duration" in caught.value.message
