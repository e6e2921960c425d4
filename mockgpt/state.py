"""``ServerState``: everything a server keeps between requests, in one place; ``Scope``.

The journal, the Responses API's stored responses and conversations, the Assistants API's
assistants and threads, and the errors raised while serving. One ``reset()`` forgets them all
(the stubs, sequences and chaos counters live in the engine's ``StubRegistry``, reset with
them by ``Engine.reset``). Nothing is kept in a module global: two servers in one process
share nothing. ``Scope`` is one test id's view of a server (``Engine.scope``).
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable, Collection
from dataclasses import dataclass

from mockgpt.assistants_store import AssistantsStore
from mockgpt.batches_store import BatchStore
from mockgpt.bounded import Bounded
from mockgpt.files_store import FileStore
from mockgpt.journal import Journal, JournalEntry
from mockgpt.ollama_store import OllamaModels
from mockgpt.scenarios import Scenario
from mockgpt.scenarios.registry import LoadedStub, StubRegistry
from mockgpt.store import ResponseStore

logger = logging.getLogger(__name__)

MAX_ERRORS = 100
"""Errors kept for the tests to re-raise; older ones are dropped (each is logged anyway)."""
MAX_IMAGES = 64
"""Generated images kept for their URLs (``/v1/images/files/{name}``); older ones are dropped."""
TRACEBACK_CHARS = 4000
"""The end of an error's traceback kept with it, characters."""
RESET_PARTS = ("journal", "sequences", "stored", "chaos", "stubs")
"""What ``Engine.reset`` can forget, each alone (``POST /_mockgpt/reset?what=...``)."""
SCOPE_PARTS = ("journal", "sequences", "chaos", "stubs")
"""What one test id has of its own (stored objects are shared by all)."""


class ServerState:
    """The per-server state.

    Args:
        journal_size: how many exchanges the journal keeps (oldest dropped first; 0: none).
        journal_body_bytes: bytes of each body the journal keeps.
        journal_bytes: body bytes the whole journal keeps (oldest entries dropped first).
        max_stored: stored objects kept of each kind (oldest dropped first).
        max_files_bytes: bytes the files (uploads and batch outputs) hold together.

    Attributes:
        journal: what came in and went out.
        responses: stored responses and conversations (``/v1/responses``,
            ``/v1/conversations``).
        assistants: assistants and threads with their messages and runs.
        files: uploaded files and batch output files (``/v1/files``).
        batches: batches and their jobs (``/v1/batches``).
        images: PNG bytes by file name, for the URLs of images answers (``MAX_IMAGES``).
        ollama_models: the models Ollama's API pulled, created, copied or deleted.
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
        max_files_bytes: int = 64 * 1024 * 1024,
    ) -> None:
        self.journal = Journal(journal_size, journal_bytes)
        self.journal_body_bytes = journal_body_bytes
        self.responses = ResponseStore(max_stored)
        self.assistants = AssistantsStore(max_stored)
        self.files = FileStore(max_stored, max_files_bytes)
        self.batches = BatchStore(max_stored)
        self.images: Bounded[str, bytes] = Bounded(MAX_IMAGES)
        self.ollama_models = OllamaModels(max_stored)
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
        self.files.clear()
        self.batches.clear()
        self.images.clear()
        self.ollama_models.clear()
        self.errors.clear()


@dataclass(frozen=True)
class Scope:
    """One test id's view of a server (``Engine.scope(test_id)``): its stubs, journal, reset.

    Requests carrying the header ``test_header: <test_id>`` try this test id's stubs before
    the shared ones, count calls (sequence positions) and draw chaos on their own, and their
    journal entries carry the test id. A pytest-xdist worker sharing one server can take one
    test id per test.

    Attributes:
        test_id: the test id; None for the shared space (requests without the header).
        registry: the server's stubs.
        journal: the server's journal.
        resetter: ``Engine.reset``.
        test_header: the header's name, e.g. ``X-Mockgpt-Test``.
    """

    test_id: str | None
    registry: StubRegistry
    journal: Journal
    resetter: Callable[..., list[str]]
    test_header: str

    @property
    def headers(self) -> dict[str, str]:
        """The header a client sends to be served in this scope (none for the shared one)."""
        return {} if self.test_id is None else {self.test_header: self.test_id}

    def add(self, scenario: Scenario, *, priority: int = 0, unique: bool = True) -> list[str]:
        """Add ``scenario``'s stubs (and its fallback, defaults, quirks, chaos) to this scope.

        Returns:
            The ids of the stubs added.

        Raises:
            StubConflict: ``unique`` and an id is already visible here (nothing is added).
        """
        return self.registry.add(scenario, priority=priority, test_id=self.test_id, unique=unique)

    def stubs(self) -> list[LoadedStub]:
        """The stubs a request of this scope tries, in match order, with its call counts."""
        return self.registry.stubs(self.test_id)

    def entries(self) -> list[JournalEntry]:
        """This test id's journal entries, oldest first (the shared scope: every entry)."""
        return self.journal.entries(self.test_id)

    def reset(self, parts: Collection[str] = SCOPE_PARTS) -> list[str]:
        """Forget this scope's ``parts`` (see ``Engine.reset``); the parts forgotten.

        Raises:
            ValueError: an unknown part, or ``stored`` with a test id.
        """
        result: list[str] = self.resetter(parts, test_id=self.test_id)
        return result
