"""A Realtime session's conversation: its items in order, and the input audio buffer.

The items are what ``conversation.item.create`` sent, the audio buffers committed, and the
output of each response; ``RealtimeSession`` (``routes.realtime``) answers the client events
that change them and reads them into each response's prompt. Both are bounded: at most
``max_items`` items and ``max_bytes`` of client events creating them; the audio is checked and
counted, never kept.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from mockgpt.errors import RequestRejected

Item = dict[str, Any]
"""A conversation item as JSON (``RealtimeConversationItem*``)."""


class Conversation:
    """The items of one session and its input audio buffer (see the module doc).

    Args:
        max_items: the most items kept (``--max-stored``).
        max_bytes: the most bytes of ``conversation.item.create`` events accepted
            (``--max-answer-bytes``).
    """

    def __init__(self, max_items: int, max_bytes: int) -> None:
        self.items: list[Item] = []
        self.max_items = max_items
        self.max_bytes = max_bytes
        self.kept_bytes = 0
        self.audio_bytes = 0

    @property
    def last_id(self) -> str | None:
        """The id of the last item; None when there is none."""
        return str(self.items[-1]["id"]) if self.items else None

    def add(self, item: Item, previous: object = None, size: int = 0) -> str | None:
        """Put ``item`` after ``previous`` (an item id; ``root``: first; None: last).

        Args:
            item: the checked item.
            previous: the ``previous_item_id`` asked for.
            size: the bytes of the client event that sent it (0 for the server's own items).

        Returns:
            The id of the item now before it; None when it is first.

        Raises:
            RequestRejected: 400 when the conversation is full, the id is taken, or
                ``previous`` names no item.
        """
        if len(self.items) >= self.max_items or self.kept_bytes + size > self.max_bytes:
            raise RequestRejected(
                400,
                f"The conversation holds {len(self.items)} items ({self.kept_bytes} bytes), the "
                "most this server keeps (--max-stored, --max-answer-bytes).",
                code="conversation_too_large",
            )
        if any(kept["id"] == item["id"] for kept in self.items):
            raise RequestRejected(
                400,
                f"Item with id '{item['id']}' already exists.",
                param="item.id",
                code="item_already_exists",
            )
        if previous is None:
            index = len(self.items)
        elif previous == "root":
            index = 0
        else:
            index = self.find(previous, "previous_item_id")[0] + 1
        self.items.insert(index, item)
        self.kept_bytes += size
        return str(self.items[index - 1]["id"]) if index else None

    def extend(self, items: list[Item]) -> None:
        """Append a response's output items (over the bounds: the oldest items go)."""
        self.items.extend(items)
        del self.items[: max(0, len(self.items) - self.max_items)]

    def find(self, item_id: object, param: str = "item_id") -> tuple[int, Item]:
        """The index and the item with ``item_id``.

        Raises:
            RequestRejected: 400 ``item_not_found`` naming ``param``.
        """
        for index, item in enumerate(self.items):
            if item["id"] == item_id:
                return index, item
        raise RequestRejected(
            400,
            f"Item with id {item_id!r} does not exist in the conversation.",
            param=param,
            code="item_not_found",
        )

    def delete(self, item_id: object) -> Item:
        """Remove the item with ``item_id`` and return it.

        Raises:
            RequestRejected: 400 ``item_not_found``.
        """
        index, item = self.find(item_id)
        del self.items[index]
        return item

    def append_audio(self, audio: object) -> None:
        """Count the bytes of an ``input_audio_buffer.append`` event's base64 ``audio``.

        Raises:
            RequestRejected: 400 when ``audio`` is not base64.
        """
        try:
            if not isinstance(audio, str):
                raise ValueError
            self.audio_bytes += len(base64.b64decode(audio, validate=True))
        except (ValueError, binascii.Error):
            raise RequestRejected(
                400, "Invalid 'audio': expected base64-encoded audio bytes.", param="audio"
            ) from None

    def commit_audio(self, item_id: str) -> Item:
        """Empty the buffer into a user item (its transcript null: nothing is transcribed).

        Raises:
            RequestRejected: 400 ``input_audio_buffer_commit_empty`` when nothing was appended.
        """
        if not self.audio_bytes:
            raise RequestRejected(
                400,
                "Error committing input audio buffer: the buffer is empty.",
                code="input_audio_buffer_commit_empty",
            )
        self.audio_bytes = 0
        return {
            "id": item_id,
            "type": "message",
            "object": "realtime.item",
            "status": "completed",
            "role": "user",
            "content": [{"type": "input_audio", "transcript": None}],
        }
