"""``/v1/files`` through the official client over the socket: upload, list, retrieve,
content, delete; errors as envelopes; the count and byte bounds of the file store."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import openai
import pytest
from anyio.from_thread import BlockingPortal

from mockgpt.config import ServerConfig
from mockgpt.server import MockServer
from tests.batches.conftest import CHAT, FilesApi, chat_line, jsonl
from tests.support import assert_envelope

DATA = b'{"custom_id": "a"}\n'


def test_files_upload_retrieve_content_delete(files_api: FilesApi) -> None:
    made = files_api.upload(DATA, name="requests.jsonl")

    assert made.id.startswith("file-")
    assert (made.object, made.bytes, made.filename, made.purpose, made.status) == (
        "file",
        len(DATA),
        "requests.jsonl",
        "batch",
        "processed",
    )
    assert made.expires_at == made.created_at + 30 * 24 * 3600  # batch files: 30 days
    assert files_api("files.retrieve", made.id) == made
    assert files_api("files.content", made.id) == DATA
    deleted = files_api("files.delete", made.id)
    assert (deleted.id, deleted.object, deleted.deleted) == (made.id, "file", True)
    with pytest.raises(openai.NotFoundError) as caught:
        files_api("files.retrieve", made.id)
    assert caught.value.body["message"] == f"No such File object: {made.id}"  # type: ignore[index]


def test_files_list_by_purpose_order_limit_after(files_api: FilesApi) -> None:
    first = files_api.upload(b"1", purpose="batch")
    second = files_api.upload(b"22", purpose="user_data", name="notes.txt")
    third = files_api.upload(b"333", purpose="batch")

    newest_first = files_api("files.list").items
    batch_only = files_api("files.list", purpose="batch").items
    oldest_first = files_api("files.list", order="asc").items
    page = files_api("files.list", limit=1).page
    after = files_api("files.list", order="asc", after=first.id).items

    assert [f.id for f in newest_first] == [third.id, second.id, first.id]
    assert [f.id for f in batch_only] == [third.id, first.id]
    assert [f.id for f in oldest_first] == [first.id, second.id, third.id]
    assert ([f.id for f in page.data], page.has_more) == ([third.id], True)
    assert [f.id for f in after] == [second.id, third.id]


def test_files_expires_after_sets_expires_at(files_api: FilesApi) -> None:
    made = files_api(
        "files.create",
        file=("n.txt", b"x"),
        purpose="user_data",
        expires_after={"anchor": "created_at", "seconds": 3600},
    )
    plain = files_api.upload(b"x", purpose="user_data")

    assert made.expires_at == made.created_at + 3600
    assert plain.expires_at is None


@pytest.mark.parametrize(
    ("files", "data", "param", "code"),
    [
        ({"file": ("a.jsonl", b"x")}, {}, "purpose", "missing_required_parameter"),
        ({"file": ("a.jsonl", b"x")}, {"purpose": "batch_output"}, "purpose", "invalid_value"),
        ({}, {"purpose": "batch"}, "file", "missing_required_parameter"),
        (
            {"file": ("a.jsonl", b"x")},
            {
                "purpose": "batch",
                "expires_after[anchor]": "created_at",
                "expires_after[seconds]": "60",
            },
            "expires_after.seconds",
            "invalid_value",
        ),
    ],
    ids=["no-purpose", "output-purpose", "no-file", "short-expiry"],
)
def test_files_upload_refused_with_envelope(
    http: httpx.Client, files: dict, data: dict, param: str, code: str
) -> None:
    files = files or {"other": ("o.txt", b"o")}  # still a multipart body
    response = http.post("/v1/files", files=files, data=data)

    assert_envelope(response, 400, param=param, code=code)


def test_files_upload_not_multipart_is_400(http: httpx.Client) -> None:
    response = http.post("/v1/files", json={"purpose": "batch"})

    assert_envelope(response, 400, param=None, code="invalid_value")


def test_files_unknown_id_is_404_everywhere(http: httpx.Client) -> None:
    for method, path in [
        ("GET", "/v1/files/file-nope"),
        ("GET", "/v1/files/file-nope/content"),
        ("DELETE", "/v1/files/file-nope"),
    ]:
        assert_envelope(http.request(method, path), 404, param=None)


def test_files_forgotten_by_a_reset_of_stored(server: MockServer, files_api: FilesApi) -> None:
    made = files_api.upload(DATA)

    assert server.engine.reset(["stored"]) == ["stored"]

    with pytest.raises(openai.NotFoundError):
        files_api("files.retrieve", made.id)


# -- the bounds ---------------------------------------------------------------------------
CAP = 1000


@pytest.fixture(scope="module")
def small() -> Iterator[MockServer]:
    """A server that keeps 1000 bytes of files, at most 3 files, bodies up to 4000 bytes."""
    config = ServerConfig(port=0, max_files_bytes=CAP, max_stored=3, max_body_bytes=4000)
    with MockServer(config) as server:
        yield server


@pytest.fixture
def small_api(small: MockServer, portal: BlockingPortal) -> Iterator[FilesApi]:
    small.engine.reset()
    api = FilesApi("sync", small, portal)
    yield api
    api.close()


def test_files_byte_cap_drops_the_oldest(small: MockServer, small_api: FilesApi) -> None:
    first = small_api.upload(b"a" * 400)
    second = small_api.upload(b"b" * 400)
    third = small_api.upload(b"c" * 400)  # 1200 bytes: the first goes

    kept = [f.id for f in small_api("files.list").items]

    assert kept == [third.id, second.id]
    assert small.engine.state.files.total_bytes == 800
    with pytest.raises(openai.NotFoundError):
        small_api("files.content", first.id)


def test_files_count_cap_drops_the_oldest(small_api: FilesApi) -> None:
    made = [small_api.upload(b"x") for _ in range(4)]

    kept = [f.id for f in small_api("files.list", order="asc").items]

    assert kept == [f.id for f in made[1:]]


def test_files_upload_over_the_byte_cap_is_413(small: MockServer, small_api: FilesApi) -> None:
    kept = small_api.upload(b"k" * 10)
    with httpx.Client(base_url=small.url, timeout=30) as http:
        response = http.post(
            "/v1/files", files={"file": ("big.jsonl", b"x" * (CAP + 1))}, data={"purpose": "batch"}
        )

    assert_envelope(response, 413, param="file", code="file_too_large")
    assert [f.id for f in small_api("files.list").items] == [kept.id]  # nothing dropped


def test_files_upload_over_the_body_cap_is_413(small: MockServer, small_api: FilesApi) -> None:
    with pytest.raises(openai.APIStatusError) as caught:
        small_api.upload(b"x" * 5000)

    assert caught.value.status_code == 413
    assert caught.value.code == "request_too_large"


def test_files_batch_output_over_the_byte_cap_is_a_batch_error(small_api: FilesApi) -> None:
    source = small_api.upload(jsonl([chat_line("a", "x" * 300), chat_line("b", "y" * 300)]))
    created = small_api(
        "batches.create", input_file_id=source.id, endpoint=CHAT, completion_window="24h"
    )

    done = small_api("batches.retrieve", created.id)

    assert done.status == "completed"
    assert done.request_counts.completed == 2
    assert done.output_file_id is None
    assert done.errors is not None
    assert [e.code for e in done.errors.data] == ["file_too_large"]
