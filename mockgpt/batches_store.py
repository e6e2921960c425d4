"""What the Batch API keeps between requests: batches, their input lines and their jobs.

A batch is made from an uploaded JSONL file whose lines are read once, at creation
(``read_input``): each line is ``{"custom_id", "method": "POST", "url", "body"}``. A file
with a line that is not JSON, a line without ``custom_id``, a repeated ``custom_id``, a
``url`` other than the batch's ``endpoint`` or a ``model`` other than the first line's makes
the batch fail (``errors.data[]``, each naming its line, 1-based), as the API does. One
``BatchStore`` per server (``ServerState.batches``), bounded in count, forgotten on reset.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from mockgpt.bounded import Bounded
from mockgpt.errors import RequestRejected
from mockgpt.lifecycle import Job
from mockgpt.types import JSONObject, JSONValue

MAX_LINES = 50_000
"""The most requests one batch may hold (spec: ``CreateBatchRequest.input_file_id``)."""
WINDOW_S = 24 * 3600
"""``completion_window: 24h``, seconds: ``expires_at`` is ``created_at`` plus this."""

DUPLICATE = (
    "The custom_id for this request is a duplicate of another request. The custom_id "
    "parameter must be unique for each individual request in a batch."
)


@dataclass(frozen=True)
class BatchLine:
    """One request of a batch.

    Attributes:
        number: its line in the input file, 1-based.
        custom_id: the caller's id, kept on its output line.
        url: the path it is sent to (the batch's ``endpoint``).
        body: its JSON body, encoded as it is sent.
        model: the body's ``model``, None without one.
    """

    number: int
    custom_id: str
    url: str
    body: bytes
    model: str | None = None


def batch_error(code: str, message: str, line: int | None, param: str | None = None) -> JSONObject:
    """A ``BatchError``: ``{"code", "message", "param", "line"}``."""
    return {"code": code, "message": message, "param": param, "line": line}


def read_input(content: bytes, endpoint: str) -> tuple[list[BatchLine], list[JSONObject]]:
    """The requests of a batch input file, and the errors that make the batch fail.

    Args:
        content: the JSONL file's bytes (blank lines are skipped).
        endpoint: the batch's ``endpoint``, e.g. ``/v1/chat/completions``.

    Returns:
        ``(lines, errors)``: the requests in file order, and ``BatchError`` objects (empty
        when the file is valid).
    """
    lines: list[BatchLine] = []
    errors: list[JSONObject] = []
    seen: set[str] = set()
    model: Any = None
    for number, raw in enumerate(content.split(b"\n"), start=1):
        if not raw.strip():
            continue
        try:
            item = json.loads(raw)
        except ValueError:
            item = None
        if not isinstance(item, dict):
            message = "This line is not parseable as valid JSON."
            errors.append(batch_error("invalid_json_line", message, number))
            continue
        problem = _line_problem(item, endpoint, seen, model)
        if problem is not None:
            errors.append({**problem, "line": number})
            continue
        custom_id, body = item["custom_id"], item["body"]
        seen.add(custom_id)
        model = body.get("model") if model is None else model
        encoded = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
        named = body.get("model")
        named = named if isinstance(named, str) else None
        lines.append(BatchLine(number, custom_id, endpoint, encoded, named))
    if not lines and not errors:
        errors.append(batch_error("empty_file", "The batch input file is empty.", None))
    elif len(lines) > MAX_LINES:
        errors.append(
            batch_error(
                "too_many_tasks",
                f"The batch input file has {len(lines)} requests; a batch may hold at most "
                f"{MAX_LINES}.",
                None,
            )
        )
    return lines, errors


def _line_problem(
    item: dict[str, Any], endpoint: str, seen: set[str], model: Any
) -> JSONObject | None:
    """The ``BatchError`` of one decoded line (without its ``line``), None when it is valid."""
    custom_id = item.get("custom_id")
    if not isinstance(custom_id, str) or not custom_id:
        return batch_error(
            "missing_required_parameter",
            "Missing required parameter: 'custom_id' (a non-empty string).",
            None,
            "custom_id",
        )
    if item.get("method", "POST") != "POST":
        return batch_error(
            "invalid_value",
            f"Invalid 'method': {item.get('method')!r}. Only POST is supported.",
            None,
            "method",
        )
    if item.get("url") != endpoint:
        return batch_error(
            "url_mismatch",
            f"The provided URL {item.get('url')!r} does not match the batch's endpoint "
            f"{endpoint!r}.",
            None,
            "url",
        )
    body = item.get("body")
    if not isinstance(body, dict):
        return batch_error("invalid_value", "Invalid 'body': expected a JSON object.", None, "body")
    if model is not None and body.get("model") != model:
        return batch_error(
            "model_mismatch",
            f"The provided model {body.get('model')!r} does not match the model of the other "
            f"requests in this batch ({model!r}).",
            None,
            "body.model",
        )
    if custom_id in seen:
        return batch_error("duplicate_custom_id", DUPLICATE, None, "custom_id")
    return None


@dataclass
class StoredBatch:
    """A ``batch`` object, its requests and its job.

    Attributes:
        batch: the ``Batch`` object as it stands; ``status`` and the timestamps move as the
            job does (``mockgpt.http.batches``).
        lines: the requests, in file order (empty when the input was invalid).
        job: the batch's progress (``queued`` reads as ``validating``).
        headers: the request headers each line is sent with (the test id, the API key).
        app: the ASGI app that answers the lines (the server's own). Never pickled: a
            batch read from a shared state (``--state``) gets the app of the process that
            reads it (``BatchStore.get``).
        errors: the input file's ``BatchError`` objects; the batch fails at its end when
            there are any.
        scripted_failure: the stub's error when its lifecycle ends ``failed``, a
            ``BatchError``.
        quirks: the quirks active when it was created (they shape its output lines).
        output_ttl_s: the output and error files expire this long after they are made,
            seconds (``output_expires_after``); None: they do not.
        running: its lines are being answered (a read sees ``finalizing``).
        ended: its end has been acted on (``finish``): the files are written.
        timed_elsewhere: a copy read from a shared state (``--state``) of a batch whose job
            ends by time: the timer of the process that created it ends it, a read does not.
    """

    batch: JSONObject
    lines: list[BatchLine]
    job: Job
    headers: list[tuple[bytes, bytes]]
    app: Callable[..., Any] | None = None
    errors: list[JSONObject] = field(default_factory=list)
    scripted_failure: JSONObject | None = None
    quirks: frozenset[str] = frozenset()
    output_ttl_s: int | None = None
    running: bool = False
    ended: bool = False
    timed_elsewhere: bool = False

    def __getstate__(self) -> dict[str, Any]:
        """What is pickled: every field but ``app`` (an app does not travel)."""
        return {**self.__dict__, "app": None, "timed_elsewhere": False}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self.timed_elsewhere = self.job.script.after_ms is not None

    @property
    def id(self) -> str:
        """``batch_...``."""
        return str(self.batch["id"])

    def view(self) -> JSONObject:
        """A copy of the ``Batch`` object as it stands."""
        copied: JSONObject = json.loads(json.dumps(self.batch))
        return copied


def batch_object(
    batch_id: str,
    created_at: int,
    *,
    endpoint: str,
    input_file_id: str,
    metadata: JSONValue,
    total: int,
    model: JSONValue,
) -> JSONObject:
    """A new ``Batch`` object, ``validating``, with no timestamp but ``created_at``."""
    return {
        "id": batch_id,
        "object": "batch",
        "endpoint": endpoint,
        "model": model,
        "errors": None,
        "input_file_id": input_file_id,
        "completion_window": "24h",
        "status": "validating",
        "output_file_id": None,
        "error_file_id": None,
        "created_at": created_at,
        "in_progress_at": None,
        "expires_at": created_at + WINDOW_S,
        "finalizing_at": None,
        "completed_at": None,
        "failed_at": None,
        "expired_at": None,
        "cancelling_at": None,
        "cancelled_at": None,
        "request_counts": {"total": total, "completed": 0, "failed": 0},
        "metadata": metadata,
    }


SharedEnd = Callable[[StoredBatch, Callable[[StoredBatch], Awaitable[None]]], Awaitable[None]]
"""``shared_end(stored, end)``: run ``end`` on the shared store's copy of ``stored``."""


class BatchStore:
    """Batches by id, oldest first, bounded in count (oldest dropped first)."""

    def __init__(self, size: int = 1000) -> None:
        self.batches: Bounded[str, StoredBatch] = Bounded(size)
        self.app: Callable[..., Any] | None = None
        """The app of the batches created here; it answers a batch read without one."""
        self.shared_end: SharedEnd | None = None
        """With a shared state: ends a batch by time on the store's copy and writes it back."""

    def add(self, stored: StoredBatch) -> None:
        """Keep ``stored``."""
        self.app = stored.app or self.app
        self.batches[stored.id] = stored

    def get(self, batch_id: str, app: Callable[..., Any] | None = None) -> StoredBatch:
        """The batch with ``batch_id``, with ``app`` to answer its lines when it has none.

        Raises:
            RequestRejected: 404 when there is none.
        """
        stored = self.batches.get(batch_id)
        if stored is None:
            raise RequestRejected(404, f"No batch found with id '{batch_id}'.", param="batch_id")
        stored.app = stored.app or app or self.app
        return stored

    def values(self, app: Callable[..., Any] | None = None) -> list[StoredBatch]:
        """Every batch, oldest first, each with ``app`` when it has none (as ``get``)."""
        kept = self.batches.values()
        for stored in kept:
            stored.app = stored.app or app or self.app
        return kept

    def clear(self) -> None:
        """Forget every batch."""
        self.batches.clear()
