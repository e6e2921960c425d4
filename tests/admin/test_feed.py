"""``GET /_mockgpt/journal/stream``: the journal live, as server-sent events."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx

from mockgpt.server import MockServer
from tests.admin.conftest import TEST_HEADER, Client, say


def events(response: httpx.Response) -> Iterator[dict[str, str]]:
    """The SSE events of ``response`` as they arrive: ``{"event", "data", "id"}``."""
    fields: dict[str, str] = {}
    for line in response.iter_lines():
        if not line:
            if "data" in fields:
                yield fields
            fields = {}
        elif not line.startswith(":"):
            name, _, value = line.partition(": ")
            fields[name] = value


def test_feed_sends_an_entry_after_a_request(admin: httpx.Client, client: Client) -> None:
    with admin.stream("GET", "/journal/stream") as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        reply = client().chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "hello"}]
        )
        event = next(events(response))

    entry = json.loads(event["data"])
    assert event["event"] == "entry"
    assert entry["id"] == reply._request_id
    assert event["id"] == str(entry["seq"])
    assert (entry["stub"], entry["complete"], entry["status"]) == ("greet", True, 200)
    assert entry["response"]["body"]["id"] == reply.id


def test_feed_sends_the_last_entries_first_with_limit(admin: httpx.Client, client: Client) -> None:
    for text in ("one", "two", "three"):
        say(client(), text)

    with admin.stream("GET", "/journal/stream", params={"limit": 2}) as response:
        feed = events(response)
        backlog = [json.loads(next(feed)["data"]) for _ in range(2)]
        say(client(), "four")
        live = json.loads(next(feed)["data"])

    said = [e["request"]["body"]["messages"][0]["content"] for e in [*backlog, live]]
    assert said == ["two", "three", "four"]


def test_feed_with_a_test_id_sends_its_entries_only(admin: httpx.Client, client: Client) -> None:
    with admin.stream("GET", "/journal/stream", headers={TEST_HEADER: "a"}) as response:
        say(client("b"), "from b")
        say(client(), "shared")
        say(client("a"), "from a")
        entry = json.loads(next(events(response))["data"])

    assert (entry["test_id"], entry["request"]["body"]["messages"][0]["content"]) == (
        "a",
        "from a",
    )


def test_feed_filters_as_the_journal_does(admin: httpx.Client, client: Client) -> None:
    with admin.stream("GET", "/journal/stream", params={"unmatched": "true"}) as response:
        say(client(), "hello")  # the greet stub answers
        say(client(), "no stub for this")
        entry = json.loads(next(events(response))["data"])

    assert (entry["unmatched"], entry["stub"]) == (True, None)


def test_feed_resumes_after_last_event_id(admin: httpx.Client, client: Client) -> None:
    with admin.stream("GET", "/journal/stream") as response:
        say(client(), "first")
        seen = next(events(response))["id"]
    say(client(), "missed")

    with admin.stream("GET", "/journal/stream", headers={"last-event-id": seen}) as response:
        entry = json.loads(next(events(response))["data"])

    assert entry["request"]["body"]["messages"][0]["content"] == "missed"


def test_feed_does_not_hold_up_a_wait_for_idle(admin: httpx.Client, mock: MockServer) -> None:
    """The plugin waits for the API to be idle before each test; a feed reader is not API."""
    with admin.stream("GET", "/journal/stream") as response:
        assert response.status_code == 200

        assert mock.wait_idle(timeout_s=10) is True
