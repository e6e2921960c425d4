"""Record proxied exchanges as stubs of a normal scenario file, for replay without upstream.

Each request that the proxy answers becomes a stub: ``match`` holds the endpoint, the model and
the conversation (a JSON subset of the body: ``CONVERSATION_FIELDS``), ``respond`` the text,
tool calls, refusal, finish reason, usage and, for a stream, its chunking. No header or key is
ever written. The same request recorded again keeps its first answer, or, with ``sequences``,
adds to a ``sequence``. Stubs are written longest conversation first, so a longer recorded
conversation is tried before a shorter one that is a prefix of it.

The file is rewritten off the event loop, in a writer thread, so a slow disk never delays
another request. At most one rewrite is in flight: exchanges recorded meanwhile go into the
next one. Each rewrite goes to a temporary file renamed over the old one, so the file on disk
is always a whole, valid scenario; ``flush`` (called by ``Engine.aclose`` at shutdown) waits
until everything recorded is on disk.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import yaml

from mockgpt.events import Event, Finish, Refusal, TextDelta, ToolCallDelta, Usage
from mockgpt.turn import Turn

logger = logging.getLogger(__name__)


CONVERSATION_FIELDS: dict[str, tuple[str, ...]] = {
    "chat.completions": ("messages",),
    "completions": ("prompt",),
    "responses": ("input", "instructions"),
}
"""The request fields that hold the conversation, per API family: what ``match.body`` keeps.

A Responses request has no ``messages`` (``Turn.body`` adds its chat form); a chained one's
``input`` is the new turn only. Families not named here (Ollama, Assistants runs, parsed into
the chat form) keep every field of ``_OTHER_FIELDS`` the body has."""

_OTHER_FIELDS = ("messages", "prompt", "input", "instructions")


def _match_for(ctx: Turn) -> dict[str, Any]:
    body = ctx.body
    match: dict[str, Any] = {"endpoint": ctx.endpoint, "model": str(body.get("model", ""))}
    fields = CONVERSATION_FIELDS.get(ctx.endpoint, _OTHER_FIELDS)
    subset = {key: body[key] for key in fields if body.get(key) is not None}
    if subset:
        match["body"] = subset
    tools: list[str] = []
    for tool in body.get("tools") or []:  # type: ignore[union-attr]
        function = tool.get("function", tool) if isinstance(tool, dict) else None
        if isinstance(function, dict) and isinstance(function.get("name"), str):
            tools.append(str(function["name"]))
    if tools:
        match["tools"] = tools
    return match


def _respond_for(events: list[Event], seconds: list[float], timing: bool) -> dict[str, Any]:
    texts = [e.text for e in events if isinstance(e, TextDelta) and e.choice == 0]
    refusal = "".join(e.text for e in events if isinstance(e, Refusal) and e.choice == 0)
    calls: dict[int, dict[str, Any]] = {}
    fragments: dict[int, list[str]] = {}
    for e in events:
        if isinstance(e, ToolCallDelta) and e.choice == 0:
            call = calls.setdefault(e.index, {"id": e.id, "name": e.name, "arguments": ""})
            call["arguments"] += e.arguments
            fragments.setdefault(e.index, []).append(e.arguments)
    for index, pieces in fragments.items():
        if len(pieces) > 1:
            calls[index]["chunks"] = pieces  # the stream's argument deltas, as they came
    respond: dict[str, Any] = {}
    if texts:
        respond["content"] = "".join(texts)
        if len(texts) > 1:
            respond["chunking"] = {"chunks": texts}
    if refusal:
        respond["refusal"] = refusal
    if calls:
        respond["tool_calls"] = [calls[i] for i in sorted(calls)]
    finish = [e.reason for e in events if isinstance(e, Finish) and e.choice == 0]
    if finish:
        respond["finish_reason"] = finish[-1]
    usage = [e for e in events if isinstance(e, Usage)]
    if usage:
        respond["usage"] = {
            "prompt_tokens": usage[-1].prompt_tokens,
            "completion_tokens": usage[-1].completion_tokens,
        }
    return respond


class Recorder:
    """Writes proxied exchanges to ``path`` as a scenario file (created or extended).

    Args:
        path: the scenario file.
        upstream: the upstream's URL, named in the file's description.
        sequences: a request seen again adds its answer to a ``sequence``.
        timing: record each stream's time to first token and rate as the stub's ``pacing``.
        fresh: start from no stubs, so the first write replaces the file's old stubs
            (a cassette recorded again); when False, an existing file is extended.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        upstream: str = "",
        sequences: bool = False,
        timing: bool = False,
        fresh: bool = False,
    ) -> None:
        self.path = Path(path)
        self.upstream = upstream
        self.sequences = sequences
        self.timing = timing
        self._lock = threading.Lock()
        """Guards the stubs and the version counters (held briefly, never while writing)."""
        self._changed = threading.Condition(self._lock)
        self._write_lock = threading.Lock()
        """One write to disk at a time (the writer thread's, or ``save``'s)."""
        self._stubs: list[dict[str, Any]] = []
        self._by_match: dict[str, dict[str, Any]] = {}
        self._version = 0
        """Bumped by each recorded exchange."""
        self._on_disk = 0
        """The version last written to the file."""
        self._writer: threading.Thread | None = None
        if not fresh and self.path.exists():
            loaded = yaml.safe_load(self.path.read_text(encoding="utf-8")) or {}
            self._stubs = list(loaded.get("stubs") or [])
        for stub in self._stubs:
            self._by_match.setdefault(_key(stub.get("match")), stub)

    def wrap(self, ctx: Turn, events: AsyncIterator[Event]) -> AsyncIterator[Event]:
        """``events`` unchanged; when they end, the exchange is recorded."""

        async def tee() -> AsyncIterator[Event]:
            seen: list[Event] = []
            stamps: list[float] = []
            start = time.monotonic()
            async for event in events:
                seen.append(event)
                stamps.append(time.monotonic() - start)
                yield event
            self.add(ctx, seen, stamps)

        return tee()

    def add(self, ctx: Turn, events: list[Event], seconds: list[float]) -> None:
        """Record one exchange; the file is rewritten soon after, in the writer thread."""
        match = _match_for(ctx)
        respond = _respond_for(events, seconds, self.timing)
        key = _key(match)
        with self._lock:
            stub = self._by_match.get(key)
            if stub is not None:
                if not self.sequences:
                    return  # the first answer is kept: nothing changed
                answers = stub.pop("sequence", None) or [stub.pop("respond")]
                stub["sequence"] = [*answers, respond]
            else:
                stub = {"id": f"recorded-{len(self._stubs) + 1}", "match": match}
                stub["respond"] = respond
                text_events = [
                    s for e, s in zip(events, seconds, strict=True) if isinstance(e, TextDelta)
                ]
                if self.timing and len(text_events) > 1:
                    span = text_events[-1] - text_events[0]
                    stub["pacing"] = {
                        "ttft_ms": round(text_events[0] * 1000, 1),
                        "tokens_per_second": round((len(text_events) - 1) / span, 1)
                        if span > 0
                        else None,
                    }
                self._stubs.append(stub)
                self._by_match[key] = stub
            self._version += 1
            if self._writer is None:
                self._writer = threading.Thread(
                    target=self._drain, name="mockgpt-recorder", daemon=True
                )
                self._writer.start()

    def flush(self, timeout_s: float | None = None) -> bool:
        """Wait until everything recorded so far is in the file.

        Blocks the calling thread; from the event loop, run it in a worker thread
        (``anyio.to_thread.run_sync``), as ``Engine.aclose`` does.

        Args:
            timeout_s: the longest wait for the writer thread, seconds; None waits as long
                as it takes.

        Returns:
            False if the writer was still busy after ``timeout_s``.

        Raises:
            OSError: the file could not be written (the writer thread's failure is retried
                here once, so the caller sees it).
        """
        with self._changed:
            if not self._changed.wait_for(lambda: self._writer is None, timeout_s):
                return False
            behind = self._on_disk < self._version
        if behind:
            self.save()
        return True

    def save(self) -> None:
        """Write the file now, even with no stubs (a test that made no upstream request)."""
        with self._lock:
            version, document = self._version, self._document()
        self._write(version, document)

    def _drain(self) -> None:
        """The writer thread: rewrite the file until it holds the latest version."""
        try:
            while True:
                with self._lock:
                    if self._on_disk >= self._version:
                        return
                    version, document = self._version, self._document()
                self._write(version, document)
        except OSError:
            logger.exception("mockgpt could not write the recording to %s", self.path)
        finally:
            with self._changed:
                self._writer = None
                self._changed.notify_all()

    def _document(self) -> dict[str, Any]:
        """A snapshot of the scenario, safe to dump while more exchanges are recorded.

        Called with ``_lock`` held: each stub is copied (``add`` replaces a stub's keys,
        never the values inside them).
        """

        def conversation_length(stub: dict[str, Any]) -> int:
            # lists match as prefixes (``messages``, ``input`` items): the longest goes first
            body = stub.get("match", {}).get("body", {})
            return max((len(v) for v in body.values() if isinstance(v, list)), default=0)

        stubs = sorted((dict(s) for s in self._stubs), key=conversation_length, reverse=True)
        return {
            "name": self.path.stem,
            "description": f"Recorded by mockgpt from {self.upstream or 'an upstream'}.",
            "stubs": stubs,
            "fallback": "error",
        }

    def _write(self, version: int, document: dict[str, Any]) -> None:
        """Dump ``document`` to a temporary file and rename it over the scenario file.

        A write of an older version than the file's is skipped, so a late writer never
        replaces newer stubs.
        """
        with self._write_lock:
            if version < self._on_disk:
                return
            text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".mockgpt-record-")
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    handle.write(text)
                os.replace(tmp, self.path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
            with self._lock:
                self._on_disk = max(self._on_disk, version)


def _key(match: object) -> str:
    return json.dumps(match, sort_keys=True)
