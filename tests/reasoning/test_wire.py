"""Reasoning on the raw bytes: the Responses events in the API's order over a real socket,
and (a hypothesis property) the streamed and non-streamed answers agree."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mockgpt.server import MockServer
from tests.reasoning.conftest import REASONING_MODEL
from tests.responses.wire import split_frames, without_ids
from tests.support import InProcess

SUMMARY_ORDER = [
    "response.reasoning_summary_part.added",
    "response.reasoning_summary_text.delta",
    "response.reasoning_summary_text.done",
    "response.reasoning_summary_part.done",
]


def _collapsed(kinds: list[str]) -> list[str]:
    """``kinds`` with each run of one delta type kept once."""
    out: list[str] = []
    for kind in kinds:
        if not (out and kind == out[-1] and kind.endswith(".delta")):
            out.append(kind)
    return out


def test_stream_bytes_keep_the_reasoning_events_in_the_api_order(
    server: MockServer, stub: Callable[..., None]
) -> None:
    stub(
        {
            "match": {"last_user": {"equals": "plan"}},
            "respond": {"content": "ok go", "reasoning": {"summary": ["First.", "Second."]}},
        }
    )
    body = {"model": "gpt-4o-mini", "input": "plan", "stream": True}
    with httpx.Client(base_url=server.url, timeout=30) as http:
        raw = http.post("/v1/responses", json=body)

    assert raw.headers["content-type"].startswith("text/event-stream")
    frames = split_frames(raw.content)
    assert [f.name for f in frames] == [f.data["type"] for f in frames]
    assert [f.data["sequence_number"] for f in frames] == list(range(len(frames)))
    assert _collapsed([f.name for f in frames]) == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        *SUMMARY_ORDER,
        *SUMMARY_ORDER,
        "response.output_item.done",
        "response.output_item.added",
        "response.content_part.added",
        "response.output_text.delta",
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
    ]
    added = frames[2].data
    assert added["output_index"] == 0
    assert added["item"]["type"] == "reasoning"
    assert added["item"]["summary"] == []
    assert added["item"]["status"] == "in_progress"
    item_id = added["item"]["id"]
    summary_events = [f.data for f in frames if f.name.startswith("response.reasoning_summary")]
    assert {e["item_id"] for e in summary_events} == {item_id}
    assert [e["summary_index"] for e in summary_events if e["type"].endswith("part.added")] == [
        0,
        1,
    ]
    parts_done = [e["part"] for e in summary_events if e["type"].endswith("part.done")]
    assert parts_done == [
        {"type": "summary_text", "text": "First."},
        {"type": "summary_text", "text": "Second."},
    ]
    item_done = next(f.data for f in frames if f.name == "response.output_item.done")
    assert item_done["item"] == {
        "id": item_id,
        "type": "reasoning",
        "summary": parts_done,
        "status": "completed",
    }
    final = frames[-1].data["response"]
    assert final["output"][0] == item_done["item"]
    assert final["output"][1]["id"] != item_id
    usage = final["usage"]
    assert 0 < usage["output_tokens_details"]["reasoning_tokens"] < usage["output_tokens"]


_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)
requests = st.fixed_dictionaries(
    {
        "model": st.sampled_from([REASONING_MODEL, "gpt-5-mini", "o1", "gpt-4o-mini"]),
        "input": _text,
        "reasoning": st.fixed_dictionaries(
            {},
            optional={
                "effort": st.sampled_from(["none", "minimal", "low", "high"]),
                "summary": st.sampled_from(["auto", "concise", "detailed"]),
            },
        ),
    },
    optional={
        "max_output_tokens": st.integers(min_value=16, max_value=40),
        "include": st.just(["reasoning.encrypted_content"]),
        "instructions": _text,
    },
)


def _without_encrypted(value: Any) -> Any:
    """``value`` without ``encrypted_content``, which names the item's id."""
    if isinstance(value, dict):
        return {k: _without_encrypted(v) for k, v in value.items() if k != "encrypted_content"}
    if isinstance(value, list):
        return [_without_encrypted(v) for v in value]
    return value


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=requests)
def test_property_streamed_and_created_reasoning_agree(
    asgi: InProcess, body: dict[str, Any]
) -> None:
    created = asgi.post("/v1/responses", body)
    streamed = asgi.post("/v1/responses", {**body, "stream": True})

    assert created.status_code == 200, created.text
    response = created.json()
    assert response["status"] in ("completed", "incomplete")
    frames = split_frames(streamed.content)
    final = frames[-1].data["response"]
    assert _without_encrypted(without_ids(final)) == _without_encrypted(without_ids(response))
    kinds = [item["type"] for item in response["output"]]
    usage = response["usage"]
    reasoning_tokens = usage["output_tokens_details"]["reasoning_tokens"]
    assert 0 <= reasoning_tokens <= usage["output_tokens"]
    assert ("reasoning" in kinds) == (reasoning_tokens > 0)
    for item in response["output"]:
        if item["type"] == "reasoning":
            assert ("encrypted_content" in item) == ("include" in body)
    summaries = [
        part["text"]
        for item in response["output"]
        if item["type"] == "reasoning"
        for part in item["summary"]
    ]
    streamed_summary = "".join(
        f.data["delta"] for f in frames if f.name == "response.reasoning_summary_text.delta"
    )
    assert "".join(summaries) == streamed_summary
