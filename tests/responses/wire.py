"""Raw Responses API wire checks: SSE framing, the ``Response`` shape, the event lifecycle.

These read the JSON as sent (not the client's objects, which forgive missing fields), and
follow the spec schemas (``Response``, ``OutputMessage``, ``FunctionToolCall``,
``ResponseUsage``, ``ResponseStreamEvent``) and the notes' rules R1-R5 and RS1-RS9.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from typing import Any

RESPONSE_REQUIRED = {
    "id",
    "object",
    "created_at",
    "error",
    "incomplete_details",
    "instructions",
    "model",
    "tools",
    "output",
    "parallel_tool_calls",
    "metadata",
    "tool_choice",
    "temperature",
    "top_p",
}
"""``Response.required`` (spec), rule R1."""

TERMINAL = {"response.completed", "response.incomplete", "response.failed"}


@dataclass(frozen=True)
class Frame:
    """One raw SSE event: its ``event:`` name and its decoded ``data:``."""

    name: str
    data: dict[str, Any]


def split_frames(body: bytes) -> list[Frame]:
    r"""Split a Responses SSE body, asserting each event is ``event: <name>\ndata: <json>\n\n``."""
    assert body.endswith(b"\n\n"), body[-80:]
    frames = []
    for raw in body[:-2].split(b"\n\n"):
        head, _, rest = raw.partition(b"\n")
        assert head.startswith(b"event: "), raw[:80]
        assert rest.startswith(b"data: "), raw[:80]
        payload = rest[len(b"data: ") :]
        assert b"\n" not in payload, raw[:80]
        assert b"\r" not in raw, raw[:80]
        data = json.loads(payload)
        assert isinstance(data, dict), data
        frames.append(Frame(head[len(b"event: ") :].decode(), data))
    return frames


def output_text(response: dict[str, Any]) -> str:
    """The joined ``output_text`` parts of a raw ``Response``."""
    return "".join(
        part["text"]
        for item in response["output"]
        if item["type"] == "message"
        for part in item["content"]
        if part["type"] == "output_text"
    )


def assert_usage(usage: Any) -> None:
    """R5: every ``ResponseUsage`` field, counts that add up."""
    assert isinstance(usage, dict), usage
    assert set(usage) >= {
        "input_tokens",
        "input_tokens_details",
        "output_tokens",
        "output_tokens_details",
        "total_tokens",
    }, usage
    assert usage["input_tokens_details"] == {"cached_tokens": 0, "cache_write_tokens": 0}
    assert usage["output_tokens_details"] == {"reasoning_tokens": 0}
    for key in ("input_tokens", "output_tokens", "total_tokens"):
        assert isinstance(usage[key], int), usage
        assert not isinstance(usage[key], bool), usage
    assert usage["input_tokens"] > 0
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"]


def assert_item(item: Any) -> None:
    """R3 (``OutputMessage``) and R4 (``FunctionToolCall``): an output item's required fields."""
    assert isinstance(item, dict), item
    assert item["status"] in ("in_progress", "completed", "incomplete"), item
    if item["type"] == "message":
        assert set(item) == {"id", "type", "role", "status", "content"}, item
        assert item["id"].startswith("msg_")
        assert item["role"] == "assistant"
        for part in item["content"]:
            if part["type"] == "output_text":
                assert set(part) == {"type", "text", "annotations", "logprobs"}, part
                assert isinstance(part["text"], str)
                assert part["annotations"] == []
                assert part["logprobs"] == []
            else:
                assert part == {"type": "refusal", "refusal": part["refusal"]}, part
                assert isinstance(part["refusal"], str)
    else:
        assert item["type"] == "function_call", item
        assert set(item) == {"id", "type", "status", "call_id", "name", "arguments"}, item
        assert item["id"].startswith("fc_")
        assert isinstance(item["call_id"], str)
        assert item["call_id"]
        assert isinstance(item["name"], str)
        assert isinstance(item["arguments"], str)


def assert_response(response: Any, *, status: str = "completed") -> dict[str, Any]:
    """R1-R5: a complete ``Response`` with ``status``, its items and its usage."""
    assert isinstance(response, dict), response
    missing = RESPONSE_REQUIRED - set(response)
    assert not missing, f"Response lacks required {sorted(missing)}"
    assert response["object"] == "response"
    assert response["id"].startswith("resp_")
    assert isinstance(response["created_at"], int | float)
    assert response["status"] == status
    assert response["error"] is None
    assert isinstance(response["tools"], list)
    assert isinstance(response["parallel_tool_calls"], bool)
    assert isinstance(response["metadata"], dict)
    assert isinstance(response["output"], list)
    if status in ("in_progress", "queued"):
        assert response["usage"] is None
        return response
    assert response["output"], "a finished response has output items (RS6)"
    for item in response["output"]:
        assert_item(item)
    if status == "incomplete":
        assert response["incomplete_details"] in (
            {"reason": "max_output_tokens"},
            {"reason": "content_filter"},
        )
    else:
        assert response["incomplete_details"] is None
    assert_usage(response["usage"])
    return response


def assert_lifecycle(frames: list[Frame]) -> dict[str, Any]:
    """RS1-RS9 on a whole stream; returns the terminal event's ``Response``.

    Replays the events as the official client's state machine does: items are added before
    their content, deltas build the text and arguments, each done event carries the whole
    value, and the terminal ``Response`` holds exactly the done items.
    """
    assert frames, "empty stream"
    for frame in frames:
        assert frame.name == frame.data["type"], frame  # RS1
    numbers = [frame.data["sequence_number"] for frame in frames]
    assert numbers == list(range(len(frames))), numbers  # RS2
    events = [frame.data for frame in frames]
    assert [e["type"] for e in events[:2]] == ["response.created", "response.in_progress"]  # RS3
    response_id = events[0]["response"]["id"]
    for event in events[:2]:
        assert_response(event["response"], status="in_progress")
        assert event["response"]["output"] == []
    terminal = events[-1]
    assert terminal["type"] in TERMINAL, terminal["type"]
    assert [e["type"] for e in events].count(terminal["type"]) == 1
    for event in events:
        if event["type"].startswith("response.") and "response" in event:
            assert event["response"]["id"] == response_id  # same id throughout

    items: dict[int, dict[str, Any]] = {}
    done: dict[int, dict[str, Any]] = {}
    texts: dict[tuple[int, int], str] = {}
    for event in events[2:-1]:
        kind = event["type"]
        index = event.get("output_index")
        if kind == "response.output_item.added":
            assert index == len(items), event  # RS9: indexes count up
            assert event["item"]["status"] == "in_progress"
            if event["item"]["type"] == "message":
                assert event["item"]["content"] == []
            else:
                assert event["item"]["arguments"] == ""
            items[index] = copy.deepcopy(event["item"])
            continue
        assert index in items, f"{kind} before its output_item.added (RS4)"
        item = items[index]
        assert index not in done, f"{kind} after output_item.done"
        if "item_id" in event:
            assert event["item_id"] == item["id"], event  # RS9
        if kind == "response.content_part.added":
            assert event["content_index"] == len(item["content"])
            item["content"].append(dict(event["part"]))
            texts[index, event["content_index"]] = ""
        elif kind in ("response.output_text.delta", "response.refusal.delta"):
            assert (index, event["content_index"]) in texts, "delta before content_part.added"
            texts[index, event["content_index"]] += event["delta"]
        elif kind == "response.output_text.done":
            text = texts[index, event["content_index"]]
            assert event["text"] == text  # the done event carries the full text
            item["content"][event["content_index"]]["text"] = text
        elif kind == "response.refusal.done":
            text = texts[index, event["content_index"]]
            assert event["refusal"] == text
            item["content"][event["content_index"]]["refusal"] = text
        elif kind == "response.content_part.done":
            assert event["part"] == item["content"][event["content_index"]]
        elif kind == "response.function_call_arguments.delta":
            item["arguments"] += event["delta"]
        elif kind == "response.function_call_arguments.done":
            assert event["arguments"] == item["arguments"]  # the full arguments (RS5)
            assert event["name"] == item["name"]
        elif kind == "response.output_item.done":
            finished = event["item"]
            assert {k: v for k, v in finished.items() if k != "status"} == {
                k: v for k, v in item.items() if k != "status"
            }
            assert finished["status"] in ("completed", "incomplete")
            done[index] = finished
        else:
            raise AssertionError(f"unexpected event {kind}")
    assert sorted(done) == sorted(items), "items added but never done"
    final: dict[str, Any] = terminal["response"]
    assert final["output"] == [done[i] for i in sorted(done)]  # RS6
    status = terminal["type"].removeprefix("response.")
    return assert_response(final, status=status)


def without_ids(value: Any) -> Any:
    """``value`` without the ids and ``created_at``, which differ from call to call."""
    if isinstance(value, dict):
        return {
            k: without_ids(v)
            for k, v in value.items()
            if k not in ("id", "call_id", "created_at", "item_id")
        }
    if isinstance(value, list):
        return [without_ids(v) for v in value]
    return value
