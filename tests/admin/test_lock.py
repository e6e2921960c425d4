"""The admin lock covers every admin route: the admin token (else the API key), and no state
change from a foreign web page."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import openai
import pytest

from mockgpt import ServerConfig
from mockgpt.routes.table import routes
from mockgpt.server import MockServer
from tests.admin.conftest import SHARED, say

ADMIN_ROUTES = sorted(
    {(method, path) for method, path, _ in routes() if path.startswith("/_mockgpt/")}
    - {("GET", "/_mockgpt/journal"), ("POST", "/_mockgpt/reset")}
)
"""Every admin route of the route table (but the first two: tests/server/test_hardening.py)."""
TOKEN = "adm-secret"


def concrete(path: str) -> str:
    return re.sub(r"\{(\w+)(:path)?\}", "x", path)


@pytest.fixture(scope="module")
def locked() -> Iterator[MockServer]:
    config = ServerConfig(port=0, admin_token=TOKEN, api_key="sk-api")
    with MockServer(config, scenarios=[SHARED]) as server:
        yield server


def test_lock_lists_the_admin_routes() -> None:
    assert {path for _, path in ADMIN_ROUTES} >= {
        "/_mockgpt/stubs",
        "/_mockgpt/stubs/{stub_id:path}",
        "/_mockgpt/scenario",
        "/_mockgpt/journal",
        "/_mockgpt/journal/stream",
        "/_mockgpt/journal/{entry_id}/near-miss",
        "/_mockgpt/openapi.json",
    }


@pytest.mark.parametrize(
    ("method", "path"), ADMIN_ROUTES, ids=[f"{m} {p}" for m, p in ADMIN_ROUTES]
)
@pytest.mark.parametrize("key", [None, "sk-api", "wrong"], ids=["none", "api-key", "wrong"])
def test_lock_refuses_an_admin_call_without_the_admin_token(
    locked: MockServer, method: str, path: str, key: str | None
) -> None:
    headers = {"authorization": f"Bearer {key}"} if key else {}

    answer = httpx.request(method, f"{locked.url}{concrete(path)}", headers=headers, json={})

    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "invalid_api_key"


@pytest.mark.parametrize(
    ("method", "path"), ADMIN_ROUTES, ids=[f"{m} {p}" for m, p in ADMIN_ROUTES]
)
def test_lock_opens_to_the_admin_token(locked: MockServer, method: str, path: str) -> None:
    headers = {"authorization": f"Bearer {TOKEN}"}
    url = f"{locked.url}{concrete(path)}"

    with httpx.stream(method, url, headers=headers, json={"respond": {"content": "x"}}) as answer:
        status = answer.status_code

    assert status not in (401, 403)


def test_lock_admin_programs_the_api_behind_its_own_key(locked: MockServer) -> None:
    admin = {"authorization": f"Bearer {TOKEN}"}
    httpx.post(f"{locked.url}/_mockgpt/reset", headers=admin).raise_for_status()
    added = httpx.post(
        f"{locked.url}/_mockgpt/stubs",
        headers=admin,
        json={"id": "locked", "match": {"last_user": "ping"}, "respond": {"content": "pong"}},
    )
    with openai.OpenAI(base_url=locked.base_url, api_key="sk-api", max_retries=0) as client:
        answer = say(client, "ping")
    deleted = httpx.delete(f"{locked.url}/_mockgpt/stubs/locked", headers=admin)

    assert (added.status_code, answer, deleted.status_code) == (201, "pong", 200)


@pytest.mark.parametrize(
    ("method", "path"),
    [r for r in ADMIN_ROUTES if r[0] != "GET"],
    ids=[f"{m} {p}" for m, p in ADMIN_ROUTES if m != "GET"],
)
def test_lock_refuses_a_state_change_from_a_foreign_page(
    mock: MockServer, method: str, path: str
) -> None:
    foreign = {"origin": "https://evil.example"}

    answer = httpx.request(method, f"{mock.url}{concrete(path)}", headers=foreign, json={})

    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "foreign_origin"
    assert [s.source for s in mock.engine.registry.stubs()] == ["scenario"] * 3


def test_lock_lets_a_local_page_change_state(mock: MockServer) -> None:
    local = {"origin": "http://localhost:5173"}

    answer = httpx.post(
        f"{mock.url}/_mockgpt/stubs", headers=local, json={"respond": {"content": "x"}}
    )

    assert answer.status_code == 201
    assert answer.headers["access-control-allow-origin"] == "http://localhost:5173"
