r"""How shared state is written in the store: journal entries and stub changes.

A journal entry is one line, ``<test id>\t<body bytes>\t<fields>``, so that a Lua script in
the store can drop one test id's entries and keep the byte cap without decoding the fields
(pickled). A stub change (``add``, ``replace``, ``delete``, ``delete_added``, ``reset``) is
a JSON object replayed by every process.
"""

from __future__ import annotations

import json
import pickle
from array import array
from typing import Any

from pydantic import BaseModel

from mockgpt.journal import JournalEntry


def entry_size(entry: JournalEntry) -> int:
    """The bytes an entry counts against the journal's cap (as the in-memory journal counts)."""
    return len(entry.body) + len(entry.response_body) + 8 * len(entry.sent_ms)


_FIELDS = (
    "request_id",
    "method",
    "path",
    "raw_headers",
    "body",
    "status",
    "response_body",
    "stream",
    "started",
    "duration_ms",
    "disconnected",
    "complete",
    "stub",
    "fallback",
    "misses",
    "truncated",
    "test_header",
)
"""The fields of a ``JournalEntry`` written, in order (``sent_ms`` follows as a list)."""


def encode_entry(entry: JournalEntry) -> bytes:
    """``entry`` as one line (see the module doc); its ``seq`` is the store's to give.

    The fields travel pickled (bytes stay bytes, and it is the cheapest encoding on the
    request path's process): the store is the mock's own, as for stored objects.
    """
    fields = (*(getattr(entry, name) for name in _FIELDS), entry.sent_ms.tolist())
    test_id = (entry.test_id or "").replace("\t", " ")
    head = f"{test_id}\t{entry_size(entry)}\t".encode("utf-8", "replace")
    return head + pickle.dumps(fields, protocol=pickle.HIGHEST_PROTOCOL)


def decode_entry(line: bytes, seq: int) -> JournalEntry:
    """The entry written by ``encode_entry``, numbered ``seq``.

    Raises:
        ValueError: ``line`` is not an encoded entry.
    """
    fields = pickle.loads(line.split(b"\t", 2)[2])
    entry = JournalEntry(**dict(zip(_FIELDS, fields[:-1], strict=True)), seq=seq)
    entry.sent_ms = array("d", fields[-1])
    return entry


def encode_change(op: str, test_id: str | None, fields: dict[str, Any]) -> str:
    """A stub change as JSON: ``{"op", "test_id", ...fields}``; pydantic models as dumped."""
    out: dict[str, Any] = {"op": op, "test_id": test_id}
    for name, value in fields.items():
        if isinstance(value, BaseModel):
            value = value.model_dump(mode="json", exclude_unset=True)
        elif isinstance(value, (list, tuple, frozenset, set)):
            value = list(value)
        out[name] = value
    return json.dumps(out, separators=(",", ":"))


def decode_change(raw: bytes | str) -> dict[str, Any]:
    """The change written by ``encode_change``."""
    change: dict[str, Any] = json.loads(raw)
    return change
