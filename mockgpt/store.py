"""What the Responses API keeps between requests: responses and conversations, in memory.

Both are per server and forgotten on reset, like the rest of its state.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from mockgpt import ids
from mockgpt.bounded import Bounded
from mockgpt.conversation import Message, messages_from_chat
from mockgpt.lifecycle import Job
from mockgpt.models.responses import items_to_messages
from mockgpt.types import JSONObject


def with_item_ids(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Input items as the API lists them: each with an ``id``, messages with typed parts."""
    out = []
    for item in items:
        item = dict(item)
        kind = item.setdefault("type", "message")
        prefix = {"message": "msg", "function_call": "fc", "function_call_output": "fco"}.get(
            str(kind), "item"
        )
        item.setdefault("id", f"{prefix}_{ids.new_hex(40)}")
        if kind == "message":
            content = item.get("content")
            role = item.get("role", "user")
            part = "output_text" if role == "assistant" else "input_text"
            if isinstance(content, str):
                item["content"] = [{"type": part, "text": content}]
        if kind in ("message", "function_call", "function_call_output"):
            item.setdefault("status", "completed")  # required of listed calls and outputs
        out.append(item)
    return out


@dataclass
class StoredResponse:
    """A stored ``Response``, its input items and the conversation it ends.

    ``events`` are the stream events that rendered it (``ResponseStreamEvent`` objects, in
    ``sequence_number`` order), replayed by ``GET /v1/responses/{id}?stream=true``.

    A background response (``background: true``) also has its ``job``: ``response`` is what
    it holds once completed, and a read shows it as the job's status says
    (``mockgpt.http.background``). ``error`` is the ``ResponseError`` it shows if it fails;
    ``ended`` is set once its end has been acted on (the webhook sent).
    """

    response: JSONObject
    input_items: list[dict[str, Any]]
    messages: tuple[Message, ...]
    events: list[JSONObject] = field(default_factory=list)
    job: Job | None = None
    error: JSONObject | None = None
    ended: bool = False


@dataclass
class Conversation:
    """A conversation object and its items, oldest first."""

    id: str
    created_at: int
    metadata: dict[str, str] = field(default_factory=dict)
    items: list[dict[str, Any]] = field(default_factory=list)

    def to_object(self) -> JSONObject:
        """``{"id", "object": "conversation", "created_at", "metadata"}``."""
        return {
            "id": self.id,
            "object": "conversation",
            "created_at": self.created_at,
            "metadata": dict(self.metadata),
        }

    def messages(self) -> tuple[Message, ...]:
        """The items as the conversation's messages."""
        return messages_from_chat(items_to_messages(self.items))


def output_messages(response: JSONObject) -> tuple[Message, ...]:
    """A response's output items as messages (assistant text and tool calls)."""
    items: list[dict[str, Any]] = []
    for item in response.get("output") or []:  # type: ignore[union-attr]
        if isinstance(item, dict):
            items.append(item)
    return messages_from_chat(items_to_messages(items))


class ResponseStore:
    """Responses by id and conversations by id; safe across threads."""

    def __init__(self, size: int = 1000) -> None:
        self._lock = threading.Lock()
        self.responses: Bounded[str, StoredResponse] = Bounded(size)
        self.conversations: Bounded[str, Conversation] = Bounded(size)

    def save(self, stored: StoredResponse) -> None:
        """Keep a response (``store`` was not false)."""
        with self._lock:
            self.responses[str(stored.response["id"])] = stored

    def new_conversation(
        self, metadata: dict[str, str] | None, items: list[dict[str, Any]]
    ) -> Conversation:
        """Create a conversation with its first items."""
        conversation = Conversation(
            id=f"conv_{ids.new_hex(48)}",
            created_at=ids.now(),
            metadata=dict(metadata or {}),
            items=with_item_ids(items),
        )
        with self._lock:
            self.conversations[conversation.id] = conversation
        return conversation

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self.responses.clear()
            self.conversations.clear()
