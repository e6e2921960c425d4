"""The request journal: what came in and what went out, in order, bounded in size.

Each entry is recorded when its request arrives and settled when its response ends; a
listener (the admin API's live feed) hears of each entry as it settles. An entry's bodies are
kept as bytes; ``JournalEntry.to_dict`` decodes them (JSON, SSE or NDJSON events) only when
the journal is read.
"""

from __future__ import annotations

import bisect
import json
import re
import threading
import time
from array import array
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

from mockgpt.types import JSONObject, JSONValue

TEST_HEADER = b"x-mockgpt-test"
"""The request header naming a request's test id, unless the server names another."""
_FAMILY_OF_SEGMENT = {
    "completions": "completions",
    "embeddings": "embeddings",
    "responses": "responses",
    "conversations": "conversations",
    "assistants": "assistants",
    "threads": "assistants",
    "models": "models",
    "moderations": "moderations",
    "images": "images",
    "realtime": "realtime",
    "files": "files",
    "batches": "batches",
}
"""API family by the first segment of an OpenAI path (``/v1`` removed)."""
_AUDIO = {
    "speech": "audio.speech",
    "transcriptions": "audio.transcriptions",
    "translations": "audio.translations",
}


def endpoint_of(path: str) -> str | None:
    """The API family of a request path; None for a path of no family.

    ``/v1/chat/completions`` is ``chat.completions``; ``/v1/threads/...`` and
    ``/v1/assistants/...`` are ``assistants``; Ollama's ``/api/embed`` and ``/api/embeddings``
    are ``embeddings`` (the stubs that answer them), every other ``/api/...`` path is Ollama's
    native API, ``ollama``; the others are ``completions``, ``embeddings``, ``responses``,
    ``conversations``, ``models``, ``realtime``, ``files`` and ``batches``, with or without
    the ``/v1`` prefix.
    """
    if path.startswith("/api/"):
        return "embeddings" if path in ("/api/embed", "/api/embeddings") else "ollama"
    segments = path.removeprefix("/v1").split("/")
    if len(segments) < 2 or segments[0]:
        return None
    if segments[1] == "chat":
        return "chat.completions" if segments[2:3] == ["completions"] else None
    if segments[1] == "audio":
        return _AUDIO.get(segments[2]) if len(segments) > 2 else None
    return _FAMILY_OF_SEGMENT.get(segments[1])


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
        seq: the entry's number in the journal, from 1 in arrival order (0 until recorded).
        test_header: the header naming the test id (lower case; the server's
            ``test_header``).
        sent_ms: for a stream, after each write, the bytes of the response kept so far and
            the ms since the request arrived, flat (``[bytes, ms, bytes, ms, ...]``, 16 bytes
            a write, counted in the journal's ``max_bytes``): when each event was sent.
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
    seq: int = 0
    test_header: bytes = TEST_HEADER
    sent_ms: array[float] = field(default_factory=lambda: array("d"))

    @cached_property
    def test_id(self) -> str | None:
        """The test id the request was sent with (its ``test_header``), None without one."""
        for key, value in self.raw_headers:
            if key.lower() == self.test_header:
                return value.decode("latin-1") or None
        return None

    @property
    def endpoint(self) -> str | None:
        """The API family (``endpoint_of(path)``), e.g. ``chat.completions``."""
        return endpoint_of(self.path)

    @property
    def model(self) -> str | None:
        """The ``model`` of the request body; None when it has none."""
        body = self.json
        model = body.get("model") if isinstance(body, dict) else None
        return model if isinstance(model, str) else None

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
        """A JSON-ready view of the entry: its fields, and the bodies decoded.

        ``request.body`` and ``response.body`` are the parsed JSON (a string when not JSON,
        None when empty); a stream's ``response.events`` lists each event as
        ``{"t_ms", "data", "event"}`` (``t_ms``: ms after the request arrived; ``data``:
        parsed JSON or a string such as ``[DONE]``). ``body`` and ``response_body`` keep the
        bodies as text, as the journal first showed them.
        """
        headers = self.headers
        response: JSONObject
        if self.stream:
            response = {"events": self.events()}
        else:
            response = {"body": _parsed(self.response_body)}
        return {
            "id": self.request_id,
            "seq": self.seq,
            "test_id": self.test_id,
            "method": self.method,
            "path": self.path,
            "endpoint": self.endpoint,
            "model": self.model,
            "status": self.status,
            "stub": self.stub,
            "unmatched": self.fallback,
            "started": self.started,
            "duration_ms": self.duration_ms,
            "stream": self.stream,
            "complete": self.complete,
            "disconnected": self.disconnected,
            "truncated": list(self.truncated),
            "request": {"headers": dict(headers), "body": _parsed(self.body)},
            "response": response,
            "misses": dict(self.misses),
            "fallback": self.fallback,
            "request_id": self.request_id,
            "headers": dict(headers),
            "body": self.body.decode("utf-8", "replace"),
            "response_body": self.response_body.decode("utf-8", "replace"),
        }

    def events(self) -> list[JSONValue]:
        """The events of a streamed response, each ``{"t_ms", "data", "event"}``.

        SSE events (``data:`` lines joined, ``event:`` when named; comments skipped), or for
        Ollama's NDJSON (``/api/``) one event per line.
        """
        body = self.response_body
        if self.path.startswith("/api/"):
            spans = [(m.group(), m.end()) for m in _LINE.finditer(body)]
        else:
            spans = []
            start = 0
            for end_match in _EVENT_END.finditer(body):
                spans.append((body[start : end_match.start()], end_match.end()))
                start = end_match.end()
        offsets, times = self.sent_ms[0::2], self.sent_ms[1::2]
        events: list[JSONValue] = []
        for block, end in spans:
            name, data = _sse_fields(block) if not self.path.startswith("/api/") else (None, block)
            if data is None:
                continue
            at = bisect.bisect_left(offsets, end)
            t_ms = times[at] if at < len(times) else self.duration_ms
            events.append({"t_ms": t_ms, "data": _parsed(data), "event": name})
        return events


_EVENT_END = re.compile(rb"\r\n\r\n|\n\n|\r\r")
_LINE = re.compile(rb"[^\r\n]+")


def _sse_fields(block: bytes) -> tuple[str | None, bytes | None]:
    """An SSE event's ``event`` name and joined ``data`` (None when it has no data)."""
    name: str | None = None
    data: list[bytes] = []
    for line in block.splitlines():
        field_name, _, value = line.partition(b":")
        value = value[1:] if value.startswith(b" ") else value
        if field_name == b"data":
            data.append(value)
        elif field_name == b"event":
            name = value.decode("utf-8", "replace")
    return name, b"\n".join(data) if data else None


def _parsed(raw: bytes) -> JSONValue:
    """``raw`` parsed as JSON; the text itself when it is not JSON; None when empty."""
    if not raw:
        return None
    try:
        value: JSONValue = json.loads(raw)
    except (ValueError, RecursionError):
        return raw.decode("utf-8", "replace")
    return value


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
    (the newest entry always stays). Entries of every test id share these bounds.

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
        self._seq = 0
        self._listeners: list[Callable[[JournalEntry], None]] = []

    def record(self, entry: JournalEntry) -> JournalEntry:
        """Append ``entry`` (dropping the oldest when full), number it and return it."""
        with self._lock:
            if self._entries.maxlen == 0:
                return entry
            if len(self._entries) == self._entries.maxlen:
                self._forget(self._entries[0])
            self._seq += 1
            entry.seq = self._seq
            self._entries.append(entry)
            self._live.add(id(entry))
        return entry

    def settle(self, entry: JournalEntry) -> None:
        """Count ``entry``'s bodies, now final; drop the oldest entries over ``max_bytes``.

        Then every listener hears of ``entry``.
        """
        with self._lock:
            if id(entry) not in self._live:
                return  # dropped already, or the journal is off
            size = len(entry.body) + len(entry.response_body) + 8 * len(entry.sent_ms)
            self._bytes += size - self._sizes.get(id(entry), 0)
            self._sizes[id(entry)] = size
            while self._bytes > self.max_bytes and len(self._entries) > 1:
                self._forget(self._entries.popleft())
        for listener in self._listeners:
            listener(entry)

    def listen(self, listener: Callable[[JournalEntry], None]) -> Callable[[], None]:
        """Call ``listener(entry)`` as each entry settles, from the thread that settles it.

        Returns:
            The function that stops it.
        """
        with self._lock:
            self._listeners = [*self._listeners, listener]

        def stop() -> None:
            with self._lock:
                self._listeners = [x for x in self._listeners if x is not listener]

        return stop

    def _forget(self, entry: JournalEntry) -> None:
        self._live.discard(id(entry))
        self._bytes -= self._sizes.pop(id(entry), 0)

    def entries(self, test_id: str | None = None) -> list[JournalEntry]:
        """A snapshot of the entries, oldest first: every one, or those of ``test_id``."""
        with self._lock:
            entries = list(self._entries)
        if test_id is None:
            return entries
        return [e for e in entries if e.test_id == test_id]

    def find(self, request_id: str) -> JournalEntry | None:
        """The entry whose ``request_id`` (``x-request-id``) is given, if still kept."""
        with self._lock:
            return next((e for e in self._entries if e.request_id == request_id), None)

    def clear(self, test_id: str | None = None) -> int:
        """Forget every entry, or those of ``test_id``; returns how many were forgotten."""
        with self._lock:
            if test_id is None:
                count = len(self._entries)
                self._entries.clear()
                self._sizes.clear()
                self._live.clear()
                self._bytes = 0
                return count
            gone = [e for e in self._entries if e.test_id == test_id]
            for entry in gone:
                self._forget(entry)
            kept = [e for e in self._entries if id(e) in self._live]
            self._entries.clear()
            self._entries.extend(kept)
            return len(gone)

    def replace(self, entries: list[JournalEntry]) -> None:
        """Hold ``entries`` (numbered already, oldest first) instead of those kept.

        A shared state (``--state``) refreshes each process's journal so from the store.
        """
        with self._lock:
            self._entries.clear()
            self._sizes.clear()
            self._live.clear()
            self._bytes = 0
            for entry in entries[-self._entries.maxlen :] if self._entries.maxlen else ():
                self._entries.append(entry)
                self._live.add(id(entry))
                size = len(entry.body) + len(entry.response_body) + 8 * len(entry.sent_ms)
                self._sizes[id(entry)] = size
                self._bytes += size

    def __len__(self) -> int:
        return len(self._entries)
