"""The inspector page in headless Chromium: the live list, one exchange (request, stub or near
misses, response or stream timeline), the playground, the stub editor, the admin lock.

The traffic comes from the official client over the socket; the page reads it from the admin
API. Each test fails on any console error or uncaught exception of the page (``page``)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import openai
import pytest
from playwright.sync_api import Page
from playwright.sync_api import expect as page_expect

from mockgpt import ServerConfig
from mockgpt.server import MockServer

USER = [{"role": "user", "content": "tell me about the giraffe"}]
Shoot = Callable[[Page, str], None]


def add_stub(admin: httpx.Client, stub: dict[str, Any], test_id: str | None = None) -> str:
    headers = {"x-mockgpt-test": test_id} if test_id else {}
    response = admin.post("/_mockgpt/stubs", json=stub, headers=headers)
    assert response.status_code == 201, response.text
    stub_id: str = response.json()["ids"][0]
    return stub_id


def open_inspector(page: Page, server: MockServer, tab: str = "requests") -> None:
    page.goto(f"{server.url}/_mockgpt/#{tab}")
    page_expect(page.locator("#feed-status")).to_have_text("live")


def row_of(page: Page, text: str) -> Any:
    return page.locator(".exchange-row").filter(has_text=text)


def forget_refused_loads(page_errors: list[str], status: int) -> None:
    """Chromium logs each non-2xx fetch; drop those of the status the test asked for."""
    page_errors[:] = [e for e in page_errors if f"status of {status}" not in e]


def test_inspector_page_loads_with_no_console_error(
    page: Page, inspector_server: MockServer, admin: httpx.Client, page_errors: list[str]
) -> None:
    open_inspector(page, inspector_server)
    for tab in ("stubs", "playground", "requests"):
        page.get_by_role("tab", name=re.compile(tab, re.IGNORECASE)).click()
        page_expect(page.locator(f"#{tab}")).to_be_visible()

    page_expect(page.locator("#no-requests")).to_be_visible()
    page.goto(f"{inspector_server.url}/_mockgpt/#playground")  # the fragment names the tab
    page_expect(page.locator("#playground")).to_be_visible()
    page_expect(page.locator("#requests")).to_be_hidden()
    assert page_errors == []


def test_inspector_lists_a_request_with_its_stub(
    page: Page,
    inspector_server: MockServer,
    admin: httpx.Client,
    client: openai.OpenAI,
    shoot: Shoot,
) -> None:
    stub_id = add_stub(
        admin, {"match": {"last_user": {"contains": "giraffe"}}, "respond": {"content": "Tall."}}
    )
    open_inspector(page, inspector_server)

    client.chat.completions.create(model="gpt-4o-mini", messages=USER)
    client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])
    client.models.list()

    row = row_of(page, stub_id)
    page_expect(row).to_have_count(1)
    page_expect(row.locator(".method")).to_have_text("POST")
    page_expect(row.locator(".path")).to_have_text("/v1/chat/completions")
    page_expect(row.locator(".model")).to_have_text("gpt-4o-mini")
    page_expect(row.locator(".status")).to_have_text("200")
    page_expect(row.locator(".duration")).to_have_text(re.compile(r"\d ms$"))
    page_expect(page.locator(".exchange-row")).to_have_count(3)

    row.click()
    exchange = page.locator("#exchange")
    page_expect(exchange.locator("h2")).to_have_text("POST /v1/chat/completions")
    page_expect(exchange.locator(".request-body")).to_contain_text("tell me about the giraffe")
    page_expect(exchange.locator(".stub-id")).to_have_text(stub_id)
    page_expect(exchange.locator(".stub-body")).to_contain_text('"contains": "giraffe"')
    answer = json.loads(exchange.locator(".response-body").inner_text())
    assert answer["choices"][0]["message"]["content"] == "Tall."


def test_inspector_shows_a_stream_timeline(
    page: Page,
    inspector_server: MockServer,
    admin: httpx.Client,
    client: openai.OpenAI,
    shoot: Shoot,
) -> None:
    content = "One two three four five."
    stub_id = add_stub(
        admin,
        {
            "match": {"last_user": {"contains": "count"}},
            "respond": {"content": content},
            "pacing": {"ttft_ms": 40, "tokens_per_second": 50},
        },
    )
    client.chat.completions.create(model="gpt-4o-mini", messages=USER)
    messages = [{"role": "user", "content": "count to five"}]
    with client.chat.completions.create(
        model="gpt-4o-mini", messages=messages, stream=True
    ) as stream:
        chunks = list(stream)
    open_inspector(page, inspector_server)

    row = row_of(page, stub_id)
    page_expect(row.locator(".tag")).to_have_text("stream")
    row.click()

    [entry] = admin.get("/_mockgpt/journal", params={"stub": stub_id}).json()["data"]
    events = entry["response"]["events"]
    assert len(events) == len(chunks) + 1  # and [DONE]
    timeline = page.locator("#exchange .timeline")
    page_expect(timeline.locator(".answer")).to_have_text(content)
    page_expect(timeline.locator(".timeline-event")).to_have_count(len(events))
    page_expect(timeline.locator(".timeline-event .data").nth(1)).to_have_text('"One"')
    page_expect(timeline.locator(".timeline-event .data").last).to_have_text("[DONE]")
    shown = [float(t.split()[0]) for t in timeline.locator(".t-ms").all_inner_texts()]
    assert shown == pytest.approx([event["t_ms"] for event in events], abs=0.051)
    page.set_viewport_size({"width": 1400, "height": 1700})  # the whole exchange in view
    shoot(page, "exchange")


def test_inspector_shows_near_misses_of_an_unmatched_request(
    page: Page, inspector_server: MockServer, admin: httpx.Client, client: openai.OpenAI
) -> None:
    add_stub(
        admin,
        {
            "id": "forecast",
            "match": {"last_user": {"contains": "weather"}},
            "respond": {"content": "Sun."},
        },
    )
    client.chat.completions.create(model="gpt-4o-mini", messages=USER)
    open_inspector(page, inspector_server)

    row = row_of(page, "unmatched")
    page_expect(row).to_have_count(1)
    row.click()

    near_miss = page.locator("#exchange .near-miss tbody tr").filter(has_text="forecast")
    page_expect(near_miss).to_have_count(1)
    page_expect(near_miss.locator("li").first).to_contain_text("last_user")


def test_inspector_playground_streams_an_answer(
    page: Page, inspector_server: MockServer, admin: httpx.Client, shoot: Shoot
) -> None:
    content = "The playground streams this answer one token at a time."
    stub_id = add_stub(
        admin,
        {
            "match": {"last_user": {"contains": "playground"}},
            "respond": {"content": content},
            "pacing": {"ttft_ms": 50, "tokens_per_second": 60},
        },
    )
    open_inspector(page, inspector_server, "playground")

    page.locator("#pg-message").fill("Hello from the playground")
    page.get_by_role("button", name="Send (stream)").click()

    page_expect(page.locator("#pg-answer.done")).to_have_text(content)
    page_expect(page.locator("#pg-status")).to_contain_text("done")
    [entry] = admin.get("/_mockgpt/journal", params={"stub": stub_id}).json()["data"]
    page_expect(page.locator("#pg-events .pg-event")).to_have_count(
        len(entry["response"]["events"])
    )
    assert entry["request"]["body"]["messages"] == [
        {"role": "user", "content": "Hello from the playground"}
    ]
    shoot(page, "playground")

    page.get_by_role("tab", name="Requests").click()
    page_expect(row_of(page, stub_id)).to_have_count(1)


def test_inspector_saves_an_edited_stub_that_the_next_request_uses(
    page: Page, inspector_server: MockServer, admin: httpx.Client, client: openai.OpenAI
) -> None:
    stub = {"id": "greeting", "match": {"last_user": {"contains": "giraffe"}}}
    add_stub(admin, {**stub, "respond": {"content": "Before the edit."}})
    open_inspector(page, inspector_server, "stubs")

    page.locator('[data-stub-id="greeting"] .edit-stub').click()
    page.locator("#stub-json").fill(json.dumps({**stub, "respond": {"content": "After."}}))
    page.get_by_role("button", name="Save").click()

    page_expect(page.locator("#stub-note")).to_have_text("Saved greeting.")
    page_expect(page.locator("#stub-editor")).to_be_hidden()
    page_expect(page.locator('[data-stub-id="greeting"] .answer-cell')).to_contain_text("After.")
    reply = client.chat.completions.create(model="gpt-4o-mini", messages=USER)
    assert reply.choices[0].message.content == "After."


def test_inspector_shows_the_apis_message_for_a_broken_stub(
    page: Page,
    inspector_server: MockServer,
    admin: httpx.Client,
    page_errors: list[str],
) -> None:
    broken = {"match": {"colour": "blue"}, "respond": {"content": "x"}}
    refused = admin.post("/_mockgpt/stubs", json={"stubs": [broken], "priority": 0})
    assert refused.status_code == 400
    error = refused.json()["error"]
    open_inspector(page, inspector_server, "stubs")

    page.get_by_role("button", name="Add stub").click()
    page.locator("#stub-json").fill(json.dumps(broken))
    page.get_by_role("button", name="Save").click()

    page_expect(page.locator("#stub-error")).to_have_text(f"400: {error['message']}")
    assert error["param"] in error["message"]  # the field is named once
    page_expect(page.locator("#stub-editor")).to_be_visible()
    listed = admin.get("/_mockgpt/stubs").json()["data"]
    assert [row for row in listed if row["source"] == "runtime"] == []
    forget_refused_loads(page_errors, 400)


def test_inspector_adds_and_deletes_a_stub(
    page: Page, inspector_server: MockServer, admin: httpx.Client, client: openai.OpenAI
) -> None:
    open_inspector(page, inspector_server, "stubs")
    stub = {
        "id": "added",
        "match": {"last_user": {"contains": "giraffe"}},
        "respond": {"content": "Added."},
    }

    page.get_by_role("button", name="Add stub").click()
    page.locator("#stub-json").fill(json.dumps(stub))
    page.locator("#stub-priority").fill("5")
    page.get_by_role("button", name="Save").click()

    row = page.locator('[data-stub-id="added"]')
    page_expect(row.locator("td").nth(1)).to_have_text("5")
    added = client.chat.completions.create(model="gpt-4o-mini", messages=USER)
    row.locator(".delete-stub").click()
    page_expect(row).to_have_count(0)
    page_expect(page.locator("#stub-note")).to_have_text("Deleted added.")
    after = client.chat.completions.create(model="gpt-4o-mini", messages=USER)
    assert added.choices[0].message.content == "Added."
    assert after.choices[0].message.content != "Added."


def test_inspector_shows_each_test_ids_requests(
    page: Page,
    inspector_server: MockServer,
    admin: httpx.Client,
    client: openai.OpenAI,
    shoot: Shoot,
) -> None:
    """Two parallel tests' requests, each answered by its own stub, beside shared traffic."""
    stubs = {
        test_id: add_stub(
            admin,
            {"match": {"last_user": {"contains": "giraffe"}}, "respond": {"content": test_id}},
            test_id,
        )
        for test_id in ("worker-a", "worker-b")
    }
    open_inspector(page, inspector_server)

    for test_id in stubs:
        with client.chat.completions.create(
            model="gpt-4o-mini",
            messages=USER,
            stream=True,
            extra_headers={"X-Mockgpt-Test": test_id},
        ) as stream:
            list(stream)
    client.chat.completions.create(model="gpt-4o", messages=USER)  # shared: no stub of its own
    client.embeddings.create(model="text-embedding-3-small", input="giraffe")

    for test_id, stub_id in stubs.items():
        row = row_of(page, test_id)
        page_expect(row.locator(".test-id")).to_have_text(test_id)
        page_expect(row.locator(".stub-cell")).to_have_text(stub_id)
    shared = row_of(page, "gpt-4o").filter(has_text="unmatched")
    page_expect(shared.locator(".test-id")).to_have_text("")
    page_expect(page.locator(".exchange-row")).to_have_count(4)
    shoot(page, "list")
    row_of(page, "worker-b").click()
    page_expect(page.locator("#exchange .stub-id")).to_have_text(stubs["worker-b"])
    page_expect(page.locator("#exchange .stub-body")).to_contain_text('"content": "worker-b"')


@pytest.fixture
def locked_server() -> Iterator[MockServer]:
    with MockServer(ServerConfig(port=0, admin_token="adm-token-5e1d")) as server:
        yield server


def test_inspector_asks_for_the_admin_token(
    locked_server: MockServer, page: Page, page_errors: list[str]
) -> None:
    """(``locked_server`` first: the page closes before its server stops.)"""
    page.goto(f"{locked_server.url}/_mockgpt/")
    page_expect(page.locator("#token-form")).to_be_visible()
    page_expect(page.locator("#feed-status")).to_contain_text("locked")

    page.locator("#token-input").fill("adm-token-5e1d")
    page.get_by_role("button", name="Use token").click()
    page_expect(page.locator("#feed-status")).to_have_text("live")
    with openai.OpenAI(base_url=locked_server.base_url, api_key="x", max_retries=0) as client:
        client.chat.completions.create(model="gpt-4o-mini", messages=USER)

    page_expect(page.locator(".exchange-row")).to_have_count(1)
    assert "adm-token-5e1d" not in page.content()
    forget_refused_loads(page_errors, 401)


@pytest.fixture
def worker_header_server() -> Iterator[MockServer]:
    with MockServer(ServerConfig(port=0, test_header="X-Worker-Id")) as server:
        yield server


def test_inspector_playground_sends_the_servers_test_header(
    worker_header_server: MockServer, page: Page
) -> None:
    """With ``--test-header X-Worker-Id`` the playground's test id goes in that header."""
    open_inspector(page, worker_header_server, "playground")

    page.locator("#pg-test-id").fill("worker-7")
    page.get_by_role("button", name="Send (stream)").click()
    page_expect(page.locator("#pg-answer.done")).to_have_text(
        page.locator("#pg-message").input_value()
    )

    journal = httpx.get(
        f"{worker_header_server.url}/_mockgpt/journal", headers={"X-Worker-Id": "worker-7"}
    ).json()["data"]
    assert [(entry["path"], entry["test_id"]) for entry in journal] == [
        ("/v1/chat/completions", "worker-7")
    ]
