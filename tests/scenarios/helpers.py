"""Helpers for the scenario and quirk tests: a per-test handle on a shared server, clients.

Every test gets its own official clients, tagged with an ``x-test-tag`` header, and reads
only the journal entries with its own tag: an entry is journalled when its response ends,
which can be after the client has returned (or, for a stall, after the test is over).
"""

from __future__ import annotations

import json
import re
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import openai
import pytest
from anyio.from_thread import BlockingPortal
from openai.types.chat import ChatCompletion, ChatCompletionChunk, ParsedChatCompletion

from mockgpt.journal import JournalEntry
from mockgpt.scenarios import Scenario
from mockgpt.server import MockServer

T = TypeVar("T")

BOTH = pytest.mark.parametrize("kind", ["sync", "async"])
"""Run a test with the sync and with the async official client."""

README = Path(__file__).resolve().parents[2] / "README.md"
TAG_HEADER = "x-test-tag"
USER = [{"role": "user", "content": "hello there"}]
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "The weather in a city.",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
}


class Client:
    """The official client, sync or async (driven on a portal), behind the same calls.

    Streams are read to the end; ``chat_chunks_until_error`` also returns what arrived
    before a stream failed.
    """

    def __init__(self, portal: BlockingPortal, client: openai.OpenAI | openai.AsyncOpenAI) -> None:
        self.portal = portal
        self.sync = client if isinstance(client, openai.OpenAI) else None
        self.aio = client if isinstance(client, openai.AsyncOpenAI) else None

    def _run(self, fn: Callable[[], Awaitable[T]]) -> T:
        async def call() -> T:
            return await fn()

        return self.portal.call(call)

    def chat(self, **kwargs: Any) -> ChatCompletion:
        completion: ChatCompletion
        if self.sync is not None:
            completion = self.sync.chat.completions.create(**kwargs)
        else:
            aio = self.aio
            assert aio is not None
            completion = self._run(lambda: aio.chat.completions.create(**kwargs))
        return completion

    def parse(self, **kwargs: Any) -> ParsedChatCompletion[Any]:
        if self.sync is not None:
            return self.sync.chat.completions.parse(**kwargs)
        assert self.aio is not None
        aio = self.aio
        return self._run(lambda: aio.chat.completions.parse(**kwargs))

    def chat_chunks_until_error(
        self, **kwargs: Any
    ) -> tuple[list[ChatCompletionChunk], BaseException | None]:
        """The chunks read, and the exception that ended the stream (None if it ended well)."""
        chunks: list[ChatCompletionChunk] = []
        if self.sync is not None:
            try:
                with self.sync.chat.completions.create(stream=True, **kwargs) as stream:
                    chunks.extend(stream)
            except Exception as exc:
                return chunks, exc
            return chunks, None
        assert self.aio is not None
        aio = self.aio

        async def read() -> BaseException | None:
            try:
                stream = await aio.chat.completions.create(stream=True, **kwargs)
                async with stream:
                    async for chunk in stream:
                        chunks.append(chunk)
            except Exception as exc:
                return exc
            return None

        error = self._run(read)
        return chunks, error

    def chat_chunks(self, **kwargs: Any) -> list[ChatCompletionChunk]:
        chunks, error = self.chat_chunks_until_error(**kwargs)
        if error is not None:
            raise error
        return chunks

    def create(self, *, stream: bool, **kwargs: Any) -> ChatCompletion | list[ChatCompletionChunk]:
        """``chat`` or, when ``stream``, ``chat_chunks``."""
        return self.chat_chunks(**kwargs) if stream else self.chat(**kwargs)


@dataclass
class Mock:
    """One test's view of the shared server: its stubs, its clients and its journal entries.

    Args:
        server: the shared server.
        portal: the event loop the async client runs on.
        clients: the session's official clients by kind (``sync``, ``async``); each test
            uses copies with its own tag and options, on the same connection pool.
    """

    server: MockServer
    portal: BlockingPortal
    clients: dict[str, openai.OpenAI | openai.AsyncOpenAI]
    tag: str = field(default_factory=lambda: secrets.token_hex(8))

    def add(self, *stubs: dict[str, Any], **scenario: Any) -> None:
        """Add a scenario of ``stubs`` (and top-level settings) to the server."""
        self.server.engine.registry.add(
            Scenario.model_validate({"name": "test", "stubs": list(stubs), **scenario})
        )

    def client(self, kind: str = "sync", **options: Any) -> Client:
        """The official client on the server, tagged; ``max_retries=0`` unless given."""
        settings: dict[str, Any] = {"max_retries": 0, **options}
        base = self.clients[kind]
        tagged = base.with_options(default_headers={TAG_HEADER: self.tag}, **settings)
        return Client(self.portal, tagged)

    def entries(self) -> list[JournalEntry]:
        """This test's journal entries so far, oldest first."""
        return [
            e for e in self.server.engine.journal.entries() if e.headers.get(TAG_HEADER) == self.tag
        ]

    def wait_entries(
        self, count: int, until: Callable[[list[JournalEntry]], bool] | None = None
    ) -> list[JournalEntry]:
        """This test's entries once there are ``count`` (and ``until`` holds); at most 5 s."""
        deadline = time.monotonic() + 5
        while True:
            entries = self.entries()
            if len(entries) >= count and (until is None or until(entries)):
                return entries
            assert time.monotonic() < deadline, f"journal: {[e.to_dict() for e in entries]}"
            time.sleep(0.002)


def sse_payloads(body: bytes) -> list[Any]:
    """The data of each SSE event in ``body``: decoded JSON, or the string ``[DONE]``."""
    out: list[Any] = []
    for raw in body.split(b"\n\n"):
        if not raw.strip():
            continue
        assert raw.startswith(b"data: "), raw[:80]
        payload = raw[len(b"data: ") :].rstrip(b"\n")
        out.append("[DONE]" if payload == b"[DONE]" else json.loads(payload))
    return out


def fold(chunks: list[ChatCompletionChunk]) -> dict[str, Any]:
    """Choice 0 of a stream, joined: content, refusal, tool calls, finish_reason, deltas."""
    out: dict[str, Any] = {"content": [], "refusal": [], "tool_calls": {}, "finish": []}
    for chunk in chunks:
        for choice in chunk.choices:
            delta = choice.delta
            if delta.content:
                out["content"].append(delta.content)
            if delta.refusal:
                out["refusal"].append(delta.refusal)
            for call in delta.tool_calls or ():
                held = out["tool_calls"].setdefault(
                    call.index, {"id": None, "name": None, "args": ""}
                )
                held["id"] = held["id"] or call.id
                if call.function is not None:
                    held["name"] = held["name"] or call.function.name
                    held["args"] += call.function.arguments or ""
            if choice.finish_reason is not None:
                out["finish"].append(choice.finish_reason)
    return out


def assistant_turn(
    client: Client, messages: list[dict[str, Any]], *, stream: bool, model: str = "m"
) -> tuple[dict[str, Any], str | None]:
    """One assistant turn offered ``get_weather``: the message an application sends back
    next (``tool_calls`` only when there are some), and the ``finish_reason``.
    """
    if stream:
        folded = fold(client.chat_chunks(model=model, messages=messages, tools=[WEATHER_TOOL]))
        calls = [
            {
                "id": c["id"],
                "type": "function",
                "function": {"name": c["name"], "arguments": c["args"]},
            }
            for _, c in sorted(folded["tool_calls"].items())
        ]
        content = "".join(folded["content"]) or None
        [finish] = folded["finish"]
    else:
        choice = client.chat(model=model, messages=messages, tools=[WEATHER_TOOL]).choices[0]
        calls = [c.model_dump() for c in choice.message.tool_calls or []]
        content = choice.message.content
        finish = choice.finish_reason
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if calls:
        message["tool_calls"] = calls
    return message, finish


def readme_scenario_snippets() -> list[str]:
    """The fenced yaml/json blocks of README.md's "Scenario files" section."""
    text = README.read_text(encoding="utf-8")
    start = text.index("\n## Scenario files\n")
    end = text.find("\n## ", start + 1)
    section = text[start : end if end != -1 else len(text)]
    return re.findall(r"^```(?:yaml|yml|json)\n(.*?)^```", section, flags=re.S | re.M)
