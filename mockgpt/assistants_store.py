"""What the Assistants API keeps between requests: assistants, threads, messages, runs, steps.

Everything is in memory, one ``AssistantsStore`` per server (``ServerState.assistants``),
and forgotten with the rest of the server's state by ``Engine.reset()``. Objects are kept as
the wire objects the API returns (``mockgpt.render.assistants`` builds them); a run changes
them in place as it goes, so a retrieve sees what a stream has announced so far.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mockgpt.bounded import Bounded
from mockgpt.errors import RequestRejected
from mockgpt.events import Usage
from mockgpt.models.assistants import message_to_chat
from mockgpt.render.assistants import WireObject

ACTIVE_RUN_STATUSES = frozenset({"queued", "in_progress", "requires_action", "cancelling"})
"""Run statuses that block a new run, or a new message, on the same thread."""


def not_found(kind: str, object_id: str, param: str | None = None) -> RequestRejected:
    """404 for an unknown id, worded as the API words it: ``No thread found with id '...'``."""
    return RequestRejected(404, f"No {kind} found with id '{object_id}'.", param=param)


@dataclass
class StoredRun:
    """A ``thread.run``, its steps (oldest first) and what it carries between model calls.

    Attributes:
        run: the ``thread.run`` object.
        steps: its ``thread.run.step`` objects, oldest first.
        usage: tokens of all its model calls so far.
        pending_step: the ``tool_calls`` step waiting for tool outputs (``requires_action``).
        pending_usage: the usage of the model call that made ``pending_step``; the step
            reports it once it completes.
    """

    run: WireObject
    steps: list[WireObject] = field(default_factory=list)
    usage: Usage = field(default_factory=lambda: Usage(0, 0))
    pending_step: WireObject | None = None
    pending_usage: Usage | None = None

    @property
    def id(self) -> str:
        """``run_...``."""
        return str(self.run["id"])

    @property
    def status(self) -> str:
        """The run's ``status``."""
        return str(self.run["status"])

    def step(self, step_id: str) -> WireObject:
        """A step of this run.

        Raises:
            RequestRejected: 404 when the run has no step with that id.
        """
        for step in self.steps:
            if step["id"] == step_id:
                return step
        raise not_found("run step", step_id)


@dataclass
class StoredThread:
    """A ``thread``, its messages and runs, and the order of its conversation.

    Attributes:
        thread: the ``thread`` object.
        messages: ``thread.message`` objects by id, oldest first.
        history: the conversation in order: a message id, or the chat messages of one tool
            round (an assistant message with tool calls and the ``tool`` messages answering).
        runs: runs by id, oldest first.
    """

    thread: WireObject
    messages: dict[str, WireObject] = field(default_factory=dict)
    history: list[str | list[dict[str, Any]]] = field(default_factory=list)
    runs: dict[str, StoredRun] = field(default_factory=dict)

    @property
    def id(self) -> str:
        """``thread_...``."""
        return str(self.thread["id"])

    def add_message(self, message: WireObject) -> None:
        """Append a message to the thread and its conversation."""
        self.messages[str(message["id"])] = message
        self.history.append(str(message["id"]))

    def message(self, message_id: str) -> WireObject:
        """A message of this thread.

        Raises:
            RequestRejected: 404 when the thread has no message with that id.
        """
        message = self.messages.get(message_id)
        if message is None:
            raise not_found("message", message_id)
        return message

    def run(self, run_id: str) -> StoredRun:
        """A run of this thread.

        Raises:
            RequestRejected: 404 when the thread has no run with that id.
        """
        run = self.runs.get(run_id)
        if run is None:
            raise not_found("run", run_id)
        return run

    def check_idle(self, doing: str) -> None:
        """Refuse to ``doing`` while a run of the thread is active.

        Raises:
            RequestRejected: 400 naming the active run.
        """
        for run in self.runs.values():
            if run.status in ACTIVE_RUN_STATUSES:
                raise RequestRejected(
                    400,
                    f"Can't {doing} thread {self.id} while a run {run.id} is active.",
                )

    def chat_history(self) -> list[dict[str, Any]]:
        """The conversation as chat messages, oldest first (deleted messages left out)."""
        out: list[dict[str, Any]] = []
        for entry in self.history:
            if isinstance(entry, str):
                message = self.messages.get(entry)
                if message is not None:
                    out.append(message_to_chat(message))
            else:
                out += entry
        return out


class AssistantsStore:
    """Assistants and threads by id, oldest first; one per server."""

    def __init__(self, size: int = 1000) -> None:
        self.assistants: Bounded[str, WireObject] = Bounded(size)
        self.threads: Bounded[str, StoredThread] = Bounded(size)

    def assistant(self, assistant_id: str, param: str | None = None) -> WireObject:
        """An assistant.

        Raises:
            RequestRejected: 404 when there is none with that id.
        """
        assistant = self.assistants.get(assistant_id)
        if assistant is None:
            raise not_found("assistant", assistant_id, param)
        return assistant

    def thread(self, thread_id: str) -> StoredThread:
        """A thread.

        Raises:
            RequestRejected: 404 when there is none with that id.
        """
        thread = self.threads.get(thread_id)
        if thread is None:
            raise not_found("thread", thread_id)
        return thread

    def clear(self) -> None:
        """Forget everything."""
        self.assistants.clear()
        self.threads.clear()
