"""The admin API's journal: read it with filters, clear it, follow it live, ask for near misses.

With the test id header, each route sees that test id's entries only; without it, every
entry (each names its ``test_id``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from mockgpt.errors import RequestRejected
from mockgpt.journal import JournalEntry
from mockgpt.routes.admin import query_bool, query_int, test_id_of
from mockgpt.routes.admin_feed import JournalFeed
from mockgpt.routes.common import engine_of, json_response
from mockgpt.scenarios.matchers import BodyRequest, MatchView
from mockgpt.types import JSONObject, JSONValue

FILTERS = ("path", "endpoint", "model", "stub", "unmatched", "since", "limit")
"""The query parameters ``GET /_mockgpt/journal`` (and its live feed) filter by."""


@dataclass(frozen=True)
class EntryFilter:
    """Which journal entries a reader asked for (``FILTERS``, and the test id header).

    Attributes:
        test_id: only entries sent with this test id (None: every entry).
        path: only this URL path (``/v1/chat/completions``).
        endpoint: only this API family (``chat.completions``, ``embeddings``, ...).
        model: only requests for this model.
        stub: only entries this stub answered.
        unmatched: only entries the fallback answered (True), or those it did not (False).
        since: only entries numbered after this ``seq``.
        limit: only the last ``limit`` entries (of those that pass the rest).
    """

    test_id: str | None = None
    path: str | None = None
    endpoint: str | None = None
    model: str | None = None
    stub: str | None = None
    unmatched: bool | None = None
    since: int | None = None
    limit: int | None = None

    @classmethod
    def of(cls, request: Request) -> EntryFilter:
        """The filter of an admin request (its query parameters and test id header).

        Raises:
            RequestRejected: 400 naming a parameter that is not valid.
        """
        query = request.query_params
        return cls(
            test_id=test_id_of(request),
            path=query.get("path") or None,
            endpoint=query.get("endpoint") or None,
            model=query.get("model") or None,
            stub=query.get("stub") or None,
            unmatched=query_bool(request, "unmatched"),
            since=query_int(request, "since"),
            limit=query_int(request, "limit"),
        )

    def __call__(self, entry: JournalEntry) -> bool:
        """Whether ``entry`` passes every condition but ``limit``."""
        return (
            (self.since is None or entry.seq > self.since)
            and (self.path is None or entry.path == self.path)
            and (self.stub is None or entry.stub == self.stub)
            and (self.unmatched is None or entry.fallback == self.unmatched)
            and (self.endpoint is None or entry.endpoint == self.endpoint)
            and (self.model is None or entry.model == self.model)
            and (self.test_id is None or entry.test_id == self.test_id)
        )

    def select(self, entries: list[JournalEntry]) -> list[JournalEntry]:
        """The entries that pass, oldest first, the last ``limit`` of them."""
        kept = [e for e in entries if self(e)]
        if self.limit is not None:
            kept = kept[len(kept) - self.limit :] if self.limit else []
        return kept


async def journal(request: Request) -> Response:
    """The request journal, oldest first: ``{"object": "list", "data": [entry, ...]}``.

    Filtered by ``FILTERS`` (query parameters) and the test id header.

    Raises:
        RequestRejected: 400 naming a filter that is not valid.
    """
    chosen = EntryFilter.of(request)
    entries = chosen.select(engine_of(request).journal.entries(chosen.test_id))
    data: list[JSONValue] = [e.to_dict() for e in entries]
    return json_response({"object": "list", "data": data})


async def clear_journal(request: Request) -> Response:
    """Forget the journal (with the test id header, that test id's entries): ``{"deleted"}``."""
    engine, test_id = engine_of(request), test_id_of(request)
    deleted = len(engine.journal.entries(test_id))
    engine.reset(("journal",), test_id=test_id)  # a shared state clears every process's
    return json_response({"deleted": deleted})


async def journal_stream(request: Request) -> Callable[..., object]:
    """The journal as server-sent events: ``event: entry``, ``data: <entry>``, ``id: <seq>``.

    Each entry is sent when its response has ended, if it passes the filters. ``limit``
    sends the last entries kept first; ``since`` (or the ``Last-Event-ID`` header an
    ``EventSource`` sends when it reconnects) the entries kept after that ``seq``.

    Raises:
        RequestRejected: 400 naming a filter that is not valid.
    """
    chosen = EntryFilter.of(request)
    last_event = request.headers.get("last-event-id", "")
    if chosen.since is None and last_event.isdigit():
        chosen = dataclasses.replace(chosen, since=int(last_event))
    engine = engine_of(request)
    live = dataclasses.replace(chosen, limit=None)
    backlog = (
        chosen.select(engine.journal.entries(chosen.test_id))
        if chosen.limit is not None or chosen.since is not None
        else []
    )
    return JournalFeed(engine.journal, live, backlog)


async def near_miss(request: Request) -> Response:
    """Every stub that does not match a journalled request, with each failed condition.

    ``{"id", "unmatched", "stubs": [{"id", "held", "total", "failed": [reason, ...]}]}``,
    closest first. The request is checked against the stubs its test id sees now; its
    credential headers are masked, as the journal keeps them. When the journal kept only
    the start of its body, the reasons recorded when it was served are given instead
    (``held`` and ``total`` null).

    Raises:
        RequestRejected: 404 for an entry not in the journal (or of another test id).
    """
    entry_id: str = request.path_params["entry_id"]
    engine = engine_of(request)
    entry = engine.journal.find(entry_id)
    test_id = test_id_of(request)
    if entry is None or (test_id is not None and entry.test_id != test_id):
        raise RequestRejected(
            404,
            f"No journal entry {entry_id!r} (it may have been dropped or cleared).",
            code="entry_not_found",
        )
    stubs: list[JSONValue]
    if "body" in entry.truncated:
        stubs = [
            {"id": stub_id, "held": None, "total": None, "failed": [*reason.split("; ")]}
            for stub_id, reason in entry.misses.items()
        ]
    else:
        body = entry.json
        view = MatchView(
            BodyRequest(entry.endpoint or "", body if isinstance(body, dict) else {}, entry.headers)
        )
        stubs = [
            {"id": s.id, "held": r.held, "total": r.total, "failed": list(r.reasons)}
            for s, r in engine.registry.near_misses(view, entry.test_id)
        ]
    report: JSONObject = {"id": entry.request_id, "unmatched": entry.fallback, "stubs": stubs}
    return json_response(report)
