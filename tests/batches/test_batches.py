"""``/v1/batches`` through the official client over the socket: each line answered through
the pipeline as the same request alone, stubs and faults per line, the output and error files,
``request_counts``, the lifecycle, cancel, list and the journal."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import httpx
import openai
import pytest

from mockgpt.server import MockServer
from mockgpt.testing.calls import Call
from tests.batches.conftest import CHAT, MODEL, FilesApi, chat_line, jsonl, read_jsonl

THREE = [chat_line("a", "alpha"), chat_line("b", "bravo"), chat_line("c", "charlie")]


def create(files_api: FilesApi, lines: list[Any], endpoint: str = CHAT, **extra: Any) -> Any:
    source = files_api.upload(jsonl(lines))
    return files_api(
        "batches.create",
        input_file_id=source.id,
        endpoint=endpoint,
        completion_window="24h",
        **extra,
    )


def lines_of(files_api: FilesApi, file_id: str | None) -> list[dict[str, Any]]:
    assert file_id is not None
    return read_jsonl(files_api("files.content", file_id))


def test_batches_chat_lines_answered_by_stub_and_echo(
    files_api: FilesApi, stub: Callable[..., None]
) -> None:
    stub(
        {"id": "bravo", "match": {"last_user": {"contains": "bravo"}}, "respond": {"content": "B!"}}
    )
    created = create(files_api, THREE, metadata={"job": "nightly"})

    assert (created.status, created.endpoint, created.completion_window) == (
        "validating",
        CHAT,
        "24h",
    )
    assert created.id.startswith("batch_")
    assert created.expires_at == created.created_at + 24 * 3600
    assert created.metadata == {"job": "nightly"}
    assert created.output_file_id is None

    done = files_api("batches.retrieve", created.id)

    assert done.status == "completed"
    assert done.model == MODEL
    assert (done.request_counts.total, done.request_counts.completed) == (3, 3)
    assert done.request_counts.failed == 0
    assert done.error_file_id is None
    assert None not in (done.in_progress_at, done.finalizing_at, done.completed_at)
    output = lines_of(files_api, done.output_file_id)
    assert [line["custom_id"] for line in output] == ["a", "b", "c"]
    texts = [line["response"]["body"]["choices"][0]["message"]["content"] for line in output]
    assert texts == ["alpha", "B!", "charlie"]
    for line in output:
        assert set(line) == {"id", "custom_id", "response", "error"}
        assert line["id"].startswith("batch_req_")
        assert line["error"] is None
        assert line["response"]["status_code"] == 200
        assert line["response"]["request_id"].startswith("req_")
        assert line["response"]["body"]["object"] == "chat.completion"
    usage = sum(line["response"]["body"]["usage"]["total_tokens"] for line in output)
    assert done.usage is not None
    assert done.usage.total_tokens == usage
    output_file = files_api("files.retrieve", done.output_file_id)
    assert (output_file.purpose, output_file.filename) == (
        "batch_output",
        f"{done.id}_output.jsonl",
    )


def test_batches_stub_errors_go_to_the_error_file(
    files_api: FilesApi, stub: Callable[..., None]
) -> None:
    stub(
        {"match": {"last_user": {"contains": "alpha"}}, "respond": {"error": {"status": 429}}},
        {"match": {"last_user": {"contains": "charlie"}}, "fault": {"http_error": {"status": 503}}},
    )
    created = create(files_api, THREE)

    done = files_api("batches.retrieve", created.id)

    assert done.status == "completed"
    counts = done.request_counts
    assert (counts.total, counts.completed, counts.failed) == (3, 1, 2)
    assert [line["custom_id"] for line in lines_of(files_api, done.output_file_id)] == ["b"]
    errors = lines_of(files_api, done.error_file_id)
    assert [(e["custom_id"], e["response"]["status_code"]) for e in errors] == [
        ("a", 429),
        ("c", 503),
    ]
    for line in errors:
        assert line["error"] is None  # an HTTP error is the response, as the API writes it
        assert set(line["response"]["body"]) == {"error"}


def test_batches_invalid_line_body_goes_to_the_error_file(files_api: FilesApi) -> None:
    lines = [chat_line("ok", "fine"), {**chat_line("bad", "x"), "body": {"model": MODEL}}]
    done = files_api("batches.retrieve", create(files_api, lines).id)

    (error,) = lines_of(files_api, done.error_file_id)
    assert error["custom_id"] == "bad"
    assert error["response"]["status_code"] == 400
    assert error["response"]["body"]["error"]["param"] == "messages"


def test_batches_each_line_in_the_journal(files_api: FilesApi, server: MockServer) -> None:
    created = create(files_api, THREE)
    before = [e.path for e in server.engine.journal.entries()]
    files_api("batches.retrieve", created.id)
    files_api("batches.retrieve", created.id)  # the lines ran once

    entries = server.engine.journal.entries()
    lines = [Call(e, i) for i, e in enumerate(entries) if e.path == CHAT]

    assert CHAT not in before  # nothing ran at creation
    assert [call.endpoint for call in lines] == ["chat.completions"] * 3
    assert [call.last_user for call in lines] == ["alpha", "bravo", "charlie"]
    assert {call.headers["x-mockgpt-batch-id"] for call in lines} == {created.id}
    batch_calls = [Call(e, i).endpoint for i, e in enumerate(entries) if "batches" in e.path]
    assert batch_calls == ["batches"] * 3


@pytest.mark.parametrize(
    ("endpoint", "body", "kind"),
    [
        ("/v1/embeddings", {"model": "text-embedding-3-small", "input": "hi"}, "list"),
        ("/v1/completions", {"model": "gpt-3.5-turbo-instruct", "prompt": "hi"}, "text_completion"),
        ("/v1/responses", {"model": MODEL, "input": "hi"}, "response"),
    ],
    ids=["embeddings", "completions", "responses"],
)
def test_batches_other_endpoints(
    files_api: FilesApi, endpoint: str, body: dict[str, Any], kind: str
) -> None:
    lines = [{"custom_id": "x", "method": "POST", "url": endpoint, "body": body}]
    done = files_api("batches.retrieve", create(files_api, lines, endpoint=endpoint).id)

    (line,) = lines_of(files_api, done.output_file_id)
    assert line["response"]["body"]["object"] == kind


def test_batches_scripted_lifecycle_polls(
    files_api: FilesApi, stub: Callable[..., None], server: MockServer
) -> None:
    stub({"id": "slow", "match": {"endpoint": "batches"}, "respond": {"lifecycle": {"polls": 3}}})
    created = create(files_api, THREE)

    seen = [files_api("batches.retrieve", created.id) for _ in range(3)]

    assert [b.status for b in seen] == ["in_progress", "in_progress", "completed"]
    assert seen[0].in_progress_at is not None
    assert seen[0].output_file_id is None
    assert seen[2].request_counts.completed == 3
    (batch_create,) = [
        e for e in server.engine.journal.entries() if e.method == "POST" and "batches" in e.path
    ]
    assert batch_create.stub == "slow"


@pytest.mark.parametrize(
    ("error", "code", "message"),
    [
        ({"status": 500, "code": "model_down", "message": "down"}, "model_down", "down"),
        (None, "batch_failed", "The batch failed: stub 'test.stubs[0]' ends it so"),
    ],
    ids=["with-error", "plain"],
)
def test_batches_scripted_failure(
    files_api: FilesApi,
    stub: Callable[..., None],
    error: dict[str, Any] | None,
    code: str,
    message: str,
) -> None:
    respond: dict[str, Any] = {"lifecycle": {"end": "failed"}}
    if error is not None:
        respond["error"] = error
    stub({"match": {"endpoint": "batches"}, "respond": respond})
    created = create(files_api, THREE)  # the error fails the batch, not the create
    done = files_api("batches.retrieve", created.id)

    assert created.status == "validating"
    assert done.status == "failed"
    assert done.failed_at is not None
    assert done.output_file_id is None
    assert done.errors is not None
    (failure,) = done.errors.data
    assert failure.code == code
    assert failure.message is not None
    assert failure.message.startswith(message)


def test_batches_scripted_expiry_writes_batch_expired_lines(
    files_api: FilesApi, stub: Callable[..., None], server: MockServer
) -> None:
    stub({"match": {"endpoint": "batches"}, "respond": {"lifecycle": {"end": "expired"}}})
    done = files_api("batches.retrieve", create(files_api, THREE).id)

    assert done.status == "expired"
    assert done.expired_at is not None
    counts = done.request_counts
    assert (counts.total, counts.completed, counts.failed) == (3, 0, 3)
    errors = lines_of(files_api, done.error_file_id)
    assert [(e["custom_id"], e["response"], e["error"]["code"]) for e in errors] == [
        ("a", None, "batch_expired"),
        ("b", None, "batch_expired"),
        ("c", None, "batch_expired"),
    ]
    assert not [e for e in server.engine.journal.entries() if e.path == CHAT]


def test_batches_stub_error_answers_the_create(
    files_api: FilesApi, stub: Callable[..., None]
) -> None:
    stub({"match": {"endpoint": "batches"}, "respond": {"error": {"status": 429}}})

    with pytest.raises(openai.RateLimitError):
        create(files_api, THREE)


def test_batches_lifecycle_end_not_of_a_batch_is_500(
    http: httpx.Client, files_api: FilesApi, stub: Callable[..., None]
) -> None:
    stub({"match": {"endpoint": "batches"}, "respond": {"lifecycle": {"end": "incomplete"}}})

    with pytest.raises(openai.InternalServerError) as caught:
        create(files_api, THREE)

    assert "incomplete" in caught.value.message


def test_batches_cancel(files_api: FilesApi, stub: Callable[..., None], server: MockServer) -> None:
    stub({"match": {"endpoint": "batches"}, "respond": {"lifecycle": {"polls": 5}}})
    created = create(files_api, THREE)
    files_api("batches.retrieve", created.id)

    cancelling = files_api("batches.cancel", created.id)
    cancelled = files_api("batches.retrieve", created.id)
    again = files_api("batches.cancel", created.id)

    assert cancelling.status == "cancelling"
    assert cancelling.cancelling_at is not None
    assert cancelled.status == "cancelled"
    assert cancelled.cancelled_at is not None
    assert again.status == "cancelled"
    assert (cancelled.output_file_id, cancelled.error_file_id) == (None, None)
    assert not [e for e in server.engine.journal.entries() if e.path == CHAT]


def test_batches_cancel_after_completion_changes_nothing(files_api: FilesApi) -> None:
    done = files_api("batches.retrieve", create(files_api, THREE).id)

    assert files_api("batches.cancel", done.id) == done


def test_batches_list_newest_first(files_api: FilesApi) -> None:
    first = create(files_api, THREE)
    second = create(files_api, THREE)

    listed = files_api("batches.list").items
    page = files_api("batches.list", limit=1).page

    assert [b.id for b in listed] == [second.id, first.id]
    assert [b.status for b in listed] == ["validating", "validating"]  # a list reads no job
    assert ([b.id for b in page.data], page.has_more) == ([second.id], True)
    assert [b.id for b in files_api("batches.list", after=second.id).items] == [first.id]


def test_batches_unknown_id_is_404(files_api: FilesApi) -> None:
    with pytest.raises(openai.NotFoundError):
        files_api("batches.retrieve", "batch_nope")
    with pytest.raises(openai.NotFoundError):
        files_api("batches.cancel", "batch_nope")


def test_batches_forgotten_by_a_reset_of_stored(files_api: FilesApi, server: MockServer) -> None:
    created = create(files_api, THREE)
    server.engine.reset(["stored"])

    with pytest.raises(openai.NotFoundError):
        files_api("batches.retrieve", created.id)


def test_batches_seeded_servers_write_the_same_output(
    files_api: FilesApi, server: MockServer
) -> None:
    contents = []
    for _ in range(2):
        server.engine.reset()
        server.engine.seed_ids(7)
        done = files_api("batches.retrieve", create(files_api, THREE).id)
        contents.append(files_api("files.content", done.output_file_id))
    server.engine.seed_ids(None)

    assert contents[0] == contents[1]
    assert json.loads(contents[0].splitlines()[0])["id"].startswith("batch_req_")


def test_batches_only_batch_stubs_are_asked(
    files_api: FilesApi, stub: Callable[..., None], server: MockServer
) -> None:
    """A stub for every request answers the lines, but neither counts nor moves its sequence
    on the batch's creation."""
    stub({"id": "any", "sequence": [{"content": "first"}, {"content": "second"}]})
    done = files_api("batches.retrieve", create(files_api, THREE[:2]).id)

    output = lines_of(files_api, done.output_file_id)
    texts = [line["response"]["body"]["choices"][0]["message"]["content"] for line in output]
    assert texts == ["first", "second"]
    (batch_create,) = [e for e in server.engine.journal.entries() if e.path == "/v1/batches"]
    assert (batch_create.stub, batch_create.fallback) == (None, False)


def test_batches_time_driven_end_runs_on_its_own(
    files_api: FilesApi, stub: Callable[..., None], server: MockServer
) -> None:
    """A job due at once (``after_ms: 0``) is created ``validating``, then ends by itself:
    its lines run with no read (each in the journal), and a list (no poll) shows it ended."""
    stub({"match": {"endpoint": "batches"}, "respond": {"lifecycle": {"after_ms": 0}}})
    created = create(files_api, THREE)
    deadline = time.monotonic() + 20
    while len([e for e in server.engine.journal.entries() if e.path == CHAT]) < 3:
        assert time.monotonic() < deadline, "the batch's lines never ran"
        time.sleep(0.01)
    while (listed := files_api("batches.list").items[0]).status == "finalizing":
        assert time.monotonic() < deadline, "the batch never left finalizing"
        time.sleep(0.01)

    assert created.status == "validating"
    assert (listed.status, listed.request_counts.completed) == ("completed", 3)
