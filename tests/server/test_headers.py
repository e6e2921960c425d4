"""OpenAI response headers over a real socket: ``x-request-id`` and ``openai-processing-ms``."""

from __future__ import annotations

import httpx
import openai
import pytest

from mockgpt.server import MockServer
from tests.support import USER

CHAT = "/v1/chat/completions"
OK = {"model": "gpt-4o-mini", "messages": USER}

REQUESTS = [
    ("POST", CHAT, OK, 200),
    ("POST", CHAT, {**OK, "stream": True}, 200),
    ("POST", "/v1/completions", {"model": "m", "prompt": "x"}, 200),
    ("POST", "/v1/embeddings", {"model": "m", "input": "x"}, 200),
    ("GET", "/v1/models", None, 200),
    ("GET", "/v1/models/gpt-4o", None, 200),
    ("GET", "/models", None, 200),
    ("POST", CHAT, {"model": "m"}, 400),
    ("GET", "/v1/models/nope", None, 404),
    ("GET", "/v1/nothing-here", None, 404),
    ("GET", CHAT, None, 405),
]
IDS = [
    "chat",
    "chat-stream",
    "completions",
    "embeddings",
    "models",
    "model",
    "models-without-v1",
    "400",
    "404-model",
    "404-path",
    "405",
]


@pytest.mark.parametrize(("method", "path", "body", "status"), REQUESTS, ids=IDS)
def test_headers_on_every_api_response(
    http: httpx.Client, method: str, path: str, body: object, status: int
) -> None:
    response = http.request(method, path, json=body)

    assert response.status_code == status
    assert response.headers["x-request-id"].startswith("req_")
    assert response.headers["openai-processing-ms"].isdigit()


def test_headers_request_ids_are_unique(http: httpx.Client) -> None:
    ids = {http.post(CHAT, json=OK).headers["x-request-id"] for _ in range(5)}

    assert len(ids) == 5


def test_headers_health_has_a_request_id(http: httpx.Client) -> None:
    response = http.get("/health")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response.headers["x-request-id"].startswith("req_")


def test_headers_content_types(http: httpx.Client) -> None:
    plain = http.post(CHAT, json=OK)
    stream = http.post(CHAT, json={**OK, "stream": True})

    assert plain.headers["content-type"] == "application/json"
    assert stream.headers["content-type"].startswith("text/event-stream")


def test_headers_request_id_names_the_journal_entry(http: httpx.Client, server: MockServer) -> None:
    """Once the client has the whole response, the journal already holds its entry."""
    for attempt in range(20):
        body = {**OK, "user": f"journal-check-{attempt}"}
        response = http.post(CHAT, json=body)

        request_id = response.headers["x-request-id"]
        entries = [e for e in server.engine.journal.entries() if e.request_id == request_id]
        assert len(entries) == 1, f"attempt {attempt}: {request_id} is not in the journal yet"
        [entry] = entries
        assert (entry.method, entry.path, entry.status) == ("POST", CHAT, 200)
        assert entry.json == body
        assert entry.response_body == response.content
        assert entry.complete
        assert not entry.disconnected


def test_headers_official_client_sees_the_request_id(client: openai.OpenAI) -> None:
    raw = client.chat.completions.with_raw_response.create(model="gpt-4o-mini", messages=USER)

    completion = raw.parse()
    assert raw.status_code == 200
    assert raw.headers["x-request-id"] == completion._request_id
    assert raw.headers["openai-processing-ms"].isdigit()
    assert raw.headers["content-type"] == "application/json"
