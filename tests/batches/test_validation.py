"""A batch's input file is checked as the API checks it: a bad file makes a batch that fails
with ``errors.data[]`` naming each line; a bad create is an envelope."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from mockgpt.server import MockServer
from tests.batches.conftest import CHAT, FilesApi, chat_line, jsonl
from tests.support import assert_envelope


def failed_batch(files_api: FilesApi, content: bytes) -> Any:
    source = files_api.upload(content)
    created = files_api(
        "batches.create", input_file_id=source.id, endpoint=CHAT, completion_window="24h"
    )
    assert created.status == "validating"
    return files_api("batches.retrieve", created.id)


def test_batches_invalid_lines_fail_the_batch(files_api: FilesApi, server: MockServer) -> None:
    content = jsonl(
        [
            chat_line("a", "fine"),
            b"{not json",
            {**chat_line("x", "no id"), "custom_id": None},
            chat_line("a", "again"),
            {**chat_line("u", "wrong url"), "url": "/v1/embeddings"},
            chat_line("m", "other model", model="gpt-4o"),
            b"[1, 2]",
        ]
    )

    done = failed_batch(files_api, content)

    assert done.status == "failed"
    assert done.failed_at is not None
    assert done.in_progress_at is None
    assert done.errors is not None
    found = [(e.line, e.code, e.param) for e in done.errors.data]
    assert found == [
        (2, "invalid_json_line", None),
        (3, "missing_required_parameter", "custom_id"),
        (4, "duplicate_custom_id", "custom_id"),
        (5, "url_mismatch", "url"),
        (6, "model_mismatch", "body.model"),
        (7, "invalid_json_line", None),
    ]
    assert done.errors.data[0].message == "This line is not parseable as valid JSON."
    assert (done.output_file_id, done.error_file_id) == (None, None)
    assert not [e for e in server.engine.journal.entries() if e.path == CHAT]


def test_batches_empty_file_fails(files_api: FilesApi) -> None:
    done = failed_batch(files_api, b"\n\n")

    assert done.errors is not None
    assert [(e.code, e.line) for e in done.errors.data] == [("empty_file", None)]


def test_batches_blank_lines_are_skipped(files_api: FilesApi) -> None:
    content = jsonl([chat_line("a", "x"), b"", chat_line("b", "y")]) + b"\n"

    done = failed_batch(files_api, content)

    assert (done.status, done.request_counts.completed) == ("completed", 2)


BODY = {"input_file_id": "", "endpoint": CHAT, "completion_window": "24h"}


@pytest.mark.parametrize(
    ("change", "status", "param"),
    [
        ({"input_file_id": "file-nope"}, 404, "input_file_id"),
        ({"endpoint": "/v1/videos"}, 400, "endpoint"),
        ({"endpoint": "/v1/models"}, 400, "endpoint"),
        ({"completion_window": "1h"}, 400, "completion_window"),
        ({"metadata": {"k": 1}}, 400, "metadata.k"),
    ],
    ids=["unknown-file", "not-served", "not-a-batch-endpoint", "window", "metadata"],
)
def test_batches_create_refused_with_envelope(
    http: httpx.Client, change: dict[str, Any], status: int, param: str
) -> None:
    source = http.post("/v1/files", files={"file": ("a.jsonl", b"{}")}, data={"purpose": "batch"})
    body = {**BODY, "input_file_id": source.json()["id"], **change}

    assert_envelope(http.post("/v1/batches", json=body), status, param=param)


def test_batches_input_file_of_another_purpose_is_400(http: httpx.Client) -> None:
    source = http.post(
        "/v1/files", files={"file": ("a.jsonl", b"{}")}, data={"purpose": "user_data"}
    )
    body = {**BODY, "input_file_id": source.json()["id"]}

    assert_envelope(
        http.post("/v1/batches", json=body), 400, param="input_file_id", code="invalid_value"
    )


def test_batches_output_file_as_input_is_400(files_api: FilesApi, http: httpx.Client) -> None:
    source = files_api.upload(jsonl([chat_line("a", "x")]))
    created = files_api(
        "batches.create", input_file_id=source.id, endpoint=CHAT, completion_window="24h"
    )
    done = files_api("batches.retrieve", created.id)
    body = {**BODY, "input_file_id": done.output_file_id}

    assert_envelope(http.post("/v1/batches", json=body), 400, param="input_file_id")
