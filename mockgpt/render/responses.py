"""Events -> Responses API objects: the ``Response`` and its stream of events.

Spec: ``Response``, ``ResponseStreamEvent``. One renderer serves both modes: ``feed`` returns
the stream events an event produces, ``close`` the closing ones; the non-streamed body is the
``response`` of the final event, so the two agree by construction.

Stream order per item: ``response.output_item.added`` -> (``response.content_part.added`` ->
``response.output_text.delta``* -> ``response.output_text.done`` ->
``response.content_part.done``) or ``response.function_call_arguments.delta``* ->
``response.function_call_arguments.done`` -> ``response.output_item.done``. A ``reasoning``
item comes first when the answer reasons, its summary parts streamed as
``response.reasoning_summary_part.added`` -> ``response.reasoning_summary_text.delta``* ->
``response.reasoning_summary_text.done`` -> ``response.reasoning_summary_part.done``. The
stream opens with ``response.created`` and ``response.in_progress`` and ends with
``response.completed`` (or ``response.incomplete`` when ``max_output_tokens`` cut it). Every
event has a ``sequence_number`` counting up from 0.
"""

from __future__ import annotations

import base64
import copy
import json
from dataclasses import dataclass, field
from typing import Any

from mockgpt.events import Event, Finish, ReasoningDelta, Refusal, TextDelta, ToolCallDelta, Usage
from mockgpt.ids import new_hex
from mockgpt.types import JSONObject, JSONValue


def new_item_id(prefix: str) -> str:
    """A fresh item id such as ``msg_<40 hex>`` (``mockgpt.ids``: seeded or random)."""
    return f"{prefix}_{new_hex(40)}"


@dataclass
class ResponseMeta:
    """The fields of a ``Response`` that come from the request.

    Attributes:
        id: ``resp_...``.
        created_at: Unix time in seconds.
        model: the model name reported.
        request: request fields echoed in the response (instructions, tools, text, ...).
    """

    id: str
    created_at: int
    model: str
    request: dict[str, Any] = field(default_factory=dict)


ENCRYPTED_REASONING = "reasoning.encrypted_content"
"""The ``include`` value that adds ``encrypted_content`` to reasoning items."""


def encrypted_reasoning(item: JSONObject) -> str:
    """A reasoning item's ``encrypted_content``: opaque base64, the same for the same item."""
    payload = json.dumps({"id": item["id"], "summary": item["summary"]}, separators=(",", ":"))
    return base64.b64encode(b"mockgpt-reasoning-v1:" + payload.encode()).decode()


def reasoning_settings(request: dict[str, Any]) -> JSONObject:
    """The ``reasoning`` a ``Response`` reports: the request's effort and summary, else null."""
    asked = request.get("reasoning")
    asked = asked if isinstance(asked, dict) else {}
    return {"effort": asked.get("effort"), "summary": asked.get("summary")}


def response_object(meta: ResponseMeta, status: str, output: list[JSONValue]) -> JSONObject:
    """A ``Response`` with every required field; ``usage`` is set by the caller."""
    req = meta.request
    return {
        "id": meta.id,
        "object": "response",
        "created_at": meta.created_at,
        "status": status,
        "background": bool(req.get("background") or False),
        "error": None,
        "incomplete_details": None,
        "instructions": req.get("instructions"),
        "max_output_tokens": req.get("max_output_tokens"),
        "model": meta.model,
        "output": output,
        "parallel_tool_calls": req.get("parallel_tool_calls", True) is not False,
        "previous_response_id": req.get("previous_response_id"),
        "reasoning": reasoning_settings(req),
        "store": req.get("store", True) is not False,
        "temperature": req.get("temperature", 1.0),
        "text": req.get("text") or {"format": {"type": "text"}},
        "tool_choice": req.get("tool_choice") or "auto",
        "tools": req.get("tools") or [],
        "top_p": req.get("top_p", 1.0),
        "truncation": "disabled",
        "usage": None,
        "user": req.get("user"),
        "metadata": req.get("metadata") or {},
        "conversation": req.get("conversation"),
    }


class ResponseRenderer:
    """Turns events into Responses API stream events and the final ``Response``."""

    def __init__(self, meta: ResponseMeta) -> None:
        self.meta = meta
        self.sequence = 0
        self.output: list[JSONObject] = []
        self._open: JSONObject | None = None
        self._part: JSONObject | None = None
        self._summary: JSONObject | None = None
        self._finish = "stop"
        self._usage: Usage | None = None
        self._started = False
        self.final: JSONObject | None = None
        self.events: list[JSONObject] = []
        """Every stream event rendered so far, in order (for a later replay)."""

    def _event(self, kind: str, **fields: JSONValue) -> JSONObject:
        event: JSONObject = {"type": kind, "sequence_number": self.sequence, **fields}
        self.sequence += 1
        self.events.append(event)
        return event

    def _snapshot(self, status: str) -> JSONObject:
        return response_object(self.meta, status, [copy.deepcopy(i) for i in self.output])

    def start(self) -> list[JSONObject]:
        """``response.created`` and ``response.in_progress``."""
        self._started = True
        return [
            self._event("response.created", response=self._snapshot("in_progress")),
            self._event("response.in_progress", response=self._snapshot("in_progress")),
        ]

    def _index(self) -> int:
        return len(self.output) - 1

    def _close_part(self, out: list[JSONObject]) -> None:
        item, part = self._open, self._part
        if item is None or part is None:
            return
        common: dict[str, JSONValue] = {
            "item_id": item["id"],
            "output_index": self._index(),
            "content_index": len(item["content"]) - 1,  # type: ignore[arg-type]
        }
        if part["type"] == "output_text":
            out.append(
                self._event("response.output_text.done", **common, text=part["text"], logprobs=[])
            )
        else:
            out.append(self._event("response.refusal.done", **common, refusal=part["refusal"]))
        out.append(self._event("response.content_part.done", **common, part=copy.deepcopy(part)))
        self._part = None

    def _close_summary(self, out: list[JSONObject]) -> None:
        item, part = self._open, self._summary
        if item is None or part is None:
            return
        common: dict[str, JSONValue] = {
            "item_id": item["id"],
            "output_index": self._index(),
            "summary_index": len(item["summary"]) - 1,  # type: ignore[arg-type]
        }
        out.append(self._event("response.reasoning_summary_text.done", **common, text=part["text"]))
        out.append(
            self._event("response.reasoning_summary_part.done", **common, part=copy.deepcopy(part))
        )
        self._summary = None

    def _reasoning(self, event: ReasoningDelta, out: list[JSONObject]) -> None:
        item = self._open
        if item is None or item["type"] != "reasoning":
            self._close_item(out)
            item = {
                "id": new_item_id("rs"),
                "type": "reasoning",
                "summary": [],
                "status": "in_progress",
            }
            self._open_item(item, out)
        if not event.text:
            return  # reasoning without a summary
        summary = item["summary"]
        assert isinstance(summary, list)
        if self._summary is None or len(summary) - 1 != event.part:
            self._close_summary(out)
            self._summary = {"type": "summary_text", "text": ""}
            summary.append(self._summary)
            out.append(
                self._event(
                    "response.reasoning_summary_part.added",
                    item_id=item["id"],
                    output_index=self._index(),
                    summary_index=len(summary) - 1,
                    part=copy.deepcopy(self._summary),
                )
            )
        part = self._summary
        part["text"] = f"{part['text']}{event.text}"
        out.append(
            self._event(
                "response.reasoning_summary_text.delta",
                item_id=item["id"],
                output_index=self._index(),
                summary_index=len(summary) - 1,
                delta=event.text,
            )
        )

    def _close_item(self, out: list[JSONObject], status: str = "completed") -> None:
        item = self._open
        if item is None:
            return
        self._close_part(out)
        self._close_summary(out)
        if item["type"] == "reasoning" and ENCRYPTED_REASONING in (
            self.meta.request.get("include") or ()
        ):
            item["encrypted_content"] = encrypted_reasoning(item)
        if item["type"] == "function_call":
            out.append(
                self._event(
                    "response.function_call_arguments.done",
                    item_id=item["id"],
                    output_index=self._index(),
                    name=item["name"],
                    arguments=item["arguments"],
                )
            )
        item["status"] = status
        out.append(
            self._event(
                "response.output_item.done", output_index=self._index(), item=copy.deepcopy(item)
            )
        )
        self._open = None

    def _open_item(self, item: JSONObject, out: list[JSONObject]) -> None:
        self.output.append(item)
        self._open = item
        out.append(
            self._event(
                "response.output_item.added", output_index=self._index(), item=copy.deepcopy(item)
            )
        )

    def _open_part(self, kind: str, out: list[JSONObject]) -> JSONObject:
        if self._open is None or self._open["type"] != "message":
            self._close_item(out)
            self._open_item(
                {
                    "id": new_item_id("msg"),
                    "type": "message",
                    "status": "in_progress",
                    "role": "assistant",
                    "content": [],
                },
                out,
            )
        item = self._open
        assert item is not None
        if self._part is not None and self._part["type"] == kind:
            return self._part
        self._close_part(out)
        part: JSONObject = (
            {"type": "output_text", "text": "", "annotations": [], "logprobs": []}
            if kind == "output_text"
            else {"type": "refusal", "refusal": ""}
        )
        content = item["content"]
        assert isinstance(content, list)
        content.append(part)
        self._part = part
        out.append(
            self._event(
                "response.content_part.added",
                item_id=item["id"],
                output_index=self._index(),
                content_index=len(content) - 1,
                part=copy.deepcopy(part),
            )
        )
        return part

    def feed(self, event: Event) -> list[JSONObject]:
        """The stream events for one event (the opening events come with the first)."""
        out: list[JSONObject] = [] if self._started else self.start()
        if isinstance(event, Usage):
            self._usage = event
        elif isinstance(event, TextDelta | Refusal):
            kind = "output_text" if isinstance(event, TextDelta) else "refusal"
            part = self._open_part(kind, out)
            item = self._open
            assert item is not None
            content = item["content"]
            assert isinstance(content, list)
            common: dict[str, JSONValue] = {
                "item_id": item["id"],
                "output_index": self._index(),
                "content_index": len(content) - 1,
            }
            if isinstance(event, TextDelta):
                part["text"] = f"{part['text']}{event.text}"
                out.append(
                    self._event(
                        "response.output_text.delta", **common, delta=event.text, logprobs=[]
                    )
                )
            else:
                part["refusal"] = f"{part['refusal']}{event.text}"
                out.append(self._event("response.refusal.delta", **common, delta=event.text))
        elif isinstance(event, ReasoningDelta):
            self._reasoning(event, out)
        elif isinstance(event, ToolCallDelta):
            if event.id is not None or event.name is not None or self._open is None:
                self._close_item(out)
                self._open_item(
                    {
                        "id": new_item_id("fc"),
                        "type": "function_call",
                        "status": "in_progress",
                        "arguments": "",
                        "call_id": event.id or new_item_id("call"),
                        "name": event.name or "",
                    },
                    out,
                )
            item = self._open
            assert item is not None
            item["arguments"] = f"{item['arguments']}{event.arguments}"
            if event.arguments:
                out.append(
                    self._event(
                        "response.function_call_arguments.delta",
                        item_id=item["id"],
                        output_index=self._index(),
                        delta=event.arguments,
                    )
                )
        elif isinstance(event, Finish):
            self._finish = event.reason
        return out

    def close(self) -> list[JSONObject]:
        """The closing events: open items done, then ``response.completed`` / ``.incomplete``."""
        out: list[JSONObject] = [] if self._started else self.start()
        truncated = self._finish in ("length", "content_filter")
        reasoned_only = all(item["type"] == "reasoning" for item in self.output)
        if not self.output or (reasoned_only and not truncated):
            # an empty answer is an empty message; reasoning cut at its budget has none
            self._open_part("output_text", out)
        self._close_item(out, "incomplete" if truncated else "completed")
        status = "incomplete" if truncated else "completed"
        final = self._snapshot(status)
        if truncated:
            reason = "max_output_tokens" if self._finish == "length" else "content_filter"
            final["incomplete_details"] = {"reason": reason}
        usage = self._usage or Usage(0, 0)
        final["usage"] = {
            "input_tokens": usage.prompt_tokens,
            "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
            "output_tokens": usage.completion_tokens,
            "output_tokens_details": {"reasoning_tokens": usage.reasoning_tokens},
            "total_tokens": usage.total_tokens,
        }
        self.final = final
        out.append(self._event(f"response.{status}", response=copy.deepcopy(final)))
        return out
