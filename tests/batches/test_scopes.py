"""A batch's lines are sent with the batch's test id and the server's API key, so they are
answered in the batch's scope, as its own requests would be."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from anyio.from_thread import BlockingPortal

from mockgpt.config import ServerConfig
from mockgpt.scenarios import Scenario
from mockgpt.server import MockServer
from tests.batches.conftest import CHAT, FilesApi, chat_line, jsonl, read_jsonl


def run(api: FilesApi) -> dict:
    source = api.upload(jsonl([chat_line("a", "alpha"), chat_line("b", "bravo")]))
    created = api("batches.create", input_file_id=source.id, endpoint=CHAT, completion_window="24h")
    done = api("batches.retrieve", created.id)
    return {
        "batch": done,
        "output": read_jsonl(api("files.content", done.output_file_id))
        if done.output_file_id
        else [],
    }


@pytest.fixture(scope="module")
def keyed() -> Iterator[MockServer]:
    with MockServer(ServerConfig(port=0, api_key="sk-batch")) as server:
        yield server


def test_batches_lines_pass_the_api_key(keyed: MockServer, portal: BlockingPortal) -> None:
    api = FilesApi("sync", keyed, portal, api_key="sk-batch")
    try:
        result = run(api)
    finally:
        api.close()

    assert result["batch"].request_counts.completed == 2
    assert [line["response"]["status_code"] for line in result["output"]] == [200, 200]


def test_batches_lines_served_in_the_batch_test_scope(
    server: MockServer, portal: BlockingPortal
) -> None:
    scope = server.engine.scope("t-batch")
    scope.add(
        Scenario.model_validate(
            {"name": "mine", "stubs": [{"id": "mine", "respond": {"content": "scoped"}}]}
        )
    )
    api = FilesApi("sync", server, portal, default_headers={"X-Mockgpt-Test": "t-batch"})
    try:
        result = run(api)
        lines = [e for e in scope.entries() if e.path == CHAT]
    finally:
        api.close()
        scope.reset()

    texts = [
        line["response"]["body"]["choices"][0]["message"]["content"] for line in result["output"]
    ]
    assert texts == ["scoped", "scoped"]
    assert [e.stub for e in lines] == ["mine", "mine"]
