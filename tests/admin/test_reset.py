"""``POST /_mockgpt/reset``: everything, or only the journal, sequences, stored objects,
chaos state or stubs; with the test id header, that test id's only."""

from __future__ import annotations

import httpx
import openai
import pytest

from tests.admin.conftest import TEST_HEADER, Client, journal, say

CHAOS = {
    "name": "chaos",
    "chaos": {"rate": 0.5, "seed": 3, "faults": [{"http_error": {"status": 503}}]},
    "stubs": [{"id": "flaky", "match": {"last_user": "flaky"}, "respond": {"content": "ok"}}],
}


def reset(admin: httpx.Client, what: str | None = None, test_id: str | None = None) -> list[str]:
    answer = admin.post(
        "/reset",
        params={"what": what} if what else {},
        headers={TEST_HEADER: test_id} if test_id else {},
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "reset"
    parts: list[str] = answer.json()["what"]
    return parts


def add(admin: httpx.Client, stub: dict, test_id: str | None = None) -> None:
    headers = {TEST_HEADER: test_id} if test_id else {}
    assert admin.post("/stubs", json=stub, headers=headers).status_code == 201


PING = {"id": "ping", "match": {"last_user": "ping"}, "respond": {"content": "pong"}}


def test_reset_everything(admin: httpx.Client, client: Client) -> None:
    add(admin, PING)
    assert [say(client(), "count"), say(client(), "ping")] == ["one", "pong"]
    stored = client().responses.create(model="gpt-4o-mini", input="keep me")

    assert reset(admin) == ["journal", "sequences", "stored", "chaos", "stubs"]

    assert journal(admin) == []
    with pytest.raises(openai.NotFoundError):
        client().responses.retrieve(stored.id)
    assert [say(client(), "count"), say(client(), "ping")] == ["one", "ping"]


def test_reset_journal_only(admin: httpx.Client, client: Client) -> None:
    add(admin, PING)
    assert say(client(), "count") == "one"

    assert reset(admin, "journal") == ["journal"]

    assert journal(admin) == []
    assert [say(client(), "count"), say(client(), "ping")] == ["two", "pong"]


def test_reset_sequences_only(admin: httpx.Client, client: Client) -> None:
    add(admin, PING)
    assert [say(client(), "count"), say(client(), "count")] == ["one", "two"]

    assert reset(admin, "sequences") == ["sequences"]

    assert [say(client(), "count"), say(client(), "ping")] == ["one", "pong"]
    assert len(journal(admin)) == 4


def test_reset_stubs_only(admin: httpx.Client, client: Client) -> None:
    add(admin, PING)
    assert say(client(), "count") == "one"

    assert reset(admin, "stubs") == ["stubs"]

    assert [say(client(), "count"), say(client(), "ping")] == ["two", "ping"]


def test_reset_stored_only(admin: httpx.Client, client: Client) -> None:
    stored = client().responses.create(model="gpt-4o-mini", input="keep me")
    assert client().responses.retrieve(stored.id).id == stored.id
    assert say(client(), "count") == "one"

    assert reset(admin, "stored") == ["stored"]

    with pytest.raises(openai.NotFoundError):
        client().responses.retrieve(stored.id)
    assert say(client(), "count") == "two"


def _outcomes(client: openai.OpenAI, count: int) -> list[str]:
    out = []
    for _ in range(count):
        try:
            out.append(str(say(client, "flaky")))
        except openai.InternalServerError:
            out.append("503")
    return out


def test_reset_chaos_only_replays_its_faults(admin: httpx.Client, client: Client) -> None:
    assert admin.post("/scenario", json=CHAOS).status_code == 201
    first = _outcomes(client(), 8)
    second = _outcomes(client(), 8)
    assert {"ok", "503"} <= set(first)
    assert first != second

    assert reset(admin, "chaos") == ["chaos"]

    assert _outcomes(client(), 8) == first


def test_reset_parts_comma_separated_or_repeated(admin: httpx.Client) -> None:
    answer = admin.post("/reset", params=[("what", "stubs,journal"), ("what", "chaos")])

    assert answer.status_code == 200
    assert answer.json() == {"status": "reset", "what": ["journal", "chaos", "stubs"]}


@pytest.mark.parametrize(
    ("what", "test_id"),
    [("journal,everything", None), ("stored", "t1")],
    ids=["unknown-part", "stored-per-test-id"],
)
def test_reset_refuses_what_it_cannot_reset(
    admin: httpx.Client, client: Client, what: str, test_id: str | None
) -> None:
    assert say(client(), "count") == "one"

    answer = admin.post(
        "/reset", params={"what": what}, headers={TEST_HEADER: test_id} if test_id else {}
    )

    assert answer.status_code == 400
    assert answer.json()["error"]["param"] == "what"
    assert len(journal(admin)) == 1  # nothing was reset


def test_reset_with_a_test_id_resets_that_test_id_only(admin: httpx.Client, client: Client) -> None:
    for test_id in ("a", "b"):
        add(admin, PING, test_id)
        assert say(client(test_id), "count") == "one"
    assert say(client(), "count") == "one"

    assert reset(admin, test_id="a") == ["journal", "sequences", "chaos", "stubs"]

    assert journal(admin, "a") == []
    assert len(journal(admin, "b")) == 1
    assert [say(client("a"), "count"), say(client("a"), "ping")] == ["one", "ping"]
    assert [say(client("b"), "count"), say(client("b"), "ping")] == ["two", "pong"]
    assert say(client(), "count") == "two"
