"""Background responses polled to their end: ``queued`` -> ``in_progress`` -> an end, per
the stub's ``respond.lifecycle``; ``cancel``; ``store: false`` refused."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
import openai
import pytest

from mockgpt.scenarios import Scenario
from mockgpt.server import MockServer
from tests.background.conftest import MODEL
from tests.background.receiver import WAIT_S
from tests.responses.clients import ResponsesApi

LATER = {"match": {"last_user": "later"}, "respond": {"content": "done later"}}


def _stub(lifecycle: dict[str, Any], **respond: Any) -> dict[str, Any]:
    return {
        "match": {"last_user": "later"},
        "respond": {"content": "done later", **respond, "lifecycle": lifecycle},
    }


def test_background_create_is_queued_without_output(bapi: ResponsesApi) -> None:
    created = bapi.call("responses.create", model=MODEL, input="blue giraffe", background=True)

    assert created.status == "queued"
    assert created.background is True
    assert created.output == []
    assert created.usage is None
    assert created.id.startswith("resp_")


def test_background_default_is_completed_at_the_first_poll(bapi: ResponsesApi) -> None:
    created = bapi.call("responses.create", model=MODEL, input="blue giraffe", background=True)

    polled = bapi.call("responses.retrieve", created.id)

    assert polled.status == "completed"
    assert polled.output_text == "blue giraffe"
    assert polled.usage is not None
    assert polled.usage.output_tokens > 0
    assert polled.id == created.id


def test_background_polls_3_is_in_progress_then_completed(
    bapi: ResponsesApi, stub: Callable[..., None]
) -> None:
    stub(_stub({"polls": 3}))
    created = bapi.call("responses.create", model=MODEL, input="later", background=True)

    seen = [bapi.call("responses.retrieve", created.id) for _ in range(4)]

    assert created.status == "queued"
    assert [r.status for r in seen] == ["in_progress", "in_progress", "completed", "completed"]
    assert [r.output for r in seen[:2]] == [[], []]
    assert seen[2].output_text == "done later"


def test_background_after_ms_ends_by_time(bapi: ResponsesApi, stub: Callable[..., None]) -> None:
    stub(_stub({"after_ms": 50}))
    created = bapi.call("responses.create", model=MODEL, input="later", background=True)

    statuses = []
    deadline = time.monotonic() + WAIT_S
    while not statuses or statuses[-1] != "completed":
        assert time.monotonic() < deadline, f"never completed: {statuses}"
        polled = bapi.call("responses.retrieve", created.id)
        statuses.append(polled.status)
        time.sleep(0.01)

    assert created.status == "queued"
    assert set(statuses) <= {"in_progress", "completed"}
    assert polled.output_text == "done later"


def test_background_failed_carries_the_stubs_error(
    bapi: ResponsesApi, stub: Callable[..., None]
) -> None:
    stub(
        {
            "match": {"last_user": "later"},
            "respond": {
                "error": {"status": 429, "message": "slow down", "code": "rate_limit_exceeded"},
                "lifecycle": {"polls": 2, "end": "failed"},
            },
        }
    )
    created = bapi.call("responses.create", model=MODEL, input="later", background=True)

    first = bapi.call("responses.retrieve", created.id)
    second = bapi.call("responses.retrieve", created.id)

    assert (created.status, first.status, second.status) == ("queued", "in_progress", "failed")
    assert second.error is not None
    assert (second.error.code, second.error.message) == ("rate_limit_exceeded", "slow down")
    assert second.output == []


def test_background_failed_without_an_error_is_a_server_error(
    bapi: ResponsesApi, stub: Callable[..., None]
) -> None:
    stub(_stub({"end": "failed"}))
    created = bapi.call("responses.create", model=MODEL, input="later", background=True)

    failed = bapi.call("responses.retrieve", created.id)

    assert failed.status == "failed"
    assert failed.error is not None
    assert failed.error.code == "server_error"


def test_background_incomplete_keeps_its_output(
    bapi: ResponsesApi, stub: Callable[..., None]
) -> None:
    stub(_stub({"end": "incomplete"}))
    created = bapi.call("responses.create", model=MODEL, input="later", background=True)

    ended = bapi.call("responses.retrieve", created.id)

    assert ended.status == "incomplete"
    assert ended.incomplete_details is not None
    assert ended.incomplete_details.reason == "max_output_tokens"
    assert ended.output_text == "done later"


def test_background_error_without_lifecycle_is_an_http_error(
    bapi: ResponsesApi, stub: Callable[..., None]
) -> None:
    stub({"match": {"last_user": "later"}, "respond": {"error": {"status": 429}}})

    with pytest.raises(openai.RateLimitError):
        bapi.call("responses.create", model=MODEL, input="later", background=True)


def test_background_cancel_a_queued_one(bapi: ResponsesApi, stub: Callable[..., None]) -> None:
    stub(_stub({"polls": 5}))
    created = bapi.call("responses.create", model=MODEL, input="later", background=True)
    bapi.call("responses.retrieve", created.id)

    cancelled = bapi.call("responses.cancel", created.id)
    polled = bapi.call("responses.retrieve", created.id)

    assert cancelled.status == "cancelled"
    assert cancelled.output == []
    assert polled.status == "cancelled"


def test_background_cancel_an_ended_one_returns_it_unchanged(bapi: ResponsesApi) -> None:
    created = bapi.call("responses.create", model=MODEL, input="blue giraffe", background=True)
    completed = bapi.call("responses.retrieve", created.id)

    cancelled = bapi.call("responses.cancel", created.id)

    assert cancelled.status == "completed"
    assert cancelled == completed


def test_background_cancel_twice_returns_the_cancelled_one(
    bapi: ResponsesApi, stub: Callable[..., None]
) -> None:
    stub(_stub({"polls": 5}))
    created = bapi.call("responses.create", model=MODEL, input="later", background=True)

    first = bapi.call("responses.cancel", created.id)
    second = bapi.call("responses.cancel", created.id)

    assert (first.status, second.status) == ("cancelled", "cancelled")


def test_background_with_store_false_is_a_400(bapi: ResponsesApi) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        bapi.call("responses.create", model=MODEL, input="hi", background=True, store=False)

    assert caught.value.body is not None
    assert caught.value.body["param"] == "store"  # type: ignore[index]


def test_background_lifecycle_end_of_no_response_is_named(
    http: httpx.Client, stub: Callable[..., None]
) -> None:
    stub(_stub({"end": "expired"}))

    answer = http.post("/v1/responses", json={"model": MODEL, "input": "later", "background": True})

    assert answer.status_code == 500
    assert "'expired'" in answer.json()["error"]["message"]


def test_background_chain_continues_from_a_background_response(bapi: ResponsesApi) -> None:
    created = bapi.call("responses.create", model=MODEL, input="blue giraffe", background=True)
    bapi.call("responses.retrieve", created.id)

    items = bapi.collect("responses.input_items.list", created.id)
    second = bapi.call(
        "responses.create", model=MODEL, input="and then", previous_response_id=created.id
    )

    assert [i.content[0].text for i in items] == ["blue giraffe"]
    assert second.output_text == "and then"


def test_background_quirk_answers_at_once(bapi: ResponsesApi, server: MockServer) -> None:
    """``responses-background-at-once``: completed at the create; cancel returns it."""
    server.engine.registry.add(Scenario(name="q", quirks=["responses-background-at-once"]))

    created = bapi.call("responses.create", model=MODEL, input="blue giraffe", background=True)
    cancelled = bapi.call("responses.cancel", created.id)

    assert (created.status, created.background) == ("completed", True)
    assert created.output_text == "blue giraffe"
    assert cancelled == created
