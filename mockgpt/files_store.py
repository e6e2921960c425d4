"""What the Files API keeps between requests: uploaded files and batch outputs, in memory.

One ``FileStore`` per server (``ServerState.files``), bounded by count and by bytes: adding a
file drops the oldest ones until both bounds hold (a dropped id reads as missing, a 404), and
a reset of the stored objects forgets them all.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass

from mockgpt.errors import RequestRejected
from mockgpt.types import JSONObject

UPLOAD_PURPOSES = ("assistants", "batch", "fine-tune", "vision", "user_data", "evals")
"""The purposes a client may upload a file for (spec: ``CreateFileRequest.purpose``)."""
MADE_PURPOSES = ("assistants_output", "batch_output", "fine-tune-results")
"""The purposes of files the API makes itself (a batch's output and error files)."""


@dataclass(frozen=True)
class StoredFile:
    """One file: its bytes and what the API says of it.

    Attributes:
        id: ``file-<24 hex>``.
        filename: the name sent with the upload (``batch_<id>_output.jsonl`` for outputs).
        purpose: one of ``UPLOAD_PURPOSES`` or ``MADE_PURPOSES``.
        content: the file's bytes.
        created_at: Unix seconds.
        expires_at: Unix seconds, None when the file does not expire.
    """

    id: str
    filename: str
    purpose: str
    content: bytes
    created_at: int
    expires_at: int | None = None

    def to_object(self) -> JSONObject:
        """The ``OpenAIFile`` object: ``{"id", "object": "file", "bytes", "created_at", ...}``."""
        return {
            "id": self.id,
            "object": "file",
            "bytes": len(self.content),
            "created_at": self.created_at,
            "expires_at": self.expires_at,
            "filename": self.filename,
            "purpose": self.purpose,
            "status": "processed",
            "status_details": None,
        }


def file_not_found(file_id: str, param: str | None = None) -> RequestRejected:
    """404 for an unknown file id, worded as the API words it."""
    return RequestRejected(404, f"No such File object: {file_id}", param=param)


class FileMap:
    """Files by id, oldest first, bounded by count and total bytes; safe across threads.

    Every way in counts a file's bytes (``__setitem__``, as an upload or a file read from a
    shared store arrives) and every way out uncounts them, so ``total_bytes`` is always the
    sum over the files kept.

    Args:
        size: the most files kept, > 0.
        max_bytes: the most bytes all files hold together, > 0.
    """

    def __init__(self, size: int, max_bytes: int) -> None:
        self.size = size
        self.max_bytes = max_bytes
        self._files: OrderedDict[str, StoredFile] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    @property
    def total_bytes(self) -> int:
        """The bytes every file kept holds together."""
        return self._bytes

    def __setitem__(self, file_id: str, stored: StoredFile) -> None:
        """Keep ``stored`` (replacing the file of that id), dropping the oldest past a bound."""
        with self._lock:
            old = self._files.pop(file_id, None)
            if old is not None:
                self._bytes -= len(old.content)
            self._files[file_id] = stored
            self._bytes += len(stored.content)
            while len(self._files) > self.size or self._bytes > self.max_bytes:
                _, dropped = self._files.popitem(last=False)
                self._bytes -= len(dropped.content)

    def get(self, file_id: str, default: StoredFile | None = None) -> StoredFile | None:
        """The file with ``file_id``, or ``default``."""
        return self._files.get(file_id, default)

    def pop(self, file_id: str, default: StoredFile | None = None) -> StoredFile | None:
        """Forget the file with ``file_id`` and return it (``default`` when there is none)."""
        with self._lock:
            stored = self._files.pop(file_id, None)
            if stored is None:
                return default
            self._bytes -= len(stored.content)
            return stored

    def __contains__(self, file_id: object) -> bool:
        return file_id in self._files

    def __len__(self) -> int:
        return len(self._files)

    def __iter__(self) -> Iterator[str]:
        with self._lock:
            return iter(list(self._files))

    def values(self) -> list[StoredFile]:
        """Every file, oldest first."""
        with self._lock:
            return list(self._files.values())

    def clear(self) -> None:
        """Forget every file."""
        with self._lock:
            self._files.clear()
            self._bytes = 0


class FileStore:
    """The Files API's files (``files``, a ``FileMap``), with the API's errors.

    Args:
        size: the most files kept, > 0.
        max_bytes: the most bytes all files hold together, > 0.
    """

    def __init__(self, size: int = 1000, max_bytes: int = 64 * 1024 * 1024) -> None:
        self.files = FileMap(size, max_bytes)
        """The files by id; with a shared state (``--state``) files read from it land here."""

    @property
    def size(self) -> int:
        """The most files kept."""
        return self.files.size

    @property
    def max_bytes(self) -> int:
        """The most bytes all files hold together."""
        return self.files.max_bytes

    @property
    def total_bytes(self) -> int:
        """The bytes every file kept holds together."""
        return self.files.total_bytes

    def add(self, stored: StoredFile) -> None:
        """Keep ``stored``, dropping the oldest files until the count and byte bounds hold.

        Raises:
            RequestRejected: 413 when the file alone is larger than ``max_bytes`` (nothing is
                dropped then).
        """
        size = len(stored.content)
        if size > self.max_bytes:
            raise RequestRejected(
                413,
                f"File too large: {size} bytes, but mockgpt keeps at most {self.max_bytes} "
                "bytes of files (ServerConfig.max_files_bytes).",
                param="file",
                code="file_too_large",
            )
        self.files[stored.id] = stored

    def get(self, file_id: str, param: str | None = None) -> StoredFile:
        """The file with ``file_id``.

        Raises:
            RequestRejected: 404 when there is none (never uploaded, deleted or dropped).
        """
        stored = self.files.get(file_id)
        if stored is None:
            raise file_not_found(file_id, param)
        return stored

    def delete(self, file_id: str) -> StoredFile:
        """Forget the file with ``file_id`` and return it.

        Raises:
            RequestRejected: 404 when there is none.
        """
        stored = self.files.pop(file_id)
        if stored is None:
            raise file_not_found(file_id)
        return stored

    def values(self) -> list[StoredFile]:
        """Every file, oldest first."""
        return self.files.values()

    def clear(self) -> None:
        """Forget every file."""
        self.files.clear()
