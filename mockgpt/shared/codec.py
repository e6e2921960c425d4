r"""How shared state is written in the store: journal entries and stub changes as JSON.

A journal entry is one line of text, ``<test id>\\t<body bytes>\\t<JSON>``, so that a Lua
script in the store can drop one test id's entries and keep the byte cap without decoding
JSON; bodies travel as base64 inside the JSON. A stub change (``add``, ``replace``,
``delete``, ``delete_added``, ``reset``) is a JSON object replayed by every process.
"""

from __future__ import annotations

import base64
import json
from array import array
from typing import Any

from pydantic import BaseModel

from mockgpt.journal import JournalEntry


def entry_size(entry: JournalEntry) -> int:
    """The bytes an entry counts against the journal's cap (as the in-memory journal counts)."""
    return len(entry.body) + len(entry.response_body) + 8 * len(entry.sent_ms)


def encode_entry(entry: JournalEntry) -> str:
    """``entry`` as one line of text (see the module doc); its ``seq`` is the store's to give."""
    fields = {
        "request_id": entry.request_id,
        "method": entry.method,
        "path": entry.path,
        "headers": [[k.decode("latin-1"), v.decode("latin-1")] for k, v in entry.raw_headers],
        "body": base64.b64encode(entry.body).decode(),
        "status": entry.status,
        "response_body": base64.b64encode(entry.response_body).decode(),
        "stream": entry.stream,
        "started": entry.started,
        "duration_ms": entry.duration_ms,
        "disconnected": entry.disconnected,
        "complete": entry.complete,
        "stub": entry.stub,
        "fallback": entry.fallback,
        "misses": entry.misses,
        "truncated": list(entry.truncated),
        "test_header": entry.test_header.decode("latin-1"),
        "sent_ms": list(entry.sent_ms),
    }
    test_id = (entry.test_id or "").replace("\t", " ")
    return f"{test_id}\t{entry_size(entry)}\t{json.dumps(fields, separators=(',', ':'))}"


def decode_entry(line: bytes | str, seq: int) -> JournalEntry:
    """The entry written by ``encode_entry``, numbered ``seq``.

    Raises:
        ValueError: ``line`` is not an encoded entry.
    """
    text = line.decode() if isinstance(line, bytes) else line
    fields = json.loads(text.split("\t", 2)[2])
    return JournalEntry(
        request_id=fields["request_id"],
        method=fields["method"],
        path=fields["path"],
        raw_headers=[(k.encode("latin-1"), v.encode("latin-1")) for k, v in fields["headers"]],
        body=base64.b64decode(fields["body"]),
        status=fields["status"],
        response_body=base64.b64decode(fields["response_body"]),
        stream=fields["stream"],
        started=fields["started"],
        duration_ms=fields["duration_ms"],
        disconnected=fields["disconnected"],
        complete=fields["complete"],
        stub=fields["stub"],
        fallback=fields["fallback"],
        misses=fields["misses"],
        truncated=tuple(fields["truncated"]),
        seq=seq,
        test_header=fields["test_header"].encode("latin-1"),
        sent_ms=array("d", fields["sent_ms"]),
    )


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
