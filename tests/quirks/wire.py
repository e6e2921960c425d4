"""The raw bytes of one matrix request, rendered as data the quirk tests compare.

An answer is a ``Rendered`` dict: ``status``, ``content_type``, two headers, whether
``x-request-id`` and ``content-length`` are sent, and either
``body`` (JSON) or ``events`` (the data of each SSE event) with ``terminated`` (whether the
body ends with a blank line). A Responses API stream also has ``event_names``: each event's
``event:`` line, or None where it has none.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator, Mapping
from types import MappingProxyType
from typing import Any

import httpx

Rendered = dict[str, Any]
Ask = Callable[[str], Rendered]
"""The plain answer (normalised) to the request with a variant applied, by variant name."""

CHAT, LEGACY, EMBEDDINGS = "/v1/chat/completions", "/v1/completions", "/v1/embeddings"
RESPONSES = "/v1/responses"
GET, NO_KEY, BATCH = "GET ", "NO-KEY ", "BATCH "
"""Prefixes of a request's path: a GET (the body is not sent), a POST without API key, a
batch of two lines with this body (rendered as its output lines' custom ids, statuses and
the batch's ``request_counts``)."""


def api_of(path: str) -> str:
    """The endpoint a matrix path names, without its prefix and id: ``/v1/responses``."""
    path = path.removeprefix(GET).removeprefix(NO_KEY)
    return RESPONSES if path.startswith(RESPONSES) else path


def parse_event_stream(raw: bytes) -> tuple[list[str | None], list[Any], bool]:
    r"""Each event's name and data, and whether the body ends with a blank line.

    Every event must be an optional ``event: <name>`` line and one ``data: <one line>``,
    followed by a blank line (the last one may lack the blank line).
    """
    terminated = raw.endswith(b"\n\n")
    parts = raw.split(b"\n\n")
    if terminated:
        assert parts.pop() == b""
    else:
        parts[-1] = parts[-1].removesuffix(b"\n")
    names: list[str | None] = []
    events: list[Any] = []
    for part in parts:
        lines = part.split(b"\n")
        name = None
        if lines[0].startswith(b"event: "):
            name = lines.pop(0)[len(b"event: ") :].decode()
        if not lines and name == "ping":
            names.append(None)
            events.append("ping")
            continue
        assert len(lines) == 1, part[:80]
        assert lines[0].startswith(b"data: "), part[:80]
        payload = lines[0][len(b"data: ") :]
        names.append(name)
        events.append("[DONE]" if payload == b"[DONE]" else json.loads(payload))
    return names, events, terminated


def parse_sse(raw: bytes) -> tuple[list[Any], bool]:
    r"""The data of each event of a chat or legacy stream, and whether it ends with a blank line.

    Every event must be exactly ``data: <one line>`` followed by a blank line (the last one
    may lack the blank line: that is what ``no-trailing-blank-line`` is about); the one
    exception is the bare ``event: ping`` of ``ping-event``, returned as ``"ping"``.
    """
    names, events, terminated = parse_event_stream(raw)
    assert names == [None] * len(names), names
    return events, terminated


def _store_one(http: httpx.Client, body: dict[str, Any]) -> str:
    response = http.post(RESPONSES, json=body)
    assert response.status_code == 200, response.text
    return str(response.json()["id"])


def render(
    http: httpx.Client,
    path: str,
    body: dict[str, Any],
    stored: Mapping[str, dict[str, Any]] = MappingProxyType({}),
) -> Rendered:
    """Send one matrix request and render its answer.

    ``stored`` maps placeholders to request bodies: a placeholder in ``path`` or as a value
    of ``body`` is replaced by the id of a response created with its body just before.
    """
    for placeholder, stored_body in stored.items():
        if placeholder in path or placeholder in body.values():
            stored_id = _store_one(http, stored_body)
            path = path.replace(placeholder, stored_id)
            body = {k: stored_id if v == placeholder else v for k, v in body.items()}
    if path.startswith(BATCH):
        return _render_batch(http, path.removeprefix(BATCH), body)
    if path.startswith(GET):
        response = http.get(path.removeprefix(GET))
    elif path.startswith(NO_KEY):
        response = http.post(path.removeprefix(NO_KEY), json=body, headers={"authorization": ""})
    else:
        response = http.post(path, json=body)
    out: Rendered = {
        "status": response.status_code,
        "content_type": response.headers["content-type"],
        "retry_after": response.headers.get("retry-after"),
        "ratelimit": response.headers.get("x-ratelimit-limit-requests"),
        "request_id": "x-request-id" in response.headers,
        "content_length": "content-length" in response.headers,
    }
    streamed = out["content_type"].startswith(("text/event-stream", "application/x-ndjson"))
    if streamed and api_of(path) == RESPONSES:
        out["event_names"], out["events"], out["terminated"] = parse_event_stream(response.content)
    elif streamed:
        out["events"], out["terminated"] = parse_sse(response.content)
    else:
        out["body"] = response.json()
    return out


def _render_batch(http: httpx.Client, endpoint: str, body: dict[str, Any]) -> Rendered:
    """Run a batch of two lines with ``body`` and render its output and error files."""
    lines = [
        {"custom_id": f"line-{i}", "method": "POST", "url": endpoint, "body": body} for i in (1, 2)
    ]
    content = "\n".join(json.dumps(line) for line in lines).encode()
    source = http.post(
        "/v1/files", files={"file": ("in.jsonl", content)}, data={"purpose": "batch"}
    )
    created = http.post(
        "/v1/batches",
        json={
            "input_file_id": source.json()["id"],
            "endpoint": endpoint,
            "completion_window": "24h",
        },
    )
    response = http.get(f"/v1/batches/{created.json()['id']}")
    batch = response.json()
    output = []
    for key in ("output_file_id", "error_file_id"):
        if batch[key] is not None:
            content = http.get(f"/v1/files/{batch[key]}/content").content
            output += [json.loads(line) for line in content.splitlines()]
    output.sort(key=lambda line: str(line["custom_id"]))
    return {
        "status": response.status_code,
        "content_type": response.headers["content-type"],
        "retry_after": response.headers.get("retry-after"),
        "ratelimit": response.headers.get("x-ratelimit-limit-requests"),
        "request_id": "x-request-id" in response.headers,
        "content_length": "content-length" in response.headers,
        "body": {
            "custom_ids": [line["custom_id"] for line in output],
            "statuses": [line["response"]["status_code"] for line in output],
            "request_counts": batch["request_counts"],
        },
    }


def error(status: int, message: str, type_: str, param: str | None, code: str | None) -> Rendered:
    """An error envelope as rendered."""
    envelope = {"message": message, "type": type_, "param": param, "code": code}
    return {
        "status": status,
        "content_type": "application/json",
        "retry_after": None,
        "ratelimit": None,
        "request_id": True,
        "content_length": True,
        "body": {"error": envelope},
    }


def objects(rendered: Rendered) -> list[dict[str, Any]]:
    """The JSON objects of an answer: each chunk or event of a stream, or the one body."""
    if "events" in rendered:
        return [e for e in rendered["events"] if isinstance(e, dict)]
    return [rendered["body"]]


def responses_of(rendered: Rendered) -> Iterator[dict[str, Any]]:
    """The ``Response`` objects of an answer: the body, or each lifecycle event's."""
    for obj in objects(rendered):
        if obj.get("object") == "response":
            yield obj
        elif isinstance(obj.get("response"), dict):
            yield obj["response"]


def output_items(rendered: Rendered) -> Iterator[dict[str, Any]]:
    """Every output item of a Responses answer: in each ``Response`` and each event's ``item``."""
    for response in responses_of(rendered):
        yield from response.get("output") or ()
    for obj in objects(rendered):
        if isinstance(obj.get("item"), dict):
            yield obj["item"]


_ITEM_PREFIXES = {"msg_": "msg", "fc_": "fc", "call_": "call", "rs_": "rs"}


def _normalise_responses(value: Any, seen: dict[str, str]) -> None:
    """Responses ids and times replaced in place: ``resp_`` ids by ``<id>``, item and call ids
    by ``<msg-N>`` / ``<fc-N>`` / ``<call-N>`` numbered by first appearance (so events that
    name the same item still do), ``created_at`` by ``<created>``.
    """
    if isinstance(value, list):
        for item in value:
            _normalise_responses(item, seen)
        return
    if not isinstance(value, dict):
        return
    for key, item in value.items():
        if key == "created_at" and isinstance(item, int | float):
            value[key] = "<created>"
        elif key == "previous_response_id" and isinstance(item, str):
            value[key] = "<previous-id>"
        elif key == "id" and isinstance(item, str) and item.startswith("resp_"):
            value[key] = "<id>"
        elif key in ("id", "item_id", "call_id") and isinstance(item, str):
            kind = next((k for p, k in _ITEM_PREFIXES.items() if item.startswith(p)), None)
            if kind is not None:
                value[key] = seen.setdefault(item, f"<{kind}-{len(seen)}>")
        else:
            _normalise_responses(item, seen)


def normalise(rendered: Rendered) -> Rendered:
    """Ids, ``created`` and tool call ids replaced by placeholders (a copy)."""
    out = copy.deepcopy(rendered)
    for obj in objects(out):
        if "id" in obj:
            obj["id"] = "<id>"
        if "created" in obj:
            obj["created"] = "<created>"
        for choice in obj.get("choices") or ():
            for holder in (choice.get("message"), choice.get("delta")):
                for call in (holder or {}).get("tool_calls") or ():
                    if "id" in call:
                        call["id"] = "<call-id>"
    seen: dict[str, str] = {}
    for obj in objects(out):
        _normalise_responses(obj, seen)
    return out
