"""A batch's end is POSTed to the webhook receiver as ``batch.<status>``, signed so that the
official client's ``client.webhooks.unwrap`` verifies it; a batch that ends by time sends it
with no read, its lines answered and its output file written."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import openai
import pytest

from mockgpt.server import MockServer
from tests.background.conftest import SECRET
from tests.background.receiver import Receiver, webhooks_to
from tests.batches.conftest import FilesApi
from tests.batches.test_batches import THREE, create, lines_of


@pytest.fixture
def receiver(server: MockServer) -> Iterator[Receiver]:
    """The session server's webhooks go to a receiver of this test, signed with ``SECRET``."""
    with webhooks_to(server.engine, SECRET) as receiver:
        yield receiver


def _unwrap(body: bytes, headers: dict[str, str]) -> Any:
    client = openai.OpenAI(api_key="x", base_url="http://127.0.0.1:9/v1")
    return client.webhooks.unwrap(body, headers, secret=SECRET)


@pytest.mark.parametrize(
    ("lifecycle", "event_type"),
    [({}, "batch.completed"), ({"end": "expired"}, "batch.expired")],
    ids=["completed", "expired"],
)
def test_batch_end_sends_a_signed_webhook(
    files_api: FilesApi,
    stub: Callable[..., None],
    receiver: Receiver,
    lifecycle: dict[str, Any],
    event_type: str,
) -> None:
    if lifecycle:
        stub({"match": {"endpoint": "batches"}, "respond": {"lifecycle": lifecycle}})
    created = create(files_api, THREE)
    assert receiver.deliveries == []

    done = files_api("batches.retrieve", created.id)
    [delivery] = receiver.wait_for(1)
    event = _unwrap(delivery.body, delivery.headers)

    assert event.type == event_type == f"batch.{done.status}"
    assert event.data.id == created.id


def test_batch_ended_by_time_sends_its_webhook_with_no_read(
    files_api: FilesApi, stub: Callable[..., None], receiver: Receiver
) -> None:
    stub({"match": {"endpoint": "batches"}, "respond": {"lifecycle": {"after_ms": 50}}})
    created = create(files_api, THREE)

    [delivery] = receiver.wait_for(1)
    event = _unwrap(delivery.body, delivery.headers)
    done = files_api("batches.retrieve", created.id)

    assert (event.type, event.data.id) == ("batch.completed", created.id)
    assert done.status == "completed"
    assert [line["custom_id"] for line in lines_of(files_api, done.output_file_id)] == [
        "a",
        "b",
        "c",
    ]


def test_cancelled_batch_sends_batch_cancelled(
    files_api: FilesApi, stub: Callable[..., None], receiver: Receiver
) -> None:
    stub({"match": {"endpoint": "batches"}, "respond": {"lifecycle": {"polls": 5}}})
    created = create(files_api, THREE)
    files_api("batches.cancel", created.id)

    [delivery] = receiver.wait_for(1)

    assert _unwrap(delivery.body, delivery.headers).type == "batch.cancelled"
