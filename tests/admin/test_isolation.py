"""Per-test isolation by header: each test id sees its own stubs, sequences and journal on
top of the shared scenario, with both test ids sending at once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import anyio
import httpx
import openai
import pytest

from mockgpt import ServerConfig
from mockgpt.scenarios import load_scenario_data, registry
from mockgpt.scenarios.registry import StubRegistry
from mockgpt.server import MockServer
from tests.admin.conftest import SHARED, TEST_HEADER, Client, journal, say, user

ROUNDS = 20


def stub_for(test_id: str) -> dict[str, object]:
    """The same id and match for every test id; an answer naming the test id."""
    return {"id": "answer", "match": {"last_user": "who"}, "respond": {"content": test_id}}


def add(admin: httpx.Client, test_id: str, stub: dict[str, object]) -> None:
    answer = admin.post("/stubs", json=stub, headers={TEST_HEADER: test_id})
    assert answer.status_code == 201, answer.text


def test_isolation_threads_each_test_id_gets_its_own_answers(
    admin: httpx.Client, client: Client
) -> None:
    for test_id in ("a", "b"):
        add(admin, test_id, stub_for(test_id))
    clients = {"a": client("a"), "b": client("b"), None: client()}

    def ask(test_id: str | None) -> tuple[str | None, str | None]:
        return test_id, say(clients[test_id], "who")

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(ask, ["a", "b", None] * ROUNDS))

    assert answers == [("a", "a"), ("b", "b"), (None, "who")] * ROUNDS
    for test_id in ("a", "b"):
        entries = journal(admin, test_id)
        assert len(entries) == ROUNDS
        assert {(e["test_id"], e["stub"]) for e in entries} == {(test_id, "answer")}
    assert len(journal(admin)) == 3 * ROUNDS
    assert {e["stub"] for e in journal(admin) if e["test_id"] is None} == {None}


def test_isolation_sequences_advance_per_test_id(admin: httpx.Client, client: Client) -> None:
    """The shared ``count`` sequence and a test id's own each count that id's calls only."""
    add(
        admin,
        "a",
        {
            "id": "mine",
            "match": {"last_user": "mine"},
            "sequence": [{"content": "a1"}, {"content": "a2"}],
        },
    )
    clients = {"a": client("a"), "b": client("b")}

    def ask(test_id: str) -> list[str | None]:
        return [say(clients[test_id], "count") for _ in range(3)]

    with ThreadPoolExecutor(max_workers=2) as pool:
        counted = list(pool.map(ask, ["a", "b"]))

    assert counted == [["one", "two", "three"]] * 2
    assert [say(clients["a"], "mine"), say(clients["a"], "mine")] == ["a1", "a2"]
    assert say(clients["b"], "mine") == "mine"  # b never sees a's stub
    assert say(client(), "count") == "one"  # nor does a request without a test id


@pytest.mark.anyio
async def test_isolation_async_clients_at_once(admin: httpx.Client, mock: MockServer) -> None:
    test_ids = [f"worker-{n}" for n in range(4)]
    for test_id in test_ids:
        add(admin, test_id, stub_for(test_id))
    clients = [
        openai.AsyncOpenAI(
            base_url=mock.base_url,
            api_key="x",
            max_retries=0,
            default_headers={TEST_HEADER: test_id},
        )
        for test_id in test_ids
    ]
    answers: dict[tuple[str, int], str | None] = {}

    async def ask(index: int, round_: int) -> None:
        """Odd rounds as one answer, even rounds streamed."""
        chat = clients[index].chat.completions
        if round_ % 2:
            reply = await chat.create(model="gpt-4o-mini", messages=user("who"))
            text = reply.choices[0].message.content
        else:
            stream = await chat.create(model="gpt-4o-mini", messages=user("who"), stream=True)
            text = "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])
        answers[test_ids[index], round_] = text

    async with anyio.create_task_group() as group:
        for round_ in range(5):
            for index in range(len(test_ids)):
                group.start_soon(ask, index, round_)
    for each in clients:
        await each.close()

    assert answers == {(t, r): t for t in test_ids for r in range(5)}
    assert {len(journal(admin, t)) for t in test_ids} == {5}


def test_isolation_admin_calls_act_on_their_test_id(admin: httpx.Client) -> None:
    add(admin, "a", stub_for("a"))
    add(admin, "b", stub_for("b"))

    a_sees = admin.get("/stubs", headers={TEST_HEADER: "a"}).json()["data"]
    deleted = admin.delete("/stubs", headers={TEST_HEADER: "a"}).json()
    shared_change = admin.put(
        "/stubs/greet", json={"respond": {"content": "x"}}, headers={TEST_HEADER: "a"}
    )

    assert [(r["id"], r["test_id"]) for r in a_sees] == [
        ("answer", "a"),
        ("greet", None),
        ("count", None),
        ("shared.stubs[2]", None),
    ]
    assert deleted == {"deleted": ["answer"]}
    assert (
        next(r["id"] for r in admin.get("/stubs", headers={TEST_HEADER: "b"}).json()["data"])
        == "answer"
    )
    assert shared_change.status_code == 409
    assert shared_change.json()["error"]["code"] == "stub_conflict"


def test_isolation_without_the_header_lists_every_test_ids_stubs(admin: httpx.Client) -> None:
    add(admin, "a", stub_for("a"))
    add(admin, "b", stub_for("b"))

    rows = admin.get("/stubs").json()["data"]

    assert [(r["id"], r["test_id"]) for r in rows] == [
        ("greet", None),
        ("count", None),
        ("shared.stubs[2]", None),
        ("answer", "a"),
        ("answer", "b"),
    ]
    missing = admin.delete("/stubs/answer")
    assert missing.status_code == 404
    assert "test id 'a'" in missing.json()["error"]["message"]


def test_isolation_header_name_is_configurable() -> None:
    config = ServerConfig(port=0, test_header="X-Worker")
    with MockServer(config, scenarios=[SHARED]) as server:
        http = httpx.Client(base_url=f"{server.url}/_mockgpt")
        http.post("/stubs", json=stub_for("w1"), headers={"X-Worker": "w1"}).raise_for_status()
        worker = openai.OpenAI(
            base_url=server.base_url, api_key="x", default_headers={"x-worker": "w1"}
        )
        default_header = openai.OpenAI(
            base_url=server.base_url, api_key="x", default_headers={TEST_HEADER: "w1"}
        )

        answers = (say(worker, "who"), say(default_header, "who"))
        entries = http.get("/journal").json()["data"]
        for each in (worker, default_header, http):
            each.close()

    assert answers == ("w1", "who")
    assert [e["test_id"] for e in entries] == ["w1", None]


def test_isolation_engine_scope_for_the_plugin(client: Client, mock: MockServer) -> None:
    """``Engine.scope(test_id)``: what a pytest-xdist worker sharing one server uses."""
    scope = mock.engine.scope("xdist-gw1")
    scope.add(load_scenario_data({"stubs": [stub_for("gw1")]}))
    worker = openai.OpenAI(base_url=mock.base_url, api_key="x", default_headers=scope.headers)

    assert say(worker, "who") == "gw1"
    assert say(client(), "who") == "who"
    assert [s.id for s in scope.stubs()][:2] == ["answer", "greet"]
    assert [s.calls for s in scope.stubs()][:1] == [1]
    assert [e.test_id for e in scope.entries()] == ["xdist-gw1"]
    assert scope.reset() == ["journal", "sequences", "chaos", "stubs"]
    assert say(worker, "who") == "who"
    assert len(mock.engine.journal.entries()) == 2
    worker.close()


def test_isolation_keeps_at_most_max_test_ids(
    monkeypatch: pytest.MonkeyPatch, client: Client, mock: MockServer
) -> None:
    """A server left running for days forgets the oldest test id past ``MAX_TEST_IDS``;
    requests without a test id make none."""
    monkeypatch.setattr(registry, "MAX_TEST_IDS", 3)
    fresh = StubRegistry(mock.scenarios)
    monkeypatch.setattr(mock.engine, "registry", fresh)
    say(client(), "count")
    assert fresh.test_ids() == []

    for test_id in ("t1", "t2", "t3", "t4"):
        assert say(client(test_id), "count") == "one"

    assert fresh.test_ids() == ["t2", "t3", "t4"]
    assert say(client("t1"), "count") == "one"  # forgotten: its sequence starts again
    assert say(client("t4"), "count") == "two"
