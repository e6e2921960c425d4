"""``/_mockgpt/journal``: structured entries, filters, delete, near misses."""

from __future__ import annotations

import httpx
import openai
import pytest

from mockgpt import ServerConfig
from mockgpt.server import MockServer
from tests.admin.conftest import SHARED, TEST_HEADER, Client, journal, say, user

ENTRY_KEYS = {
    "id",
    "seq",
    "test_id",
    "method",
    "path",
    "endpoint",
    "model",
    "status",
    "stub",
    "unmatched",
    "started",
    "duration_ms",
    "stream",
    "complete",
    "disconnected",
    "truncated",
    "request",
    "response",
    "misses",
}


def test_journal_entry_has_parsed_request_and_response(admin: httpx.Client, client: Client) -> None:
    reply = client("t1").chat.completions.create(model="gpt-4o-mini", messages=user("hello"))

    [entry] = journal(admin)

    assert set(entry) >= ENTRY_KEYS
    assert entry["id"] == reply._request_id
    assert isinstance(entry["seq"], int)
    assert (entry["test_id"], entry["method"], entry["path"]) == (
        "t1",
        "POST",
        "/v1/chat/completions",
    )
    assert (entry["endpoint"], entry["model"], entry["status"]) == (
        "chat.completions",
        "gpt-4o-mini",
        200,
    )
    assert (entry["stub"], entry["unmatched"], entry["stream"]) == ("greet", False, False)
    assert entry["complete"] is True
    assert entry["disconnected"] is False
    assert entry["request"]["body"] == {"model": "gpt-4o-mini", "messages": user("hello")}
    assert entry["request"]["headers"][TEST_HEADER.lower()] == "t1"
    assert entry["request"]["headers"]["authorization"] == "Bearer ***"
    assert entry["response"]["body"]["choices"][0]["message"]["content"] == "shared hi"
    assert entry["response"]["body"]["id"] == reply.id
    assert entry["misses"] == {}


def test_journal_stream_entry_lists_events_with_send_times(
    admin: httpx.Client, client: Client
) -> None:
    assert admin.post(
        "/stubs",
        json={
            "match": {"last_user": "slow"},
            "respond": {"content": "a b c"},
            "pacing": {"ttft_ms": 30, "tokens_per_second": 100},
        },
    )
    chunks = list(
        client().chat.completions.create(model="gpt-4o-mini", messages=user("slow"), stream=True)
    )

    [entry] = journal(admin)

    events = entry["response"]["events"]
    assert entry["stream"] is True
    assert [e["data"] for e in events[:-1]] == [
        c.model_dump(mode="json", exclude_unset=True) for c in chunks
    ]
    assert events[-1]["data"] == "[DONE]"
    assert all(e["event"] is None for e in events)
    times = [e["t_ms"] for e in events]
    assert times == sorted(times)
    assert times[0] >= 30  # the first token waited for its ttft
    assert times[-1] <= entry["duration_ms"]


def test_journal_responses_stream_names_its_events(admin: httpx.Client, client: Client) -> None:
    with client().responses.stream(model="gpt-4o-mini", input="hello") as stream:
        sent = [event.type for event in stream]

    [entry] = journal(admin)

    assert [e["event"] for e in entry["response"]["events"]] == sent
    assert [e["data"]["type"] for e in entry["response"]["events"]] == sent


def test_journal_keeps_its_first_fields(admin: httpx.Client, client: Client) -> None:
    """``request_id``, ``headers``, ``body`` and ``response_body`` as text, ``fallback``."""
    reply = client().chat.completions.create(model="gpt-4o-mini", messages=user("nothing"))

    [entry] = journal(admin)

    assert entry["request_id"] == reply._request_id
    assert '"nothing"' in entry["body"]
    assert reply.id in entry["response_body"]
    assert entry["headers"] == entry["request"]["headers"]
    assert entry["fallback"] is entry["unmatched"] is True


@pytest.fixture
def traffic(client: Client, mock: MockServer) -> None:
    """Five requests: two of test id ``a``, three shared, across families and models."""
    say(client("a"), "hello")
    client("a").embeddings.create(model="text-embedding-3-small", input="x")
    say(client(), "count")
    client().chat.completions.create(model="gpt-4o", messages=user("unmatched"))
    client().models.list()
    mock.wait_journalled()


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, ["hello", "x", "count", "unmatched", None]),
        ({"path": "/v1/embeddings"}, ["x"]),
        ({"endpoint": "chat.completions"}, ["hello", "count", "unmatched"]),
        ({"endpoint": "models"}, [None]),
        ({"model": "gpt-4o"}, ["unmatched"]),
        ({"stub": "count"}, ["count"]),
        ({"unmatched": "true"}, ["x", "unmatched"]),
        ({"unmatched": "false", "endpoint": "chat.completions"}, ["hello", "count"]),
        ({"since": 2}, ["unmatched", None]),
        ({"limit": 2}, ["unmatched", None]),
        ({"limit": 0}, []),
        ({"endpoint": "chat.completions", "limit": 1}, ["unmatched"]),
    ],
    ids=[
        "all",
        "path",
        "endpoint",
        "models",
        "model",
        "stub",
        "unmatched",
        "matched",
        "since",
        "limit",
        "limit-0",
        "endpoint-limit",
    ],
)
@pytest.mark.usefixtures("traffic")
def test_journal_filters(
    admin: httpx.Client, params: dict[str, object], expected: list[str | None]
) -> None:
    if "since" in params:  # entries are numbered over the server's life: since the 3rd
        params = {"since": journal(admin)[int(str(params["since"]))]["seq"]}
    entries = journal(admin, **params)

    assert [_said(e) for e in entries] == expected


def _said(entry: dict) -> str | None:
    body = entry["request"]["body"]
    if body is None:
        return None
    if "input" in body:
        return str(body["input"])
    return str(body["messages"][-1]["content"])


@pytest.mark.usefixtures("traffic")
def test_journal_with_a_test_id_lists_its_entries_only(admin: httpx.Client) -> None:
    entries = journal(admin, "a")

    assert [_said(e) for e in entries] == ["hello", "x"]
    assert {e["test_id"] for e in journal(admin)} == {"a", None}


@pytest.mark.parametrize(
    "params",
    [{"limit": -1}, {"limit": "many"}, {"since": "x"}, {"unmatched": "maybe"}],
    ids=["negative-limit", "limit", "since", "unmatched"],
)
def test_journal_refuses_a_bad_filter(admin: httpx.Client, params: dict[str, object]) -> None:
    answer = admin.get("/journal", params=params)

    assert answer.status_code == 400
    assert answer.json()["error"]["param"] == next(iter(params))


@pytest.mark.usefixtures("traffic")
def test_journal_delete_with_a_test_id_then_all(admin: httpx.Client) -> None:
    first = admin.delete("/journal", headers={TEST_HEADER: "a"})

    assert first.json() == {"deleted": 2}
    assert [_said(e) for e in journal(admin)] == ["count", "unmatched", None]
    assert admin.delete("/journal").json() == {"deleted": 3}
    assert journal(admin) == []


def test_near_miss_lists_every_stub_with_its_failed_conditions(
    admin: httpx.Client, client: Client
) -> None:
    assert (
        admin.post(
            "/stubs",
            json={
                "id": "close",
                "match": {"model": "gpt-4o-mini", "last_user": "weather", "stream": True},
                "respond": {"content": "x"},
            },
        ).status_code
        == 201
    )
    reply = client().chat.completions.create(model="gpt-4o-mini", messages=user("rain?"))

    answer = admin.get(f"/journal/{reply._request_id}/near-miss")

    assert answer.status_code == 200
    report = answer.json()
    assert (report["id"], report["unmatched"]) == (reply._request_id, True)
    assert [s["id"] for s in report["stubs"]] == ["close", "greet", "count", "shared.stubs[2]"]
    assert report["stubs"][0] == {
        "id": "close",
        "held": 1,
        "total": 3,
        "failed": [
            "last_user.contains: expected 'weather', got 'rain?'",
            "stream: expected True, got False",
        ],
    }
    assert report["stubs"][1]["failed"] == ["last_user.contains: expected 'hello', got 'rain?'"]


def test_near_miss_of_an_unknown_entry_or_another_test_id_is_a_404(
    admin: httpx.Client, client: Client
) -> None:
    reply = client("a").chat.completions.create(model="gpt-4o-mini", messages=user("hello"))

    unknown = admin.get("/journal/req_nope/near-miss")
    other = admin.get(f"/journal/{reply._request_id}/near-miss", headers={TEST_HEADER: "b"})
    own = admin.get(f"/journal/{reply._request_id}/near-miss", headers={TEST_HEADER: "a"})

    assert (unknown.status_code, other.status_code, own.status_code) == (404, 404, 200)
    assert unknown.json()["error"]["code"] == "entry_not_found"
    assert own.json()["unmatched"] is False


def test_near_miss_of_a_truncated_body_gives_the_reasons_recorded() -> None:
    with MockServer(ServerConfig(port=0, journal_body_bytes=40), scenarios=[SHARED]) as small:
        client = openai.OpenAI(base_url=small.base_url, api_key="x", max_retries=0)
        reply = client.chat.completions.create(model="gpt-4o-mini", messages=user("rain?"))
        answer = httpx.get(f"{small.url}/_mockgpt/journal/{reply._request_id}/near-miss")
        client.close()

    report = answer.json()
    assert report["unmatched"] is True
    assert report["stubs"][0] == {
        "id": "greet",
        "held": None,
        "total": None,
        "failed": ["last_user.contains: expected 'hello', got 'rain?'"],
    }
