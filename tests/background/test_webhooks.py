"""Webhooks: a background response's end is POSTed to the receiver, signed so that the
official client's ``client.webhooks.unwrap`` verifies it; retries, the journal, tasks."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import httpx
import openai
import pytest

from mockgpt import ServerConfig
from mockgpt.scenarios import Scenario
from mockgpt.server import MockServer
from mockgpt.webhooks import WebhookTarget
from tests.background.conftest import MODEL, SECRET
from tests.background.receiver import WAIT_S, Delivery, Receiver, receiving
from tests.responses.clients import ResponsesApi


def _later(lifecycle: dict[str, Any]) -> dict[str, Any]:
    return {
        "match": {"last_user": "later"},
        "respond": {"content": "done later", "lifecycle": lifecycle},
    }


def _unwrap(delivery: Delivery) -> Any:
    """The event as the official client verifies and parses it (raises if the signature fails)."""
    client = openai.OpenAI(api_key="x", base_url="http://127.0.0.1:9/v1")
    return client.webhooks.unwrap(delivery.body, delivery.headers, secret=SECRET)


def _wait_done(tasks: list[Any]) -> None:
    deadline = time.monotonic() + WAIT_S
    while not all(t.done() for t in tasks):
        assert time.monotonic() < deadline, "tasks still running"
        time.sleep(0.01)


def test_webhook_completed_verifies_with_the_official_client(
    bapi: ResponsesApi, receiver: Receiver
) -> None:
    created = bapi.call("responses.create", model=MODEL, input="blue giraffe", background=True)
    bapi.call("responses.retrieve", created.id)

    [delivery] = receiver.wait_for(1)
    event = _unwrap(delivery)

    assert event.type == "response.completed"
    assert event.data.id == created.id
    assert event.object == "event"
    assert event.id.startswith("evt_")
    assert delivery.headers["webhook-id"] == event.id
    assert delivery.headers["webhook-signature"].startswith("v1,")


def test_webhook_signature_fails_with_another_secret(
    bapi: ResponsesApi, receiver: Receiver
) -> None:
    created = bapi.call("responses.create", model=MODEL, input="blue giraffe", background=True)
    bapi.call("responses.retrieve", created.id)
    [delivery] = receiver.wait_for(1)
    client = openai.OpenAI(api_key="x", base_url="http://127.0.0.1:9/v1")

    with pytest.raises(openai.InvalidWebhookSignatureError):
        client.webhooks.unwrap(delivery.body, delivery.headers, secret="whsec_b3RoZXI=")


@pytest.mark.parametrize(
    ("lifecycle", "event_type"),
    [
        ({"end": "failed"}, "response.failed"),
        ({"end": "incomplete"}, "response.incomplete"),
    ],
    ids=["failed", "incomplete"],
)
def test_webhook_event_type_follows_the_end(
    bapi: ResponsesApi,
    receiver: Receiver,
    stub: Callable[..., None],
    lifecycle: dict[str, Any],
    event_type: str,
) -> None:
    stub(_later(lifecycle))
    created = bapi.call("responses.create", model=MODEL, input="later", background=True)
    bapi.call("responses.retrieve", created.id)

    [delivery] = receiver.wait_for(1)

    event = _unwrap(delivery)
    assert (event.type, event.data.id) == (event_type, created.id)


def test_webhook_cancelled(
    bapi: ResponsesApi, receiver: Receiver, stub: Callable[..., None]
) -> None:
    stub(_later({"polls": 5}))
    created = bapi.call("responses.create", model=MODEL, input="later", background=True)

    bapi.call("responses.cancel", created.id)
    bapi.call("responses.cancel", created.id)  # an ended one: no second event
    bapi.call("responses.retrieve", created.id)
    [delivery] = receiver.wait_for(1)

    assert _unwrap(delivery).type == "response.cancelled"
    assert len(receiver.deliveries) == 1


def test_webhook_time_driven_job_fires_without_a_poll(
    bapi: ResponsesApi, receiver: Receiver, stub: Callable[..., None]
) -> None:
    stub(_later({"after_ms": 20}))

    created = bapi.call("responses.create", model=MODEL, input="later", background=True)
    [delivery] = receiver.wait_for(1)

    event = _unwrap(delivery)
    assert (event.type, event.data.id) == ("response.completed", created.id)
    assert bapi.call("responses.retrieve", created.id).status == "completed"


def test_webhook_streamed_background_response_ends_at_once(
    bapi: ResponsesApi, receiver: Receiver
) -> None:
    events = bapi.events(model=MODEL, input="blue giraffe", background=True)

    [delivery] = receiver.wait_for(1)

    assert _unwrap(delivery).data.id == events[0].response.id


def test_webhook_retried_until_the_receiver_answers_and_journalled(
    bapi: ResponsesApi, receiver: Receiver, server: MockServer, http: httpx.Client
) -> None:
    receiver.plan = [500, 503]
    created = bapi.call("responses.create", model=MODEL, input="blue giraffe", background=True)
    bapi.call("responses.retrieve", created.id)

    deliveries = receiver.wait_for(3)
    _wait_done(server.engine.tasks.running())  # its last journal entry is settled by then
    attempts = [e for e in server.engine.journal.entries() if e.path == receiver.url]
    shown = http.get("/_mockgpt/journal").json()["data"]

    assert len({d.headers["webhook-id"] for d in deliveries}) == 1  # one event, three attempts
    assert [e.status for e in attempts] == [500, 503, 200]
    assert [e.method for e in attempts] == ["POST"] * 3
    assert all(e.endpoint is None for e in attempts)  # not an API call
    assert [json.loads(e.body)["data"]["id"] for e in attempts] == [created.id] * 3
    assert [e["status"] for e in shown if e["path"] == receiver.url] == [500, 503, 200]
    assert all(_unwrap(d).data.id == created.id for d in deliveries)


def test_webhook_gives_up_after_the_attempts(server: MockServer, receiver: Receiver) -> None:
    server.engine.webhooks.target.attempts = 2
    receiver.plan = [500, 500, 500]
    with openai.OpenAI(base_url=server.base_url, api_key="x", max_retries=0) as client:
        created = client.responses.create(model=MODEL, input="hi", background=True)
        client.responses.retrieve(created.id)

    receiver.wait_for(2)
    _wait_done(server.engine.tasks.running())

    attempts = [e for e in server.engine.journal.entries() if e.path == receiver.url]
    assert [e.status for e in attempts] == [500, 500]


def test_webhook_connection_error_is_journalled_and_retried(server: MockServer) -> None:
    with receiving() as gone:
        url = gone.url  # nothing listens there once the receiver has stopped
    before = server.engine.webhooks.target
    server.engine.webhooks.target = WebhookTarget(url=url, secret=SECRET, attempts=2, backoff_ms=0)
    try:
        with openai.OpenAI(base_url=server.base_url, api_key="x", max_retries=0) as client:
            created = client.responses.create(model=MODEL, input="hi", background=True)
            client.responses.retrieve(created.id)

        deadline = time.monotonic() + WAIT_S
        while len([e for e in server.engine.journal.entries() if e.path == url and e.seq]) < 2:
            assert time.monotonic() < deadline, "no two attempts journalled"
            time.sleep(0.01)
        _wait_done(server.engine.tasks.running())
    finally:
        server.engine.webhooks.target = before

    attempts = [e for e in server.engine.journal.entries() if e.path == url]
    assert [(e.status, e.disconnected) for e in attempts] == [(0, True), (0, True)]
    assert b"Connect" in attempts[0].response_body


def test_webhook_none_without_a_url(bapi: ResponsesApi, server: MockServer) -> None:
    created = bapi.call("responses.create", model=MODEL, input="blue giraffe", background=True)
    bapi.call("responses.retrieve", created.id)

    assert len(server.engine.tasks) == 0
    assert all(e.path.startswith("/") for e in server.engine.journal.entries())


def test_webhook_reset_cancels_the_jobs_tasks(
    server: MockServer, stub: Callable[..., None]
) -> None:
    stub(_later({"after_ms": 600_000}))
    with openai.OpenAI(base_url=server.base_url, api_key="x", max_retries=0) as client:
        client.responses.create(model=MODEL, input="later", background=True)
    running = server.engine.tasks.running()

    server.engine.reset()
    _wait_done(running)

    assert len(running) == 1
    assert len(server.engine.tasks) == 0
    assert running[0].cancelled()


def test_webhook_config_and_shutdown_leave_no_task() -> None:
    """Webhooks configured on ``ServerConfig``; stopping the server ends the job's timer and
    a delivery waiting to retry."""
    with receiving() as receiver:
        receiver.plan = [500]
        config = ServerConfig(
            port=0,
            webhook_url=receiver.url,
            webhook_secret=SECRET,
            webhook_backoff_ms=600_000,
        )
        later = {"name": "t", "stubs": [_later({"after_ms": 600_000})]}
        with MockServer(config) as mock:
            mock.engine.registry.add(Scenario.model_validate(later))
            with openai.OpenAI(base_url=mock.base_url, api_key="x", max_retries=0) as client:
                client.responses.create(model=MODEL, input="later", background=True)
                done = client.responses.create(model=MODEL, input="now", background=True)
                client.responses.retrieve(done.id)
            [delivery] = receiver.wait_for(1)  # answered 500: the retry waits
            running = mock.engine.tasks.running()

    assert _unwrap(delivery).data.id == done.id
    assert len(running) == 2
    assert all(t.cancelled() for t in running)
    assert len(mock.engine.tasks) == 0


def test_webhook_unsigned_without_a_secret(
    bapi: ResponsesApi, receiver: Receiver, server: MockServer
) -> None:
    server.engine.webhooks.target.secret = None
    created = bapi.call("responses.create", model=MODEL, input="blue giraffe", background=True)
    bapi.call("responses.retrieve", created.id)

    [delivery] = receiver.wait_for(1)

    assert "webhook-signature" not in delivery.headers
    assert delivery.headers["webhook-id"].startswith("evt_")
    assert json.loads(delivery.body)["data"]["id"] == created.id


def test_webhook_time_driven_job_in_process_fires_without_a_poll(
    server: MockServer, receiver: Receiver, stub: Callable[..., None]
) -> None:
    """A sync client served in process runs the app on a loop of its own, only during its
    calls: the job's timer runs on the server's loop, so it ends with no call under way."""
    stub(_later({"after_ms": 20}))
    with openai.OpenAI(
        base_url=server.base_url_for("asgi"),
        api_key="x",
        max_retries=0,
        http_client=server.http_client("asgi"),
    ) as client:
        created = client.responses.create(model=MODEL, input="later", background=True)
        [delivery] = receiver.wait_for(1)

    event = _unwrap(delivery)
    assert (event.type, event.data.id) == ("response.completed", created.id)
