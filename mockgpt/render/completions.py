"""Events -> legacy ``text_completion`` objects (spec: ``CreateCompletionResponse``).

The stream uses the same object (``object: "text_completion"``) for every chunk, with the same
``id``; each choice ends with a chunk whose ``text`` is empty and whose ``finish_reason`` is set.
Tool calls and refusals do not exist in this API; their events are ignored.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from mockgpt.events import Event, Finish, TextDelta, Usage
from mockgpt.render.logprobs import completion_logprobs
from mockgpt.sse import dumps, encode_sse
from mockgpt.types import JSONObject, JSONValue


@dataclass(frozen=True)
class CompletionMeta:
    """What every object of one legacy completion shares.

    Attributes:
        id: ``cmpl-...``.
        created: Unix time in seconds.
        model: the model name echoed back.
        system_fingerprint: ``fp_...``.
        logprobs: ``logprobs`` of the request (0..5 alternatives), None when not asked.
        include_usage: ``stream_options.include_usage``.
    """

    id: str
    created: int
    model: str
    system_fingerprint: str
    logprobs: int | None = None
    include_usage: bool = False


def completion_usage(usage: Usage) -> JSONObject:
    """``CompletionUsage`` of the legacy API, in tokens."""
    return {
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "total_tokens": usage.total_tokens,
    }


def _merge_logprobs(into: JSONObject, more: JSONObject) -> None:
    for key in ("tokens", "token_logprobs", "text_offset", "top_logprobs"):
        old, new = into.get(key), more.get(key)
        if isinstance(old, list) and isinstance(new, list):
            old.extend(new)
        elif key not in into:
            into[key] = new


class CompletionBuilder:
    """Folds events into one ``text_completion`` body (``stream: false``)."""

    def __init__(self, meta: CompletionMeta, n: int) -> None:
        self.meta = meta
        self.texts: list[list[str]] = [[] for _ in range(n)]
        self.offsets = [0] * n
        self.logprobs: list[JSONObject] = [{} for _ in range(n)]
        self.finish: list[str] = ["stop"] * n
        self.usage = Usage(0, 0)

    def feed(self, event: Event) -> None:
        """Take one event into the answer."""
        if isinstance(event, Usage):
            self.usage = event
        elif isinstance(event, TextDelta):
            self.texts[event.choice].append(event.text)
            if self.meta.logprobs is not None:
                more = completion_logprobs(
                    event.text, self.meta.logprobs, self.offsets[event.choice]
                )
                _merge_logprobs(self.logprobs[event.choice], more)
            self.offsets[event.choice] += len(event.text)
        elif isinstance(event, Finish):
            self.finish[event.choice] = event.reason

    def body(self) -> bytes:
        """``dumps(build())``."""
        return dumps(self.build())

    def build(self) -> JSONObject:
        """The ``text_completion`` body."""
        choices: list[JSONValue] = [
            {
                "text": "".join(text),
                "index": index,
                "logprobs": (
                    (self.logprobs[index] or completion_logprobs("", self.meta.logprobs, 0))
                    if self.meta.logprobs is not None
                    else None
                ),
                "finish_reason": self.finish[index],
            }
            for index, text in enumerate(self.texts)
        ]
        return {
            "id": self.meta.id,
            "object": "text_completion",
            "created": self.meta.created,
            "model": self.meta.model,
            "system_fingerprint": self.meta.system_fingerprint,
            "choices": choices,
            "usage": completion_usage(self.usage),
        }


class CompletionChunkRenderer:
    """Turns events into streamed ``text_completion`` chunks, one event at a time."""

    def __init__(self, meta: CompletionMeta, n: int) -> None:
        self.meta = meta
        self.offsets = [0] * n
        self._usage = Usage(0, 0)

    def _chunk(self, choice: JSONObject) -> JSONObject:
        chunk: JSONObject = {
            "id": self.meta.id,
            "object": "text_completion",
            "created": self.meta.created,
            "model": self.meta.model,
            "system_fingerprint": self.meta.system_fingerprint,
            "choices": [choice],
        }
        if self.meta.include_usage:
            chunk["usage"] = None
        return chunk

    def feed(self, event: Event) -> list[JSONObject]:
        """The chunks for one event."""
        if isinstance(event, Usage):
            self._usage = event
            return []
        if isinstance(event, TextDelta):
            logprobs: JSONValue = None
            if self.meta.logprobs is not None:
                logprobs = completion_logprobs(
                    event.text, self.meta.logprobs, self.offsets[event.choice]
                )
            self.offsets[event.choice] += len(event.text)
            return [
                self._chunk(
                    {
                        "text": event.text,
                        "index": event.choice,
                        "logprobs": logprobs,
                        "finish_reason": None,
                    }
                )
            ]
        if isinstance(event, Finish):
            return [
                self._chunk(
                    {
                        "text": "",
                        "index": event.choice,
                        "logprobs": None,
                        "finish_reason": event.reason,
                    }
                )
            ]
        return []

    def close(self) -> list[JSONObject]:
        """The final usage chunk (``choices: []``) if ``include_usage``, else nothing."""
        if not self.meta.include_usage:
            return []
        chunk = self._chunk({})
        chunk["choices"] = []
        chunk["usage"] = completion_usage(self._usage)
        return [chunk]

    def encode(self, event: Event) -> bytes:
        """The SSE frames of ``feed(event)``."""
        return b"".join(encode_sse(chunk) for chunk in self.feed(event))

    def encode_close(self) -> bytes:
        """The SSE frames of ``close()``."""
        return b"".join(encode_sse(chunk) for chunk in self.close())

    def encode_all(self, events: Sequence[Event]) -> bytes:
        """The SSE frames of every event then ``close()``."""
        return b"".join([*(self.encode(event) for event in events), self.encode_close()])
