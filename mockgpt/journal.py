"""The request journal: what came in and what went out, in order, bounded in size."""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field

from mockgpt.types import JSONObject, JSONValue


@dataclass
class JournalEntry:
    """One request and its response.

    Attributes:
        request_id: the ``x-request-id`` sent back.
        method: HTTP method.
        path: URL path, e.g. ``/v1/chat/completions``.
        raw_headers: the request headers as ASGI gives them (read ``headers`` instead).
        body: the request body bytes.
        status: response status; 0 while the response has not started.
        response_body: the bytes sent (for a stream, every SSE event sent).
        stream: whether the response was an SSE stream.
        started: Unix time in seconds when the request arrived.
        duration_ms: milliseconds until the response ended.
        disconnected: whether the client went away before the response ended.
        complete: whether the whole response was sent.
        stub: id of the stub that answered, None for the fallback.
        fallback: whether the fallback answered: the stubs were asked and none matched
            (False when a stub answered, or when the request never reached the stubs:
            ``/v1/models``, stored objects, a body rejected before matching).
        misses: for each stub that did not match, why (stub id -> reason).
        truncated: the journal kept only the first ``journal_body_bytes`` of the request
            body (``"body"``) or of the response (``"response_body"``).
    """

    request_id: str
    method: str
    path: str
    raw_headers: list[tuple[bytes, bytes]]
    body: bytes
    status: int = 0
    response_body: bytes = b""
    stream: bool = False
    started: float = field(default_factory=time.time)
    duration_ms: float = 0.0
    disconnected: bool = False
    complete: bool = False
    stub: str | None = None
    fallback: bool = False
    misses: dict[str, str] = field(default_factory=dict)
    truncated: tuple[str, ...] = ()

    @property
    def headers(self) -> dict[str, str]:
        """Request headers, lower-case names; every credential header is masked.

        Decoded when read, not when the request arrives: most entries are never read.
        """
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in self.raw_headers}
        for name in CREDENTIAL_HEADERS:
            if name in headers:
                headers[name] = "Bearer ***" if name == "authorization" else "***"
        return headers

    @property
    def json(self) -> JSONValue:
        """The request body decoded as JSON, or None if it is not JSON."""
        try:
            value: JSONValue = json.loads(self.body)
        except (ValueError, RecursionError):  # not JSON, or nested deeper than Python goes
            return None
        return value

    def to_dict(self) -> JSONObject:
        """A JSON-ready view of the entry (bodies as text)."""
        return {
            "request_id": self.request_id,
            "method": self.method,
            "path": self.path,
            "headers": dict(self.headers),
            "body": self.body.decode("utf-8", "replace"),
            "status": self.status,
            "response_body": self.response_body.decode("utf-8", "replace"),
            "stream": self.stream,
            "started": self.started,
            "duration_ms": self.duration_ms,
            "disconnected": self.disconnected,
            "complete": self.complete,
            "stub": self.stub,
            "fallback": self.fallback,
            "misses": dict(self.misses),
            "truncated": list(self.truncated),
        }


CREDENTIAL_HEADERS = (
    "authorization",
    "proxy-authorization",
    "api-key",
    "x-api-key",
    "cookie",
)
"""Request headers the journal never shows (``***``): keys, tokens, cookies."""


class Journal:
    """The last requests in arrival order, at most ``size`` of them and ``max_bytes`` of bodies.

    Safe to read from another thread. An entry's bodies are counted once it is finished
    (``settle``); then the oldest entries are dropped until the bodies kept fit ``max_bytes``
    (the newest entry always stays).

    Args:
        size: the most entries kept (0: none, the journal is off).
        max_bytes: the most request and response body bytes kept in all.
    """

    def __init__(self, size: int = 1000, max_bytes: int = 128 * 1024 * 1024) -> None:
        self._entries: deque[JournalEntry] = deque(maxlen=size)
        self._lock = threading.Lock()
        self.max_bytes = max_bytes
        self._bytes = 0
        self._sizes: dict[int, int] = {}  # id(entry) -> its settled body bytes
        self._live: set[int] = set()  # id() of the entries kept

    def record(self, entry: JournalEntry) -> JournalEntry:
        """Append ``entry`` (dropping the oldest when full) and return it."""
        with self._lock:
            if self._entries.maxlen == 0:
                return entry
            if len(self._entries) == self._entries.maxlen:
                self._forget(self._entries[0])
            self._entries.append(entry)
            self._live.add(id(entry))
        return entry

    def settle(self, entry: JournalEntry) -> None:
        """Count ``entry``'s bodies, now final; drop the oldest entries over ``max_bytes``."""
        with self._lock:
            if id(entry) not in self._live:
                return  # dropped already, or the journal is off
            size = len(entry.body) + len(entry.response_body)
            self._bytes += size - self._sizes.get(id(entry), 0)
            self._sizes[id(entry)] = size
            while self._bytes > self.max_bytes and len(self._entries) > 1:
                self._forget(self._entries.popleft())

    def _forget(self, entry: JournalEntry) -> None:
        self._live.discard(id(entry))
        self._bytes -= self._sizes.pop(id(entry), 0)

    def entries(self) -> list[JournalEntry]:
        """A snapshot of the entries, oldest first."""
        with self._lock:
            return list(self._entries)

    def clear(self) -> None:
        """Forget every entry."""
        with self._lock:
            self._entries.clear()
            self._sizes.clear()
            self._live.clear()
            self._bytes = 0

    def __len__(self) -> int:
        return len(self._entries)
