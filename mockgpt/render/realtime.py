"""The Realtime API's server events: a session, conversation items, and one response's events.

``RealtimeRenderer`` turns the canonical events of one answer into the GA Realtime server
events of one response, in the order the API sends them::

    response.created
    response.output_item.added, conversation.item.added        (per output item)
    response.content_part.added
    response.output_text.delta ...                              (text modality), or
    response.output_audio_transcript.delta + response.output_audio.delta ...   (audio)
    response.output_text.done | response.output_audio.done + ..._transcript.done
    response.content_part.done
    response.output_item.done, conversation.item.done
    response.done                                               (with usage)

A tool call is a ``function_call`` item with ``response.function_call_arguments.delta`` /
``.done`` instead of content parts. The audio is deterministic: PCM16 mono at 24 kHz, a
440 Hz tone of ``AUDIO_MS_PER_CHAR`` ms per character of the transcript, its phase carried
across deltas, so the same text always sounds (and encodes) the same.

Spec: ``RealtimeServerEvent*`` in the OpenAPI description; the SDK's ``types/realtime/``.
"""

from __future__ import annotations

import base64
import math
import struct
from collections.abc import Callable
from typing import Any

from mockgpt.events import Event, Finish, Refusal, TextDelta, ToolCallDelta, Usage
from mockgpt.types import JSONObject

SAMPLE_RATE = 24000
"""Samples per second of the audio sent (``audio/pcm``, 24 kHz)."""
AUDIO_MS_PER_CHAR = 10
"""Milliseconds of audio per character of its transcript."""
_TONE_HZ = 440.0
_AMPLITUDE = 8000

NewId = Callable[[str], str]
"""Makes a fresh id with the given prefix, e.g. ``new_id("item")`` -> ``item_<hex>``."""


def tone(start_sample: int, samples: int) -> bytes:
    """``samples`` samples of the tone from sample ``start_sample``, PCM16 little-endian bytes."""
    step = 2 * math.pi * _TONE_HZ / SAMPLE_RATE
    values = [
        round(_AMPLITUDE * math.sin(step * i)) for i in range(start_sample, start_sample + samples)
    ]
    return struct.pack(f"<{samples}h", *values)


def audio_samples(text: str) -> int:
    """The number of audio samples that speak ``text`` (``AUDIO_MS_PER_CHAR`` per character)."""
    return len(text) * AUDIO_MS_PER_CHAR * SAMPLE_RATE // 1000


def error_event(
    event_id: str,
    message: str,
    *,
    type: str = "invalid_request_error",
    code: str | None = None,
    param: str | None = None,
    client_event_id: str | None = None,
) -> JSONObject:
    """An ``error`` server event (``RealtimeErrorEvent``); the session stays open."""
    return {
        "type": "error",
        "event_id": event_id,
        "error": {
            "type": type,
            "code": code,
            "message": message,
            "param": param,
            "event_id": client_event_id,
        },
    }


def usage_object(usage: Usage | None, modality: str) -> JSONObject:
    """``RealtimeResponseUsage``: the prompt as text tokens, the answer in its modality, tokens."""
    prompt = usage.prompt_tokens if usage is not None else 0
    completion = usage.completion_tokens if usage is not None else 0
    audio = modality == "audio"
    return {
        "total_tokens": prompt + completion,
        "input_tokens": prompt,
        "output_tokens": completion,
        "input_token_details": {
            "text_tokens": prompt,
            "audio_tokens": 0,
            "image_tokens": 0,
            "cached_tokens": 0,
            "cached_tokens_details": {"text_tokens": 0, "audio_tokens": 0, "image_tokens": 0},
        },
        "output_token_details": {
            "text_tokens": 0 if audio else completion,
            "audio_tokens": completion if audio else 0,
        },
    }


class _Item:
    """One output item being generated: an assistant message or a function call."""

    def __init__(self, item: JSONObject, output_index: int) -> None:
        self.item = item
        self.output_index = output_index
        self.text = ""
        self.samples = 0

    @property
    def id(self) -> str:
        return str(self.item["id"])


class RealtimeRenderer:
    """Canonical events -> the server events of one Realtime response (see the module doc).

    ``created()`` gives ``response.created``; ``feed(event)`` the events it causes; ``close``
    the closing events and ``response.done``. ``output`` holds the finished items.

    Args:
        new_id: makes the response, item and event ids.
        modality: ``text`` or ``audio`` (the response's ``output_modalities[0]``).
        response: the fields the response object reports besides ``id``, ``status``,
            ``output`` and ``usage`` (``conversation_id``, ``output_modalities``,
            ``max_output_tokens``, ``audio``, ``metadata``).
    """

    def __init__(self, new_id: NewId, modality: str, response: JSONObject) -> None:
        self.new_id = new_id
        self.modality = modality
        self.id = new_id("resp")
        self.fields = response
        self.output: list[JSONObject] = []
        self._items: dict[int, _Item] = {}  # tool call index -> its item
        self._message: _Item | None = None  # the assistant message being written
        self._open: _Item | None = None
        self.usage: Usage | None = None
        self.finish: str | None = None

    def _event(self, kind: str, **fields: Any) -> JSONObject:
        return {"type": kind, "event_id": self.new_id("event"), **fields}

    def _item_event(self, kind: str, item: _Item, **fields: Any) -> JSONObject:
        return self._event(
            kind,
            item_id=item.id,
            response_id=self.id,
            output_index=item.output_index,
            **fields,
        )

    def response(self, status: str, details: JSONObject | None = None) -> JSONObject:
        """The ``RealtimeResponse`` object as it stands, with ``status`` (and its details)."""
        body: JSONObject = {
            "object": "realtime.response",
            "id": self.id,
            "status": status,
            "status_details": details,
            "output": list(self.output),
            **self.fields,
            "usage": usage_object(self.usage, self.modality) if status != "in_progress" else None,
        }
        return body

    def created(self) -> JSONObject:
        """``response.created``: the response ``in_progress``, no output yet."""
        return self._event("response.created", response=self.response("in_progress"))

    def feed(self, event: Event) -> list[JSONObject]:
        """The server events ``event`` causes (none for ``Finish`` and ``Usage``)."""
        if isinstance(event, TextDelta | Refusal):
            return self._text(event.text) if event.choice == 0 else []
        if isinstance(event, ToolCallDelta):
            return self._call(event) if event.choice == 0 else []
        if isinstance(event, Finish):
            if event.choice == 0:
                self.finish = event.reason
        elif isinstance(event, Usage):
            self.usage = event
        return []

    def _start(self, item: JSONObject) -> tuple[_Item, list[JSONObject]]:
        events = self._end_open("completed")
        opened = self._open = _Item(item, len(self.output))
        self.output.append(item)
        previous = self.output[-2]["id"] if len(self.output) > 1 else None
        events.append(
            self._event(
                "response.output_item.added",
                response_id=self.id,
                output_index=opened.output_index,
                item=dict(item),
            )
        )
        events.append(
            self._event("conversation.item.added", previous_item_id=previous, item=dict(item))
        )
        return opened, events

    def _text(self, text: str) -> list[JSONObject]:
        events: list[JSONObject] = []
        item = self._message
        if item is None or item is not self._open:  # none yet, or a tool call came between
            message: JSONObject = {
                "id": self.new_id("item"),
                "type": "message",
                "object": "realtime.item",
                "status": "in_progress",
                "role": "assistant",
                "content": [],
            }
            item, events = self._start(message)
            self._message = item
            events.append(self._item_event("response.content_part.added", item, **self._part(item)))
        if not text:
            return events
        item.text += text
        if self.modality == "audio":
            events.append(
                self._item_event("response.output_audio_transcript.delta", item, **_at0(text))
            )
            samples = audio_samples(text)
            audio = base64.b64encode(tone(item.samples, samples)).decode()
            item.samples += samples
            events.append(self._item_event("response.output_audio.delta", item, **_at0(audio)))
        else:
            events.append(self._item_event("response.output_text.delta", item, **_at0(text)))
        return events

    def _part(self, item: _Item) -> JSONObject:
        if self.modality == "audio":
            part: JSONObject = {"type": "audio", "transcript": item.text}
        else:
            part = {"type": "text", "text": item.text}
        return {"content_index": 0, "part": part}

    def _call(self, delta: ToolCallDelta) -> list[JSONObject]:
        events: list[JSONObject] = []
        item = self._items.get(delta.index)
        if item is None:
            call: JSONObject = {
                "id": self.new_id("item"),
                "type": "function_call",
                "object": "realtime.item",
                "status": "in_progress",
                "name": delta.name or "",
                "call_id": delta.id or self.new_id("call"),
                "arguments": "",
            }
            item, events = self._start(call)
            self._items[delta.index] = item
        if delta.arguments and item is self._open:  # a closed call's late fragment: dropped
            item.text += delta.arguments
            events.append(
                self._item_event(
                    "response.function_call_arguments.delta",
                    item,
                    call_id=item.item["call_id"],
                    delta=delta.arguments,
                )
            )
        return events

    def _end_open(self, status: str) -> list[JSONObject]:
        """The done events of the item being generated, now ``status``; none when none is."""
        item, self._open = self._open, None
        if item is None:
            return []
        events: list[JSONObject] = []
        if item.item["type"] == "function_call":
            item.item["arguments"] = item.text
            events.append(
                self._item_event(
                    "response.function_call_arguments.done",
                    item,
                    call_id=item.item["call_id"],
                    name=item.item["name"],
                    arguments=item.text,
                )
            )
        elif self.modality == "audio":
            item.item["content"] = [{"type": "output_audio", "transcript": item.text}]
            events.append(self._item_event("response.output_audio.done", item, content_index=0))
            events.append(
                self._item_event(
                    "response.output_audio_transcript.done",
                    item,
                    content_index=0,
                    transcript=item.text,
                )
            )
        else:
            item.item["content"] = [{"type": "output_text", "text": item.text}]
            events.append(
                self._item_event("response.output_text.done", item, content_index=0, text=item.text)
            )
        if item.item["type"] == "message":
            events.append(self._item_event("response.content_part.done", item, **self._part(item)))
        item.item["status"] = status
        events.append(
            self._event(
                "response.output_item.done",
                response_id=self.id,
                output_index=item.output_index,
                item=dict(item.item),
            )
        )
        previous = self.output[item.output_index - 1]["id"] if item.output_index else None
        events.append(
            self._event("conversation.item.done", previous_item_id=previous, item=dict(item.item))
        )
        return events

    def close(self, status: str = "completed", error: JSONObject | None = None) -> list[JSONObject]:
        """The done events of the open item, then ``response.done``.

        Args:
            status: ``completed`` (``incomplete`` when the answer hit ``max_output_tokens``),
                ``cancelled`` or ``failed``.
            error: for ``failed``, the ``{"type", "code", "message"}`` of the failure.
        """
        if status == "completed" and self.finish == "length":
            status = "incomplete"
        events = self._end_open("completed" if status == "completed" else "incomplete")
        details: JSONObject | None = None
        if status == "incomplete":
            details = {"type": "incomplete", "reason": "max_output_tokens"}
        elif status == "cancelled":
            details = {"type": "cancelled", "reason": "client_cancelled"}
        elif status == "failed":
            details = {"type": "failed", "error": error}
        events.append(self._event("response.done", response=self.response(status, details)))
        return events


def _at0(delta: str) -> JSONObject:
    return {"content_index": 0, "delta": delta}
