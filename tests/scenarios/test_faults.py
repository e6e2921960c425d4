"""Each fault as the official client sees it: errors, retries, broken streams, and chaos."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import openai
import pytest

from mockgpt import ServerConfig
from mockgpt.scenarios import Scenario
from mockgpt.server import MockServer
from tests.scenarios.helpers import BOTH, USER, Mock, fold

ANSWER = "one two three four five six seven"


def retry_counts(mock: Mock, attempts: int) -> list[str | None]:
    """The ``x-stainless-retry-count`` of each journalled attempt (the client numbers them)."""
    entries = mock.wait_entries(attempts)
    return [e.headers.get("x-stainless-retry-count") for e in entries]


# -- HTTP errors ----------------------------------------------------------------------------


@BOTH
@pytest.mark.parametrize("where", ["respond", "fault"])
def test_fault_429_is_retried_after_retry_after(mock: Mock, kind: str, where: str) -> None:
    error = {
        "status": 429,
        "retry_after": 0.05,
        "ratelimit": {"limit-requests": "60", "remaining-requests": "0", "reset-requests": "1s"},
    }
    if where == "respond":
        mock.add({"id": "limited", "respond": {"error": error}})
    else:
        mock.add({"id": "limited", "respond": {"content": "x"}, "fault": {"http_error": error}})
    client = mock.client(kind, max_retries=2)

    with pytest.raises(openai.RateLimitError) as caught:
        client.chat(model="m", messages=USER)

    e = caught.value
    assert (e.status_code, e.code, e.type) == (429, "rate_limit_exceeded", "requests")
    assert e.message == "Error code: 429 - Rate limit reached. Please try again later."
    headers = e.response.headers
    assert headers["retry-after"] == "0.05"
    assert headers["x-ratelimit-limit-requests"] == "60"
    assert headers["x-ratelimit-remaining-requests"] == "0"
    assert headers["x-ratelimit-reset-requests"] == "1s"
    assert retry_counts(mock, 3) == ["0", "1", "2"]
    assert {(entry.status, entry.stub) for entry in mock.entries()} == {(429, "limited")}


def test_fault_retry_after_ms_is_sent_and_honoured(mock: Mock) -> None:
    mock.add({"respond": {"error": {"status": 503, "retry_after_ms": 50}}})
    client = mock.client(max_retries=2)

    with pytest.raises(openai.InternalServerError) as caught:
        client.chat(model="m", messages=USER)

    assert caught.value.response.headers["retry-after-ms"] == "50"
    assert "retry-after" not in caught.value.response.headers
    assert retry_counts(mock, 3) == ["0", "1", "2"]


@pytest.mark.parametrize(
    ("error", "attempts"),
    [
        ({"status": 503, "retry_after": 0.05, "should_retry": False}, 1),
        ({"status": 400, "retry_after": 0.05, "should_retry": True}, 3),
        ({"status": 400, "retry_after": 0.05}, 1),
        ({"status": 429, "retry_after": 600}, 1),
        ({"status": 500, "retry_after": 0.05}, 3),
    ],
    ids=["should-retry-false", "should-retry-true", "4xx-not-retried", "too-long", "5xx"],
)
def test_fault_client_retries_or_not_as_the_headers_say(
    mock: Mock, error: dict[str, Any], attempts: int
) -> None:
    mock.add({"respond": {"error": error}})
    client = mock.client(max_retries=2)

    with pytest.raises(openai.APIStatusError) as caught:
        client.chat(model="m", messages=USER)

    assert caught.value.status_code == error["status"]
    if "should_retry" in error:
        assert caught.value.response.headers["x-should-retry"] == str(error["should_retry"]).lower()
    assert retry_counts(mock, attempts) == [str(n) for n in range(attempts)]


@pytest.mark.parametrize(
    ("status", "cls", "code", "type_"),
    [
        (400, openai.BadRequestError, None, "invalid_request_error"),
        (401, openai.AuthenticationError, "invalid_api_key", "invalid_request_error"),
        (
            403,
            openai.PermissionDeniedError,
            "unsupported_country_region_territory",
            "invalid_request_error",
        ),
        (404, openai.NotFoundError, "model_not_found", "invalid_request_error"),
        (409, openai.ConflictError, "conflict", "invalid_request_error"),
        (422, openai.UnprocessableEntityError, None, "invalid_request_error"),
        (500, openai.InternalServerError, None, "server_error"),
        (503, openai.InternalServerError, "overloaded", "server_error"),
    ],
)
def test_fault_http_error_status_gives_the_client_error_class(
    mock: Mock, status: int, cls: type[openai.APIStatusError], code: str | None, type_: str
) -> None:
    mock.add({"respond": {"error": {"status": status}}})

    with pytest.raises(cls) as caught:
        mock.client().chat(model="m", messages=USER)

    assert type(caught.value) is cls
    assert (caught.value.status_code, caught.value.code, caught.value.type) == (status, code, type_)
    assert caught.value.response.headers["content-type"] == "application/json"


@BOTH
@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
def test_fault_http_error_fields_and_headers_reach_the_client(
    mock: Mock, kind: str, stream: bool
) -> None:
    mock.add(
        {
            "respond": {
                "error": {
                    "status": 400,
                    "message": "Bad tool schema.",
                    "type": "invalid_request_error",
                    "code": "invalid_tool",
                    "param": "tools[0]",
                    "headers": {"x-custom": "yes"},
                }
            }
        }
    )
    client = mock.client(kind)

    with pytest.raises(openai.BadRequestError) as caught:
        client.create(stream=stream, model="m", messages=USER)

    e = caught.value
    assert e.message == "Error code: 400 - Bad tool schema."
    assert (e.code, e.type, e.param) == ("invalid_tool", "invalid_request_error", "tools[0]")
    assert e.body == {
        "message": "Bad tool schema.",
        "type": "invalid_request_error",
        "param": "tools[0]",
        "code": "invalid_tool",
    }
    assert e.response.headers["x-custom"] == "yes"
    assert e.request_id is not None
    assert e.request_id.startswith("req_")


# -- delays and broken connections ------------------------------------------------------------


@BOTH
def test_fault_delay_ms_still_answers(mock: Mock, kind: str) -> None:
    mock.add({"respond": {"content": "late"}, "fault": {"delay_ms": 20}})
    client = mock.client(kind)

    assert client.chat(model="m", messages=USER).choices[0].message.content == "late"
    assert "".join(fold(client.chat_chunks(model="m", messages=USER))["content"]) == "late"


@BOTH
@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
def test_fault_reset_is_a_connection_error(mock: Mock, kind: str, stream: bool) -> None:
    mock.add({"id": "reset", "respond": {"content": ANSWER}, "fault": {"reset": True}})
    client = mock.client(kind)

    with pytest.raises(openai.APIConnectionError):
        client.create(stream=stream, model="m", messages=USER)

    [entry] = mock.wait_entries(1)
    assert (entry.stub, entry.complete, entry.response_body) == ("reset", False, b"")


@BOTH
def test_fault_drop_after_chunks_breaks_the_stream_after_n_chunks(mock: Mock, kind: str) -> None:
    mock.add({"id": "drop", "respond": {"content": ANSWER}, "fault": {"drop_after_chunks": 3}})
    client = mock.client(kind)

    chunks, error = client.chat_chunks_until_error(model="m", messages=USER)

    assert isinstance(error, openai.APIConnectionError)
    assert len(chunks) == 3
    assert "".join(fold(chunks)["content"]) == "one two"
    [entry] = mock.wait_entries(1)
    assert (entry.stub, entry.complete) == ("drop", False)
    assert entry.response_body.count(b"data: ") == 3
    assert b"[DONE]" not in entry.response_body


def test_fault_drop_after_chunks_cuts_a_json_answer(mock: Mock) -> None:
    mock.add({"respond": {"content": ANSWER}, "fault": {"drop_after_chunks": 3}})

    with pytest.raises(openai.APIConnectionError):
        mock.client().chat(model="m", messages=USER)

    [entry] = mock.wait_entries(1)
    assert entry.complete is False


@BOTH
@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
def test_fault_stall_is_a_client_timeout(mock: Mock, kind: str, stream: bool) -> None:
    mock.add({"id": "stall", "respond": {"content": ANSWER}, "fault": {"stall_after_chunks": 2}})
    client = mock.client(kind, timeout=0.3)

    if stream:
        chunks, error = client.chat_chunks_until_error(model="m", messages=USER)
        assert len(chunks) == 2
    else:
        with pytest.raises(openai.APITimeoutError) as caught:
            client.chat(model="m", messages=USER)
        error = caught.value

    assert isinstance(error, openai.APITimeoutError)
    # the stall ends when the client goes away, not an hour later
    [entry] = mock.wait_entries(1, until=lambda entries: entries[0].disconnected)
    assert (entry.stub, entry.complete) == ("stall", False)


def test_fault_stall_ms_ends_the_stall(mock: Mock) -> None:
    mock.add({"respond": {"content": ANSWER}, "fault": {"stall_after_chunks": 2, "stall_ms": 10}})

    chunks = mock.client(timeout=5).chat_chunks(model="m", messages=USER)

    assert "".join(fold(chunks)["content"]) == ANSWER


@BOTH
def test_fault_error_after_chunks_raises_api_error_mid_stream(mock: Mock, kind: str) -> None:
    mock.add(
        {
            "respond": {"content": ANSWER},
            "fault": {
                "error_after_chunks": 2,
                "error_event": {"status": 500, "message": "The model crashed.", "code": "boom"},
            },
        }
    )
    client = mock.client(kind)

    chunks, error = client.chat_chunks_until_error(model="m", messages=USER)

    assert type(error) is openai.APIError
    assert error.message == "The model crashed."
    assert error.body == {
        "message": "The model crashed.",
        "type": "server_error",
        "param": None,
        "code": "boom",
    }
    assert len(chunks) == 2
    [entry] = mock.wait_entries(1)
    assert entry.status == 200


def test_fault_error_after_chunks_on_a_json_answer_is_an_http_error(mock: Mock) -> None:
    mock.add(
        {
            "respond": {"content": ANSWER},
            "fault": {"error_after_chunks": 2, "error_event": {"status": 502, "message": "gone"}},
        }
    )

    with pytest.raises(openai.InternalServerError) as caught:
        mock.client().chat(model="m", messages=USER)

    assert (caught.value.status_code, caught.value.message) == (502, "Error code: 502 - gone")


@BOTH
@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
def test_fault_malformed_is_a_json_decode_error(mock: Mock, kind: str, stream: bool) -> None:
    mock.add({"respond": {"content": ANSWER}, "fault": {"malformed_after_chunks": 2}})
    client = mock.client(kind)

    if stream:
        chunks, error = client.chat_chunks_until_error(model="m", messages=USER)
        assert len(chunks) == 2
    else:
        with pytest.raises(json.JSONDecodeError) as caught:
            client.chat(model="m", messages=USER)
        error = caught.value

    assert isinstance(error, json.JSONDecodeError)


def test_fault_alone_replaces_the_answer(mock: Mock) -> None:
    mock.add({"id": "only-fault", "fault": {"http_error": {"status": 503}}})

    with pytest.raises(openai.InternalServerError):
        mock.client().chat(model="m", messages=USER)

    assert mock.wait_entries(1)[0].stub == "only-fault"


# -- chaos ----------------------------------------------------------------------------------


CHAOS = {"rate": 0.5, "faults": [{"http_error": {"status": 503}}]}


def pattern(client: openai.OpenAI, count: int = 16) -> str:
    """For ``count`` requests in order: "." answered, "X" faulted."""
    out = ""
    for _ in range(count):
        try:
            client.chat.completions.create(model="m", messages=USER)  # type: ignore[arg-type]
            out += "."
        except openai.InternalServerError:
            out += "X"
    return out


def test_fault_chaos_same_seed_same_faults_across_servers(
    tmp_path: Path, stub_clients: dict[str, Any]
) -> None:
    path = tmp_path / "chaos.yaml"
    path.write_text(
        "name: chaos\n"
        "chaos: {rate: 0.5, seed: 7, faults: [{http_error: {status: 503}}]}\n"
        "stubs:\n  - respond: {content: fine}\n",
        encoding="utf-8",
    )
    unrelated = Scenario.model_validate(
        {"stubs": [{"match": {"model": "other"}, "respond": {"content": "x"}}]}
    )
    other_seed = Scenario.model_validate(
        {"stubs": [{"respond": {"content": "x"}}], "chaos": {**CHAOS, "seed": 8}}
    )

    with MockServer(ServerConfig(port=0, scenarios=(str(path),))) as server:
        client = stub_clients["sync"].with_options(base_url=server.base_url)
        first = pattern(client)
        server.engine.registry.add(unrelated)  # adding stubs does not restart the sequence
        first += pattern(client)
    with MockServer(ServerConfig(port=0, scenarios=(str(path),))) as server:
        client = stub_clients["sync"].with_options(base_url=server.base_url)
        second = pattern(client, 32)
        server.engine.reset()
        server.engine.registry.add(other_seed)
        other = pattern(client, 32)

    assert first == second
    assert "X" in first
    assert "." in first
    assert other != first


def test_fault_chaos_restarts_after_reset(mock: Mock) -> None:
    client = mock.client()
    assert client.sync is not None
    mock.add({"respond": {"content": "fine"}}, chaos={**CHAOS, "seed": 3})
    before = pattern(client.sync, 12)

    mock.server.engine.reset()
    mock.add({"respond": {"content": "fine"}}, chaos={**CHAOS, "seed": 3})

    assert pattern(client.sync, 12) == before
