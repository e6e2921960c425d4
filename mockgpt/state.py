"""``ServerState``: everything a server keeps between requests, in one place.

The journal, the Responses API's stored responses and conversations, the Assistants API's
assistants and threads, and the errors raised while serving. One ``reset()`` forgets them all
(the stubs, sequences and chaos counters live in the engine's ``StubRegistry``, reset with
them by ``Engine.reset``). Nothing is kept in a module global: two servers in one process
share nothing.
"""

from __future__ import annotations

from mockgpt.assistants_store import AssistantsStore
from mockgpt.journal import Journal
from mockgpt.store import ResponseStore


class ServerState:
    """The per-server state.

    Args:
        journal_size: how many exchanges the journal keeps (oldest dropped first).

    Attributes:
        journal: what came in and went out.
        responses: stored responses and conversations (``/v1/responses``,
            ``/v1/conversations``).
        assistants: assistants and threads with their messages and runs.
        errors: exceptions raised while serving (each also answered with a 500 envelope).
    """

    def __init__(self, journal_size: int) -> None:
        self.journal = Journal(journal_size)
        self.responses = ResponseStore()
        self.assistants = AssistantsStore()
        self.errors: list[BaseException] = []

    def reset(self) -> None:
        """Forget the journal, every stored object and the recorded errors."""
        self.journal.clear()
        self.responses.clear()
        self.assistants.clear()
        self.errors.clear()
