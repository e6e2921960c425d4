"""Files arriving from the shared state count against the process's bounds as uploads do."""

from __future__ import annotations

import pickle

from mockgpt.app import create_app
from mockgpt.batches_store import StoredBatch
from mockgpt.config import ServerConfig
from mockgpt.files_store import StoredFile
from mockgpt.lifecycle import Job
from mockgpt.shared.stores import KINDS, dumps, loads


def shared(name: str):  # type: ignore[no-untyped-def]
    return next(kind for kind in KINDS if kind.name == name)


def a_file(file_id: str, size: int) -> StoredFile:
    return StoredFile(file_id, "a.txt", "assistants", b"x" * size, created_at=1)


def test_files_read_from_the_store_count_their_bytes_and_keep_the_byte_bound() -> None:
    engine = create_app(ServerConfig(max_files_bytes=100)).engine
    files = shared("files").mapping(engine)

    files["file-aaaaaaaaaaaa"] = loads(dumps(a_file("file-aaaaaaaaaaaa", 60)))
    counted = engine.state.files.total_bytes
    files["file-bbbbbbbbbbbb"] = loads(dumps(a_file("file-bbbbbbbbbbbb", 30)))
    files["file-cccccccccccc"] = loads(dumps(a_file("file-cccccccccccc", 30)))  # past 100
    files.pop("file-bbbbbbbbbbbb", None)

    assert counted == 60
    assert list(files) == ["file-cccccccccccc"]  # the oldest went first, then one was popped
    assert engine.state.files.total_bytes == 30


def test_a_batch_travels_without_its_app_and_gets_the_app_of_the_process_that_reads_it() -> None:
    app = create_app(ServerConfig())
    batch = {"id": "batch_0123456789abcdef"}
    stored = StoredBatch(batch, [], Job(), [], app=app)
    store = app.engine.state.batches

    travelled = pickle.loads(dumps(stored))
    shared("batches").mapping(app.engine)[travelled.id] = travelled

    assert travelled.app is None
    assert store.get("batch_0123456789abcdef", app).app is app
