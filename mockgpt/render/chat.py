"""Events -> ``ChatCompletion`` or a stream of ``ChatCompletionChunk``.

Spec: ``CreateChatCompletionResponse``, ``CreateChatCompletionStreamResponse``.

Both renderers read the same events, so joining the deltas of the stream gives exactly the
non-streamed message, tool calls, finish reasons and usage.

Stream shape, per choice: a first chunk with ``delta.role == "assistant"`` (``content: ""``
before text, ``content: null`` with the first tool-call fragment or before a refusal), then one
chunk per event, then a chunk with an empty ``delta`` and the ``finish_reason``. With
``stream_options.include_usage`` every chunk has ``"usage": null`` and one last chunk has
``"choices": []`` and the usage.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from json.encoder import encode_basestring as _encode_string
from typing import Any

from mockgpt.events import Event, Finish, ReasoningDelta, Refusal, TextDelta, ToolCallDelta, Usage
from mockgpt.render.chat_meta import ChatMeta as ChatMeta  # re-exported: the renderers' input
from mockgpt.render.chat_meta import reasoning_piece, usage_object
from mockgpt.render.logprobs import chat_logprobs
from mockgpt.sse import dumps, encode_sse
from mockgpt.types import JSONObject, JSONValue


def _token_logprobs(event: TextDelta, top_logprobs: int) -> list[JSONValue]:
    """The delta's logprobs: a real model's when it gave them, else synthetic ones."""
    if event.logprobs is not None:
        return list(event.logprobs)
    return chat_logprobs(event.text, top_logprobs)


@dataclass
class _Choice:
    content: list[str] = field(default_factory=list)
    refusal: list[str] = field(default_factory=list)
    tool_calls: list[JSONObject] = field(default_factory=list)
    logprobs: list[JSONValue] = field(default_factory=list)
    finish_reason: str | None = None
    reasoning: list[str] = field(default_factory=list)
    reasoning_part: int | None = None


class ChatCompletionBuilder:
    """Folds events into one ``ChatCompletion`` object (``stream: false``)."""

    def __init__(self, meta: ChatMeta, n: int) -> None:
        self.meta = meta
        self.choices = [_Choice() for _ in range(n)]
        self.usage: Usage | None = None

    def feed(self, event: Event) -> None:
        """Take one event into the answer."""
        if isinstance(event, Usage):
            self.usage = event
            return
        choice = self.choices[event.choice]
        if isinstance(event, TextDelta):
            choice.content.append(event.text)
            if self.meta.logprobs:
                choice.logprobs.extend(_token_logprobs(event, self.meta.top_logprobs))
        elif isinstance(event, ToolCallDelta):
            if event.index == len(choice.tool_calls):
                choice.tool_calls.append(
                    {
                        "id": event.id,
                        "type": "function",
                        "function": {"name": event.name, "arguments": event.arguments},
                    }
                )
            else:
                function = choice.tool_calls[event.index]["function"]
                assert isinstance(function, dict)
                function["arguments"] = f"{function['arguments']}{event.arguments}"
        elif isinstance(event, Refusal):
            choice.refusal.append(event.text)
        elif isinstance(event, ReasoningDelta):
            choice.reasoning.append(reasoning_piece(event, choice.reasoning_part))
            choice.reasoning_part = event.part
        elif isinstance(event, Finish):
            choice.finish_reason = event.reason

    def body(self) -> bytes:
        """``dumps(build())``, byte for byte; the common shape from a byte template.

        The common shape is one choice of text (no tool calls, refusal or logprobs, no lone
        surrogate); any other is built and dumped.
        """
        if len(self.choices) == 1 and not self.meta.logprobs:
            choice = self.choices[0]
            reasoned = self.meta.reasoning_content and choice.reasoning
            if not (choice.tool_calls or choice.refusal or reasoned):
                meta = self.meta
                usage = self.usage or Usage(0, 0)
                try:  # a lone surrogate has no UTF-8 form: dumps escapes the whole body then
                    values = {
                        "id": _encode_string(meta.id).encode(),
                        "created": b"%d" % meta.created,
                        "model": _encode_string(meta.model).encode(),
                        "content": _encode_string("".join(choice.content)).encode(),
                        "finish_reason": _encode_string(choice.finish_reason or "stop").encode(),
                        "prompt_tokens": b"%d" % usage.prompt_tokens,
                        "completion_tokens": b"%d" % usage.completion_tokens,
                        "total_tokens": b"%d" % usage.total_tokens,
                        "reasoning_tokens": b"%d" % usage.reasoning_tokens,
                        "system_fingerprint": _encode_string(meta.system_fingerprint).encode(),
                    }
                except UnicodeEncodeError:
                    return dumps(self.build())
                parts, names = _completion_template()
                out = [parts[0]]
                for name, part in zip(names, parts[1:], strict=True):
                    out.append(values[name])
                    out.append(part)
                return b"".join(out)
        return dumps(self.build())

    def build(self) -> JSONObject:
        """The ``ChatCompletion`` body."""
        choices: list[JSONValue] = []
        for index, choice in enumerate(self.choices):
            has_other = bool(choice.tool_calls or choice.refusal)
            message: JSONObject = {
                "role": "assistant",
                "content": "".join(choice.content) if choice.content or not has_other else None,
                "refusal": "".join(choice.refusal) if choice.refusal else None,
                "annotations": [],
            }
            if choice.tool_calls:
                message["tool_calls"] = list(choice.tool_calls)
            if self.meta.reasoning_content and choice.reasoning:
                message["reasoning_content"] = "".join(choice.reasoning)
            choices.append(
                {
                    "index": index,
                    "message": message,
                    "logprobs": (
                        {"content": choice.logprobs, "refusal": None}
                        if self.meta.logprobs
                        else None
                    ),
                    "finish_reason": choice.finish_reason or "stop",
                }
            )
        usage = self.usage or Usage(0, 0)
        return {
            "id": self.meta.id,
            "object": "chat.completion",
            "created": self.meta.created,
            "model": self.meta.model,
            "choices": choices,
            "usage": usage_object(usage),
            "service_tier": "default",
            "system_fingerprint": self.meta.system_fingerprint,
        }


def _utf8(*texts: str) -> bool:
    """Whether every text has a UTF-8 form (no lone surrogate)."""
    try:
        for text in texts:
            text.encode()
    except UnicodeEncodeError:
        return False
    return True


_MARKER = "\ue000"
"""The hole of a chunk template (a private-use character; a meta holding it gets none)."""

_SLOT = "\ue000{}\ue000"
"""A template hole: a private-use character pair no rendered value contains."""


@lru_cache(maxsize=1)
def _completion_template() -> tuple[tuple[bytes, ...], tuple[str, ...]]:
    """The one-choice text ``ChatCompletion`` as byte parts around its holes, and their names.

    Made by the renderer itself: a sample with a sentinel in each hole, dumped and split, so
    the template cannot drift from ``dumps(build())``.
    """
    sample = ChatCompletionBuilder(
        ChatMeta(_SLOT.format("id"), 0, _SLOT.format("model"), _SLOT.format("system_fingerprint")),
        1,
    )
    body: Any = sample.build()
    body["created"] = _SLOT.format("created")
    choice = body["choices"][0]
    choice["message"]["content"] = _SLOT.format("content")
    choice["finish_reason"] = _SLOT.format("finish_reason")
    for key in ("prompt_tokens", "completion_tokens", "total_tokens"):
        body["usage"][key] = _SLOT.format(key)
    body["usage"]["completion_tokens_details"]["reasoning_tokens"] = _SLOT.format(
        "reasoning_tokens"
    )
    text = dumps(body).decode()
    pieces = re.split('"\ue000(\\w+)\ue000"', text)
    return tuple(p.encode() for p in pieces[::2]), tuple(pieces[1::2])


class ChatChunkRenderer:
    """Turns events into ``ChatCompletionChunk`` objects (``stream: true``), one event at a time.

    ``feed`` returns the chunks an event produces (the role chunk comes with the first event of
    each choice); ``close`` returns the usage chunk when ``include_usage`` asked for it.
    """

    def __init__(self, meta: ChatMeta, n: int) -> None:
        self.meta = meta
        self.n = n
        self._started = [False] * n
        self._reasoning_parts: dict[int, int] = {}
        self._usage: Usage | None = None
        self._text_frames: dict[int, tuple[bytes, bytes]] = {}
        # a lone surrogate in the meta makes dumps escape every chunk whole: no templates then
        texts = (meta.id, meta.model, meta.system_fingerprint)
        self._templated = _utf8(*texts) and not any(_MARKER in t for t in texts)

    def encode(self, event: Event) -> bytes:
        """The SSE frames of ``feed(event)``, byte for byte what ``encode_sse`` makes of them.

        A text delta of a choice already under way (no logprobs) is framed from a template of
        its chunk with only the text encoded: most of a stream's chunks, at a fraction of the
        cost of encoding the whole chunk.
        """
        if (
            isinstance(event, TextDelta)
            and self._templated
            and self._started[event.choice]
            and not self.meta.logprobs
        ):
            try:
                text = _encode_string(event.text).encode()
            except UnicodeEncodeError:  # a lone surrogate: the general path escapes it
                pass
            else:
                head, tail = self._text_frame(event.choice)
                return head + text + tail
        return b"".join(encode_sse(chunk) for chunk in self.feed(event))

    def encode_all(self, events: Sequence[Event]) -> bytes:
        """The SSE frames of every event then ``close()``: ``encode`` of each, joined.

        For a ready answer: the text deltas of a choice under way are framed in one tight
        loop from the choice's template.
        """
        out: list[bytes] = []
        append = out.append
        started = self._started
        plain = self._templated and not self.meta.logprobs
        frames = self._text_frames
        for event in events:
            if plain and type(event) is TextDelta and started[event.choice]:
                frame = frames.get(event.choice) or self._text_frame(event.choice)
                try:
                    append(frame[0] + _encode_string(event.text).encode() + frame[1])
                    continue
                except UnicodeEncodeError:  # a lone surrogate: the general path escapes it
                    pass
            append(self.encode(event))
        append(self.encode_close())
        return b"".join(out)

    def _text_frame(self, index: int) -> tuple[bytes, bytes]:
        frame = self._text_frames.get(index)
        if frame is None:
            marker = _MARKER
            sample = encode_sse(
                self._chunk(
                    {
                        "index": index,
                        "delta": {"content": marker},
                        "logprobs": None,
                        "finish_reason": None,
                    }
                )
            )
            head, _, tail = sample.partition(dumps(marker))
            frame = self._text_frames[index] = (head, tail)
        return frame

    def encode_close(self) -> bytes:
        """The SSE frames of ``close()``."""
        return b"".join(encode_sse(chunk) for chunk in self.close())

    def _chunk(self, choice: JSONObject) -> JSONObject:
        chunk: JSONObject = {
            "id": self.meta.id,
            "object": "chat.completion.chunk",
            "created": self.meta.created,
            "model": self.meta.model,
            "service_tier": "default",
            "system_fingerprint": self.meta.system_fingerprint,
            "choices": [choice],
        }
        if self.meta.include_usage:
            chunk["usage"] = None
        return chunk

    def _start(self, index: int, first: Event | None, out: list[JSONObject]) -> None:
        # Choices open in index order, so the client helper's snapshot list grows 0, 1, 2...
        for earlier in range(index):
            if not self._started[earlier]:
                self._start(earlier, None, out)
        self._started[index] = True
        if isinstance(first, ToolCallDelta):
            return  # the role rides on the first tool-call fragment, as the API sends it
        delta: JSONObject = {"role": "assistant", "content": "", "refusal": None}
        if isinstance(first, Refusal):
            delta = {"role": "assistant", "content": None, "refusal": ""}
        out.append(
            self._chunk({"index": index, "delta": delta, "logprobs": None, "finish_reason": None})
        )

    def feed(self, event: Event) -> list[JSONObject]:
        """The chunks for one event (none for ``Usage``, which waits for ``close``)."""
        if isinstance(event, Usage):
            self._usage = event
            return []
        if isinstance(event, ReasoningDelta) and not (self.meta.reasoning_content and event.text):
            return []  # OpenAI sends no reasoning text in chat
        out: list[JSONObject] = []
        index = event.choice
        first = not self._started[index]
        if first:
            self._start(index, event, out)
        logprobs: JSONValue = None
        if isinstance(event, TextDelta):
            delta: JSONObject = {"content": event.text}
            if self.meta.logprobs:
                logprobs = {
                    "content": _token_logprobs(event, self.meta.top_logprobs),
                    "refusal": None,
                }
        elif isinstance(event, ToolCallDelta):
            fragment: JSONObject
            if event.id is not None or event.name is not None:
                fragment = {
                    "index": event.index,
                    "id": event.id,
                    "type": "function",
                    "function": {"name": event.name, "arguments": event.arguments},
                }
            else:
                fragment = {"index": event.index, "function": {"arguments": event.arguments}}
            delta = {"tool_calls": [fragment]}
            if first:
                delta = {"role": "assistant", "content": None, "tool_calls": [fragment]}
        elif isinstance(event, Refusal):
            delta = {"refusal": event.text}
        elif isinstance(event, ReasoningDelta):
            delta = {"reasoning_content": reasoning_piece(event, self._reasoning_parts.get(index))}
            self._reasoning_parts[index] = event.part
        else:
            out.append(
                self._chunk(
                    {"index": index, "delta": {}, "logprobs": None, "finish_reason": event.reason}
                )
            )
            return out
        out.append(
            self._chunk(
                {"index": index, "delta": delta, "logprobs": logprobs, "finish_reason": None}
            )
        )
        return out

    def close(self) -> list[JSONObject]:
        """The final usage chunk (``choices: []``) if ``include_usage``, else nothing."""
        if not self.meta.include_usage:
            return []
        chunk = self._chunk({})
        chunk["choices"] = []
        chunk["usage"] = usage_object(self._usage or Usage(0, 0))
        return [chunk]
