"""The proxy backend: answers from a real OpenAI-compatible server, streamed through as events.

Every request goes upstream as a stream (``stream: true``, with ``include_usage``), whatever
the client asked, and each chunk becomes events as it arrives, so the first token reaches the
client as soon as the upstream sends it; renderers, faults, quirks, pacing and the journal then
work as for any backend. The upstream applies ``max_tokens`` and ``stop`` itself.

Upstream errors keep their status and envelope; an unreachable upstream is a 502 envelope
naming it. The upstream key is sent only upstream: never logged, journalled or recorded.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx
from httpx_sse import aconnect_sse

from mockgpt.backends.base import RequestContext
from mockgpt.errors import RequestRejected
from mockgpt.events import Event, Finish, Refusal, TextDelta, ToolCallDelta, Usage
from mockgpt.types import FINISH_REASONS, FinishReason

logger = logging.getLogger(__name__)

_PASSED_HEADERS = ("retry-after", "retry-after-ms", "x-should-retry")


def _finish_reason(value: object) -> FinishReason:
    for reason in FINISH_REASONS:
        if value == reason:
            return reason
    return "stop"


def chunk_events(chunk: dict[str, Any], endpoint: str) -> list[Event]:
    """The events of one upstream chunk (``chat.completion.chunk`` or ``text_completion``)."""
    events: list[Event] = []
    for choice in chunk.get("choices") or ():
        if not isinstance(choice, dict):
            continue
        index = int(choice.get("index") or 0)
        if endpoint == "completions":
            if choice.get("text"):
                events.append(TextDelta(str(choice["text"]), index))
        else:
            delta = choice.get("delta") or {}
            if delta.get("content"):
                events.append(TextDelta(str(delta["content"]), index))
            if delta.get("refusal"):
                events.append(Refusal(str(delta["refusal"]), index))
            for call in delta.get("tool_calls") or ():
                function = call.get("function") or {}
                events.append(
                    ToolCallDelta(
                        int(call.get("index") or 0),
                        str(function.get("arguments") or ""),
                        call.get("id"),
                        function.get("name"),
                        index,
                    )
                )
        if choice.get("finish_reason"):
            events.append(Finish(_finish_reason(choice["finish_reason"]), index))
    usage = chunk.get("usage")
    if isinstance(usage, dict):
        events.append(
            Usage(int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0))
        )
    return events


def upstream_error(response: httpx.Response, body: bytes) -> RequestRejected:
    """The upstream's error, with its status, envelope fields and retry headers."""
    message, kind = f"upstream error {response.status_code}", "upstream_error"
    param: object = None
    code: object = None
    try:
        data = json.loads(body)
    except ValueError:
        data = None
    error = data.get("error") if isinstance(data, dict) else None
    if isinstance(error, dict):
        message = str(error.get("message") or message)
        kind = str(error.get("type") or kind)
        param = error.get("param")
        code = error.get("code")
    elif isinstance(data, dict) and "message" in data:
        message = str(data["message"])
    headers = {k: response.headers[k] for k in _PASSED_HEADERS if k in response.headers}
    return RequestRejected(
        response.status_code,
        message,
        type=kind,
        param=str(param) if param is not None else None,
        code=str(code) if code is not None else None,
        headers=headers,
    )


class ProxyBackend:
    """Answers chat and legacy completions from ``base_url`` (an OpenAI-compatible ``/v1``).

    Args:
        base_url: the upstream's base URL, e.g. ``http://127.0.0.1:9000/v1``.
        api_key: sent upstream as ``Authorization: Bearer``; never logged.
        timeout_s: connect and read timeout, seconds.
    """

    live = True
    limits_upstream = True

    def __init__(self, base_url: str, api_key: str | None = None, timeout_s: float = 600) -> None:
        self.base_url = base_url.rstrip("/")
        self._api_key = api_key
        self.timeout_s = timeout_s
        self._client: httpx.AsyncClient | None = None

    def __repr__(self) -> str:
        return f"ProxyBackend({self.base_url!r})"  # no key

    @property
    def client(self) -> httpx.AsyncClient:
        """One pooled HTTP client per backend (created on first use, in the serving loop)."""
        if self._client is None:
            headers = {"authorization": f"Bearer {self._api_key}"} if self._api_key else {}
            self._client = httpx.AsyncClient(
                base_url=self.base_url,
                headers=headers,
                timeout=httpx.Timeout(self.timeout_s, connect=min(self.timeout_s, 10.0)),
            )
        return self._client

    def unreachable(self, exc: Exception) -> RequestRejected:
        """The 502 envelope for an upstream that cannot be reached."""
        return RequestRejected(
            502,
            f"mockgpt could not reach the upstream {self.base_url}: {type(exc).__name__}: {exc}",
            type="upstream_error",
            code="upstream_unreachable",
        )

    async def respond(self, ctx: RequestContext) -> AsyncIterator[Event]:
        """Stream the upstream's answer as events.

        Raises:
            RequestRejected: the upstream's own error status and envelope, or 502 when it
                cannot be reached.
        """
        endpoint = "completions" if ctx.endpoint == "completions" else "chat.completions"
        path = "/completions" if endpoint == "completions" else "/chat/completions"
        body: dict[str, Any] = {
            k: v for k, v in ctx.request.model_dump(by_alias=True, exclude_none=True).items()
        }
        body["stream"] = True
        body["stream_options"] = {"include_usage": True}
        try:
            async with aconnect_sse(self.client, "POST", path, json=body) as source:
                response = source.response
                if response.status_code >= 400:
                    raise upstream_error(response, await response.aread())
                async for sse in source.aiter_sse():
                    if sse.data.startswith("[DONE]"):
                        break
                    data = json.loads(sse.data)
                    if isinstance(data, dict) and data.get("error"):
                        error = data["error"]
                        raise RequestRejected(
                            502,
                            str(error.get("message") if isinstance(error, dict) else error),
                            type="upstream_error",
                        )
                    for event in chunk_events(data, endpoint):
                        yield event
        except httpx.TransportError as exc:
            raise self.unreachable(exc) from exc

    async def forward(self, method: str, path: str, body: Any = None) -> tuple[int, bytes]:
        """Send a request upstream as it is (embeddings, models) and return status and body.

        Raises:
            RequestRejected: 502 when the upstream cannot be reached.
        """
        try:
            response = await self.client.request(method, path, json=body)
        except httpx.TransportError as exc:
            raise self.unreachable(exc) from exc
        return response.status_code, response.content

    async def aclose(self) -> None:
        """Close the pooled HTTP client."""
        if self._client is not None:
            await self._client.aclose()
            self._client = None
