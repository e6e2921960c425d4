"""``/_mockgpt/stubs`` and ``/_mockgpt/scenario``: list, add, replace, delete, load."""

from __future__ import annotations

import re

import httpx
import openai
import pytest

from tests.admin.conftest import TEST_HEADER, Client, say


def ids_of(answer: httpx.Response, status: int = 201) -> list[str]:
    assert answer.status_code == status, answer.text
    ids: list[str] = answer.json()["ids"]
    return ids


def listed(admin: httpx.Client, test_id: str | None = None) -> list[dict]:
    headers = {TEST_HEADER: test_id} if test_id else {}
    answer = admin.get("/stubs", headers=headers)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["object"] == "list"
    rows: list[dict] = body["data"]
    return rows


def error_of(answer: httpx.Response, status: int) -> dict:
    assert answer.status_code == status, answer.text
    error: dict = answer.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    return error


def test_stubs_list_the_scenario_in_match_order(admin: httpx.Client) -> None:
    rows = listed(admin)

    assert [r["id"] for r in rows] == ["greet", "count", "shared.stubs[2]"]
    assert rows[0] == {
        "id": "greet",
        "priority": 0,
        "source": "scenario",
        "test_id": None,
        "calls": 0,
        "stub": {
            "id": "greet",
            "match": {"last_user": {"contains": "hello"}},
            "respond": {"content": "shared hi"},
        },
    }


def test_stubs_add_one_answers_its_generated_id_and_the_stub_answers(
    admin: httpx.Client, client: Client
) -> None:
    [stub_id] = ids_of(
        admin.post("/stubs", json={"match": {"last_user": "ping"}, "respond": {"content": "pong"}})
    )

    assert re.fullmatch(r"stub_[0-9a-f]{12}", stub_id)
    assert say(client(), "ping") == "pong"
    row = listed(admin)[0]
    assert (row["id"], row["source"], row["calls"]) == (stub_id, "runtime", 1)
    assert row["stub"]["id"] == stub_id


def test_stubs_add_many_as_a_list_or_with_a_priority(admin: httpx.Client) -> None:
    listed_ids = ids_of(
        admin.post(
            "/stubs",
            json=[
                {"id": "a", "respond": {"content": "a"}},
                {"id": "b", "respond": {"content": "b"}},
            ],
        )
    )
    wrapped = ids_of(
        admin.post(
            "/stubs", json={"stubs": [{"id": "c", "respond": {"content": "c"}}], "priority": 3}
        )
    )

    assert (listed_ids, wrapped) == (["a", "b"], ["c"])
    rows = listed(admin)
    assert [(r["id"], r["priority"]) for r in rows][:3] == [("c", 3), ("a", 0), ("b", 0)]


def test_stubs_priority_orders_matching(admin: httpx.Client, client: Client) -> None:
    """Higher priority first; runtime before scenario at equal priority; negative after."""
    hello = {"last_user": "hello"}
    ids_of(
        admin.post(
            "/stubs",
            json={
                "stubs": [{"id": "low", "match": hello, "respond": {"content": "low"}}],
                "priority": -1,
            },
        )
    )
    assert say(client(), "hello") == "shared hi"  # the scenario's stub (priority 0) first

    ids_of(admin.post("/stubs", json={"id": "same", "match": hello, "respond": {"content": "0"}}))
    assert say(client(), "hello") == "0"  # runtime before scenario at priority 0

    ids_of(
        admin.post(
            "/stubs",
            json={
                "stubs": [{"id": "high", "match": hello, "respond": {"content": "high"}}],
                "priority": 10,
            },
        )
    )
    assert say(client(), "hello") == "high"
    assert [r["id"] for r in listed(admin)] == [
        "high",
        "same",
        "greet",
        "count",
        "shared.stubs[2]",
        "low",
    ]


def test_stubs_replace_keeps_the_place_and_restarts_the_sequence(
    admin: httpx.Client, client: Client
) -> None:
    ids_of(
        admin.post(
            "/stubs",
            json={
                "id": "s",
                "match": {"last_user": "next"},
                "sequence": [{"content": "1"}, {"content": "2"}],
            },
        )
    )
    assert say(client(), "next") == "1"

    replaced = admin.put(
        "/stubs/s",
        json={"match": {"last_user": "next"}, "sequence": [{"content": "A"}, {"content": "B"}]},
    )

    assert ids_of(replaced, 200) == ["s"]
    assert say(client(), "next") == "A"
    assert listed(admin)[0]["stub"]["sequence"] == [{"content": "A"}, {"content": "B"}]


def test_stubs_replace_a_scenario_stub_until_the_stubs_are_reset(
    admin: httpx.Client, client: Client
) -> None:
    replaced = admin.put(
        "/stubs/greet", json={"match": {"last_user": "hello"}, "respond": {"content": "edited"}}
    )

    assert ids_of(replaced, 200) == ["greet"]
    assert say(client(), "hello") == "edited"
    assert [r["source"] for r in listed(admin) if r["id"] == "greet"] == ["scenario"]
    admin.post("/reset", params={"what": "stubs"}).raise_for_status()
    assert say(client(), "hello") == "shared hi"


def test_stubs_replace_refuses_an_unknown_or_other_id(admin: httpx.Client) -> None:
    stub = {"respond": {"content": "x"}}

    unknown = error_of(admin.put("/stubs/nope", json=stub), 404)
    other = error_of(admin.put("/stubs/greet", json={**stub, "id": "other"}), 400)

    assert unknown["code"] == "stub_not_found"
    assert "nope" in unknown["message"]
    assert other["param"] == "id"


def test_stubs_delete_one_then_it_is_unknown(admin: httpx.Client, client: Client) -> None:
    ids_of(
        admin.post(
            "/stubs",
            json={"id": "gone", "match": {"last_user": "ping"}, "respond": {"content": "pong"}},
        )
    )

    deleted = admin.delete("/stubs/gone")

    assert deleted.status_code == 200
    assert deleted.json() == {"deleted": ["gone"]}
    assert say(client(), "ping") == "ping"  # echoed: no stub
    assert error_of(admin.delete("/stubs/gone"), 404)["code"] == "stub_not_found"


def test_stubs_delete_a_scenario_stub_hides_it_until_reset(
    admin: httpx.Client, client: Client
) -> None:
    assert admin.delete("/stubs/shared.stubs[2]").json() == {"deleted": ["shared.stubs[2]"]}
    assert say(client(), "bye") == "bye"

    admin.post("/reset").raise_for_status()

    assert say(client(), "bye") == "shared bye"


def test_stubs_delete_all_removes_the_runtime_stubs_only(admin: httpx.Client) -> None:
    added = ids_of(
        admin.post("/stubs", json=[{"respond": {"content": "1"}}, {"respond": {"content": "2"}}])
    )
    isolated = ids_of(
        admin.post(
            "/stubs", json={"id": "t", "respond": {"content": "3"}}, headers={TEST_HEADER: "t1"}
        )
    )

    answer = admin.delete("/stubs")

    assert answer.status_code == 200
    assert answer.json() == {"deleted": added + isolated}
    assert [r["id"] for r in listed(admin)] == ["greet", "count", "shared.stubs[2]"]


def test_scenario_post_yaml_adds_its_stubs(admin: httpx.Client, client: Client) -> None:
    text = """
name: weather
stubs:
  - match: {last_user: weather}
    respond: {content: sunny}
  - id: rain
    match: {last_user: rain}
    respond: {content: wet}
"""
    answer = admin.post("/scenario", content=text, headers={"content-type": "application/yaml"})

    assert ids_of(answer) == ["weather.stubs[0]", "rain"]
    assert say(client(), "weather today?") == "sunny"
    assert say(client(), "rain?") == "wet"


def test_scenario_post_json_applies_its_fallback(admin: httpx.Client, client: Client) -> None:
    answer = admin.post("/scenario", json={"name": "strict", "fallback": "error", "stubs": []})

    assert ids_of(answer) == []
    assert say(client(), "hello") == "shared hi"
    with pytest.raises(openai.NotFoundError, match="No stub matched"):
        say(client(), "nothing matches this")


@pytest.mark.parametrize(
    ("body", "status", "param"),
    [
        (b"{not json", 400, None),
        (b"[]", 400, "stubs"),
        (b'"a string"', 400, None),
        (b'{"stubs": [], "priority": 1}', 400, "stubs"),
        (b'{"stubs": [{"respond": {"content": "x"}}], "priority": "high"}', 400, "priority"),
        (b'{"stubs": {"respond": {}}}', 400, "stubs"),
        (b'{"stubs": [{"respond": {"content": "x"}}], "extra": 1}', 400, "extra"),
    ],
    ids=["not-json", "empty-list", "not-a-stub", "no-stubs", "priority", "stubs-object", "extra"],
)
def test_stubs_add_refuses_a_body_of_no_shape(
    admin: httpx.Client, body: bytes, status: int, param: str | None
) -> None:
    error = error_of(
        admin.post("/stubs", content=body, headers={"content-type": "application/json"}), status
    )

    assert error["param"] == param
    assert [r["source"] for r in listed(admin)] == ["scenario"] * 3  # nothing was added


def test_stubs_add_refuses_a_duplicate_id_and_adds_nothing(admin: httpx.Client) -> None:
    taken = error_of(admin.post("/stubs", json={"id": "greet", "respond": {"content": "x"}}), 409)
    twice = error_of(
        admin.post(
            "/stubs",
            json=[
                {"id": "d", "respond": {"content": "1"}},
                {"id": "d", "respond": {"content": "2"}},
            ],
        ),
        409,
    )

    assert taken["code"] == twice["code"] == "stub_conflict"
    assert "'greet'" in taken["message"]
    assert "'d'" in twice["message"]
    assert [r["id"] for r in listed(admin)] == ["greet", "count", "shared.stubs[2]"]
