"""``ServerState``: everything a server keeps between requests, in one place.

The journal, the Responses API's stored responses and conversations, the Assistants API's
assistants and threads, and the errors raised while serving. One ``reset()`` forgets them all
(the stubs, sequences and chaos counters live in the engine's ``StubRegistry``, reset with
them by ``Engine.reset``). Nothing is kept in a module global: two servers in one process
share nothing.
"""

from __future__ import annotations

import logging
import traceback

from mockgpt.assistants_store import AssistantsStore
from mockgpt.journal import Journal
from mockgpt.store import ResponseStore

logger = logging.getLogger(__name__)

MAX_ERRORS = 100
"""Errors kept for the tests to re-raise; older ones are dropped (each is logged anyway)."""
TRACEBACK_CHARS = 4000
"""The end of an error's traceback kept with it, characters."""


class ServerState:
    """The per-server state.

    Args:
        journal_size: how many exchanges the journal keeps (oldest dropped first; 0: none).
        journal_body_bytes: bytes of each body the journal keeps.
        journal_bytes: body bytes the whole journal keeps (oldest entries dropped first).
        max_stored: stored objects kept of each kind (oldest dropped first).

    Attributes:
        journal: what came in and went out.
        responses: stored responses and conversations (``/v1/responses``,
            ``/v1/conversations``).
        assistants: assistants and threads with their messages and runs.
        errors: the last ``MAX_ERRORS`` exceptions raised while serving (each also answered
            with a 500 envelope), their tracebacks kept as text notes, not as frames (which
            would hold every request body alive).
    """

    def __init__(
        self,
        journal_size: int,
        journal_body_bytes: int = 1024 * 1024,
        max_stored: int = 1000,
        journal_bytes: int = 128 * 1024 * 1024,
    ) -> None:
        self.journal = Journal(journal_size, journal_bytes)
        self.journal_body_bytes = journal_body_bytes
        self.responses = ResponseStore(max_stored)
        self.assistants = AssistantsStore(max_stored)
        self.errors: list[BaseException] = []

    def record_error(self, error: BaseException, request_id: str) -> None:
        """Keep ``error`` (raised serving ``request_id``) without its frames."""
        text = "".join(traceback.format_exception(error))[-TRACEBACK_CHARS:]
        if hasattr(error, "add_note"):
            error.add_note(f"request {request_id}; mockgpt's traceback:\n{text}")
        error.__traceback__ = None
        error.__context__ = error.__cause__ = None
        self.errors.append(error)
        del self.errors[:-MAX_ERRORS]

    def reset(self) -> None:
        """Forget the journal, every stored object and the recorded errors."""
        self.journal.clear()
        self.responses.clear()
        self.assistants.clear()
        self.errors.clear()
