"""The proxy backend: answers from a real OpenAI-compatible server, streamed through as events.

Every request goes upstream as a stream, whatever the client asked, and each upstream SSE
event becomes events as it arrives, so the first token reaches the client as soon as the
upstream sends it; renderers, faults, quirks, pacing and the journal then work as for any
backend. The upstream applies ``max_tokens`` and ``stop`` itself.

- Chat completions, and the Assistants and Ollama APIs (whose requests mockgpt turns into a
  chat conversation), go to ``/chat/completions`` with ``include_usage``; legacy completions
  go to ``/completions``.
- Responses API requests go to ``/responses``. A chained request (``previous_response_id`` or
  ``conversation``) is answered from mockgpt's own store: the ids are mockgpt's, so the
  upstream gets the whole conversation as ``input`` instead.

An upstream HTTP error keeps its status and envelope; an unreachable upstream is a 502
envelope naming it. Once the upstream has answered 200, so has the proxy: an error event
from the upstream (or its connection closing mid-answer) raises ``RequestRejected`` after
the first event, which a stream sends as its error event. The upstream key is sent only
upstream: never logged, journalled or recorded.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import anyio
import httpx

from mockgpt.backends.proxy_wire import (
    ChunkReader,
    Reader,
    ResponseEventReader,
    chat_body,
    responses_body,
    upstream_error,
)
from mockgpt.backends.upstream import (
    MAX_UPSTREAM_EVENT_BYTES,
    UpstreamTooLarge,
    body_as_stream,
    read_bounded,
    sse_data,
    within,
)
from mockgpt.config import UpstreamTimeouts
from mockgpt.errors import RequestRejected
from mockgpt.events import Event, TextDelta
from mockgpt.turn import Turn

logger = logging.getLogger(__name__)

UPSTREAM_MAX_CONNECTIONS = 100
"""Connections the proxy opens to its upstream at once; more requests wait up to the connect
timeout for one. A request whose client disconnects closes its connection at once, so
abandoned requests never hold the pool."""

_FORWARD_MAX_BYTES = 1024 * 1024 * 1024
"""A forwarded answer (embeddings, models) is passed on whole; only a runaway one is cut."""


class ProxyBackend:
    """Answers generation requests from ``base_url`` (an OpenAI-compatible ``/v1``).

    Chat and legacy completions, Responses, and the Assistants and Ollama APIs as chat
    completions; ``forward`` sends embeddings and models requests as they are.

    Args:
        base_url: the upstream's base URL, e.g. ``http://127.0.0.1:9000/v1``.
        api_key: sent upstream as ``Authorization: Bearer``; never logged.
        timeouts: connect, first event and idle timeouts, seconds.
        max_event_bytes: the largest SSE line or event, or JSON body, read from the upstream.
    """

    live = True
    limits_upstream = True

    def __init__(
        self,
        base_url: str,
        api_key: str | None = None,
        timeouts: UpstreamTimeouts | None = None,
        *,
        max_event_bytes: int = MAX_UPSTREAM_EVENT_BYTES,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._api_key = api_key
        self.timeouts = timeouts or UpstreamTimeouts()
        self.max_event_bytes = max_event_bytes
        self._client: httpx.AsyncClient | None = None

    def __repr__(self) -> str:
        return f"ProxyBackend({self.base_url!r})"  # no key

    @property
    def client(self) -> httpx.AsyncClient:
        """One pooled HTTP client per backend (created on first use, in the serving loop).

        httpx times the connection (and the wait for a pooled one) and each write; the
        waits for the upstream's first event and between events are timed by the reader.
        """
        if self._client is None:
            headers = {"authorization": f"Bearer {self._api_key}"} if self._api_key else {}
            connect_s = self.timeouts.connect_s
            self._client = httpx.AsyncClient(
                base_url=self.base_url,
                headers=headers,
                timeout=httpx.Timeout(
                    connect=connect_s, read=None, write=self.timeouts.idle_s, pool=connect_s
                ),
                limits=httpx.Limits(
                    max_connections=UPSTREAM_MAX_CONNECTIONS,
                    max_keepalive_connections=min(20, UPSTREAM_MAX_CONNECTIONS),
                ),
            )
        return self._client

    def unreachable(self, exc: Exception) -> RequestRejected:
        """The 502 envelope for an upstream that cannot be reached."""
        if isinstance(exc, httpx.PoolTimeout):
            return RequestRejected(
                502,
                f"mockgpt could not reach the upstream {self.base_url}: all "
                f"{UPSTREAM_MAX_CONNECTIONS} connections to it stayed busy for "
                f"{self.timeouts.connect_s} s",
                type="upstream_error",
                code="upstream_unreachable",
            )
        return RequestRejected(
            502,
            f"mockgpt could not reach the upstream {self.base_url}: {type(exc).__name__}: {exc}",
            type="upstream_error",
            code="upstream_unreachable",
        )

    def timed_out(self, what: str, seconds: float) -> RequestRejected:
        """The 504 envelope (or, mid-stream, error event) for an upstream that went quiet."""
        return RequestRejected(
            504,
            f"the upstream {self.base_url} sent {what} within {seconds:g} s "
            "(mockgpt serve --upstream-timeout CONNECT,FIRST_BYTE,IDLE)",
            type="server_error",
            code="upstream_timeout",
        )

    def too_large(self, exc: UpstreamTooLarge) -> RequestRejected:
        """The 502 envelope (or, mid-stream, error event) for an oversized upstream answer."""
        return RequestRejected(
            502,
            f"the upstream {self.base_url} sent {exc}, over mockgpt's limit of "
            f"{self.max_event_bytes} bytes",
            type="upstream_error",
            code="upstream_too_large",
        )

    async def respond(self, ctx: Turn) -> AsyncIterator[Event]:
        """Stream the upstream's answer as events.

        Raises:
            RequestRejected: the upstream's own error status and envelope, 502 when it
                cannot be reached or its answer is too large, 504 when it sends nothing in
                time; after the first event, the upstream's error event (or a 502 / 504 when
                its connection closes, it goes quiet or an event is too large mid-answer).
        """
        reader: Reader
        if ctx.endpoint == "responses":
            endpoint, path, body = "responses", "/responses", responses_body(ctx)
            reader = ResponseEventReader()
        else:
            endpoint = "completions" if ctx.endpoint == "completions" else "chat.completions"
            path = "/completions" if endpoint == "completions" else "/chat/completions"
            body = chat_body(ctx)
            body["stream"] = True
            body["stream_options"] = {"include_usage": True}
            reader = ChunkReader(endpoint)
        async for event in self._stream(path, body, reader, endpoint):
            yield event

    async def _stream(
        self, path: str, body: dict[str, Any], reader: Reader, endpoint: str
    ) -> AsyncIterator[Event]:
        """The upstream's answer as events.

        Its first SSE event (or its JSON body) must come within ``first_byte_s`` of sending
        the request, each later one within ``idle_s`` of the one before. Cancelling the
        iterator (the client left) closes the upstream connection.
        """
        timeouts = self.timeouts
        deadline = anyio.current_time() + timeouts.first_byte_s
        heard = False  # an SSE event (or the body) came: later waits are idle waits
        started = False  # an event was yielded: errors go in the stream from now on
        try:
            request = self.client.build_request(
                "POST", path, json=body, headers={"accept": "text/event-stream"}
            )
            response = await within(
                deadline - anyio.current_time(), self.client.send(request, stream=True)
            )
        except TimeoutError as exc:
            raise self.timed_out("no response", timeouts.first_byte_s) from exc
        except httpx.TransportError as exc:
            raise self.unreachable(exc) from exc
        try:
            if response.status_code >= 400:
                raise upstream_error(response, await self._body(response, deadline))
            media_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
            if media_type == "application/json":
                objects = _objects(body_as_stream(await self._json(response, deadline), endpoint))
            elif media_type in ("text/event-stream", ""):
                objects = sse_data(response.aiter_bytes(), self.max_event_bytes)
            else:
                raise RequestRejected(
                    502,
                    f"the upstream {self.base_url} answered with content-type {media_type!r}, "
                    "not text/event-stream or application/json",
                    type="upstream_error",
                    code="upstream_malformed",
                )
            try:
                while True:
                    wait = timeouts.idle_s if heard else deadline - anyio.current_time()
                    try:
                        data = await within(wait, objects.__anext__())
                    except StopAsyncIteration:
                        break
                    except TimeoutError as exc:
                        if heard:
                            raise self.timed_out("no further event", timeouts.idle_s) from exc
                        raise self.timed_out("no event", timeouts.first_byte_s) from exc
                    heard = True
                    if data.startswith("[DONE]"):
                        break
                    events = reader.feed(self._decode(data))
                    for event in events:
                        started = True
                        yield event
                    if reader.done:
                        break
            except UpstreamTooLarge as exc:
                raise self.too_large(exc) from exc
            except RequestRejected as error:
                if not started and error.code != "upstream_timeout":
                    # the upstream said 200, so the proxy does: the error goes in the stream
                    yield TextDelta("")
                raise
            except httpx.TransportError as exc:
                if not started:
                    yield TextDelta("")
                raise RequestRejected(
                    502,
                    f"the upstream {self.base_url} broke off its answer: "
                    f"{type(exc).__name__}: {exc}",
                    type="upstream_error",
                    code="upstream_broken_stream",
                ) from exc
        finally:
            with anyio.CancelScope(shield=True):
                await response.aclose()

    async def _body(self, response: httpx.Response, deadline: float) -> bytes:
        """The upstream's whole body, bounded, the first read before ``deadline``."""
        return await self._read(response, deadline, self.max_event_bytes)

    async def _read(self, response: httpx.Response, deadline: float, max_bytes: int) -> bytes:
        """The whole body: its first bytes before ``deadline``, then reads ``idle_s`` apart.

        Raises:
            RequestRejected: 504 when too slow, 502 when over ``max_bytes``.
        """
        try:
            return await read_bounded(
                response.aiter_bytes(),
                max_bytes,
                first_s=deadline - anyio.current_time(),
                idle_s=self.timeouts.idle_s,
            )
        except TimeoutError as exc:
            raise self.timed_out("no whole body", self.timeouts.first_byte_s) from exc
        except UpstreamTooLarge as exc:
            raise self.too_large(exc) from exc

    async def _json(self, response: httpx.Response, deadline: float) -> dict[str, Any]:
        """The JSON body of an upstream that answered ``stream: true`` with one object."""
        return self._decode((await self._body(response, deadline)).decode("utf-8", "replace"))

    def _decode(self, data: str) -> dict[str, Any]:
        try:
            value = json.loads(data)
        except ValueError:
            value = None
        if not isinstance(value, dict):
            raise RequestRejected(
                502,
                f"the upstream {self.base_url} sent an SSE event that is not a JSON object: "
                f"{data[:80]!r}",
                type="upstream_error",
                code="upstream_malformed",
            )
        return value

    async def forward(self, method: str, path: str, body: Any = None) -> tuple[int, bytes]:
        """Send a request upstream as it is (embeddings, models) and return status and body.

        The same timeouts as a generation request: the body must begin within
        ``first_byte_s`` and each read within ``idle_s``.

        Raises:
            RequestRejected: 502 when the upstream cannot be reached, 504 when it is too slow.
        """
        deadline = anyio.current_time() + self.timeouts.first_byte_s
        try:
            request = self.client.build_request(method, path, json=body)
            response = await within(
                deadline - anyio.current_time(), self.client.send(request, stream=True)
            )
        except TimeoutError as exc:
            raise self.timed_out("no response", self.timeouts.first_byte_s) from exc
        except httpx.TransportError as exc:
            raise self.unreachable(exc) from exc
        try:
            content = await self._read(response, deadline, _FORWARD_MAX_BYTES)
        except httpx.TransportError as exc:
            raise self.unreachable(exc) from exc
        finally:
            with anyio.CancelScope(shield=True):
                await response.aclose()
        return response.status_code, content

    async def aclose(self) -> None:
        """Close the pooled HTTP client."""
        if self._client is not None:
            await self._client.aclose()
            self._client = None


async def _objects(objects: list[dict[str, Any]]) -> AsyncIterator[str]:
    """Stream objects as the SSE data they would have come in."""
    for data in objects:
        yield json.dumps(data)
