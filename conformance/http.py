"""The raw-bytes client: every request with a timeout, every answer kept byte for byte.

This is plain ``httpx``, whichever HTTP library the installed ``openai`` package uses (httpx2
for openai 3.x), so the suite reads exactly what the server sent. Each request is an
``Exchange``, which renders the ``curl`` command that sends it again.

A connection a server may have given up on is never reused: after a 5xx, a broken or cut
stream, or a ``Connection: close``, the next request opens a fresh connection. And a
request whose connection was reset before any answer came is sent once more, on a fresh
connection, only when that connection had served an earlier request (the server may have
closed it in between): so a dropped connection is charged to the request that broke it,
never to whichever check runs next.
"""

from __future__ import annotations

import json
import shlex
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache, cached_property
from typing import Any, Literal

import certifi
import httpx

from conformance.failures import Violation, shorten
from conformance.sse import SSEStreamParse, parse_sse

USER_AGENT = "mockgpt-conformance/0.1"
SSE_INSTEAD_OF_JSON = "server-sent events where one JSON body was expected (no `stream: true` sent)"

Auth = Literal["configured", "none", "literal"]
"""Which ``Authorization`` header a request carries: the configured key, none, or a given one."""


@dataclass(frozen=True)
class Exchange:
    """One request, as sent.

    Attributes:
        method: ``GET`` or ``POST``.
        url: the full URL.
        body: the JSON body, None for none.
        auth: which key was sent (``configured``: shown as ``$OPENAI_API_KEY`` in ``curl``).
        key: the literal key when ``auth == "literal"``.
        stream: whether the answer is read as a stream (``curl -N``).
    """

    method: str
    url: str
    body: Any = None
    auth: Auth = "configured"
    key: str = ""
    stream: bool = False

    def curl(self) -> str:
        """A one-line ``curl`` command that sends this request again."""
        parts = ["curl", "-sS"]
        if self.stream:
            parts.append("-N")
        if self.method != "GET" or self.body is not None:
            parts += ["-X", self.method]
        parts.append(shlex.quote(self.url))
        if self.auth == "configured":
            parts += ["-H", '"Authorization: Bearer $OPENAI_API_KEY"']
        elif self.auth == "literal":
            parts += ["-H", shlex.quote(f"Authorization: Bearer {self.key}")]
        if self.body is not None:
            parts += ["-H", shlex.quote("Content-Type: application/json")]
            parts += ["-d", shlex.quote(json.dumps(self.body, ensure_ascii=False))]
        return " ".join(parts)


@dataclass
class HttpResult:
    """An answer read whole.

    Attributes:
        exchange: the request.
        status: the HTTP status.
        headers: response headers, lower-case names.
        body: the body bytes.
        elapsed_s: seconds from sending to the last byte.
    """

    exchange: Exchange
    status: int
    headers: Mapping[str, str]
    body: bytes
    elapsed_s: float = 0.0

    @property
    def content_type(self) -> str:
        """The media type, lower case, without parameters (``""`` when absent)."""
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    @cached_property
    def json(self) -> Any:
        """The body decoded as JSON.

        Raises:
            ValueError: the body is not JSON.
        """
        return json.loads(self.body)

    def json_or_none(self) -> Any:
        """The body as JSON, or None when it is not JSON."""
        try:
            return self.json
        except ValueError:
            return None

    @property
    def unexpected_sse(self) -> bool:
        """Whether the body is server-sent events though the request asked for one JSON body."""
        if self.exchange.stream:
            return False
        return self.content_type == "text/event-stream" or self.body.lstrip().startswith(
            (b"data:", b"event:")
        )

    def text(self, limit: int = 300) -> str:
        """The body as text, shortened for messages; said to be SSE when JSON was expected."""
        text = self.body.decode("utf-8", errors="replace")
        if self.unexpected_sse:
            text = f"{SSE_INSTEAD_OF_JSON}: {text}"
        return shorten(text, limit)


@dataclass
class StreamResult(HttpResult):
    """An answer to ``stream: true``, read to its end (or to the stream deadline)."""

    chunks_received: int = field(default=0)
    first_byte_s: float | None = field(default=None)
    """Seconds from sending to the first byte of the body; None when it had none."""

    @cached_property
    def sse(self) -> SSEStreamParse:
        """The body parsed as server-sent events."""
        return parse_sse(self.body)


class _Reset(Exception):
    """A stream's connection failed; ``retry``: it may be sent once more."""

    def __init__(self, violation: Violation, *, retry: bool) -> None:
        super().__init__(violation.headline())
        self.violation = violation
        self.retry = retry


@cache
def _ssl_context() -> ssl.SSLContext:
    # One verifying context per process: loading the CA bundle costs ~0.2 s each time.
    return ssl.create_default_context(cafile=certifi.where())


class RawClient:
    """Sends requests with plain ``httpx``; never retries, always times out.

    Args:
        base_url: the API root, e.g. ``http://127.0.0.1:8000/v1``.
        api_key: the configured key, None to send none.
        timeout_s: connect and read timeout of every request, seconds.
        stream_timeout_s: the longest a stream may stay open, seconds.
    """

    def __init__(
        self, base_url: str, api_key: str | None, *, timeout_s: float, stream_timeout_s: float
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.timeout_s = timeout_s
        self.stream_timeout_s = stream_timeout_s
        self._http = self._new_pool()
        self._reused = False
        self.reconnects = 0
        """How many times the pool was replaced after a broken connection (for tests)."""

    def _new_pool(self) -> httpx.Client:
        return httpx.Client(
            timeout=httpx.Timeout(self.timeout_s, connect=min(self.timeout_s, 10.0)),
            headers={"user-agent": USER_AGENT},
            verify=_ssl_context(),
        )

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def reconnect(self) -> None:
        """Drop every pooled connection: the next request opens a fresh one."""
        self._http.close()
        self._http = self._new_pool()
        self._reused = False
        self.reconnects += 1

    def _settle(self, status: int | None, headers: Mapping[str, str] | None) -> None:
        # After an answer the server may have closed its side of: a fresh pool next time.
        closing = headers is not None and headers.get("connection", "").lower() == "close"
        if status is None or status >= 500 or closing:
            self.reconnect()
        else:
            self._reused = True

    def _retryable(self, exc: httpx.TransportError, *, received: bool) -> bool:
        # Only a reset before any byte of the answer, on a connection that served before.
        reset = isinstance(
            exc, (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)
        ) and not isinstance(exc, httpx.TimeoutException)
        return reset and not received and self._reused

    def exchange(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        auth: Auth = "configured",
        key: str = "",
        stream: bool = False,
    ) -> Exchange:
        """The ``Exchange`` for a request to ``path`` (relative to the base URL)."""
        if auth == "configured" and self.api_key is None:
            auth = "none"
        return Exchange(method, self.base_url + path, body, auth, key, stream)

    def _headers(self, exchange: Exchange) -> dict[str, str]:
        # As the official client does: JSON accepted even for streams (decided by the body).
        headers = {"accept": "application/json"}
        if exchange.body is not None:
            headers["content-type"] = "application/json"
        if exchange.auth == "configured" and self.api_key is not None:
            headers["authorization"] = f"Bearer {self.api_key}"
        elif exchange.auth == "literal":
            headers["authorization"] = f"Bearer {exchange.key}"
        return headers

    def _content(self, exchange: Exchange) -> bytes | None:
        if exchange.body is None:
            return None
        return json.dumps(exchange.body, ensure_ascii=False).encode()

    def send(self, exchange: Exchange) -> HttpResult:
        """Send a request and read the whole answer.

        Raises:
            Violation: on a timeout or a connection failure (path ``<connection>``).
        """
        started = time.monotonic()
        for attempt in (1, 2):
            try:
                response = self._http.request(
                    exchange.method,
                    exchange.url,
                    content=self._content(exchange),
                    headers=self._headers(exchange),
                )
            except httpx.TimeoutException as exc:
                self.reconnect()
                raise self._timeout(exchange, exc) from exc
            except httpx.TransportError as exc:
                retry = attempt == 1 and self._retryable(exc, received=False)
                self.reconnect()
                if retry:
                    continue
                raise self._broken(exchange, exc) from exc
            break
        headers = {k.lower(): v for k, v in response.headers.items()}
        self._settle(response.status_code, headers)
        return HttpResult(
            exchange,
            response.status_code,
            headers,
            response.content,
            time.monotonic() - started,
        )

    def send_stream(self, exchange: Exchange, *, owner: str | None = None) -> StreamResult:
        """Send a request and read its answer as it arrives, up to ``stream_timeout_s``.

        Args:
            exchange: the request.
            owner: the check that owns "a stream ends" for this request.

        Raises:
            Violation: the stream was still open at the deadline, no byte came for
                ``timeout_s``, or the connection failed.
        """
        for attempt in (1, 2):
            try:
                return self._read_stream(exchange, owner)
            except _Reset as reset:
                if attempt == 2 or not reset.retry:
                    raise reset.violation from reset.__cause__
        raise AssertionError("unreachable")  # pragma: no cover

    def _read_stream(self, exchange: Exchange, owner: str | None) -> StreamResult:
        started = time.monotonic()
        deadline = started + self.stream_timeout_s
        parts: list[bytes] = []
        pieces = 0
        first_byte_s: float | None = None
        status: int | None = None
        headers: dict[str, str] | None = None
        try:
            with self._http.stream(
                exchange.method,
                exchange.url,
                content=self._content(exchange),
                headers=self._headers(exchange),
            ) as response:
                status = response.status_code
                headers = {k.lower(): v for k, v in response.headers.items()}
                for piece in response.iter_bytes():
                    if not parts:
                        first_byte_s = time.monotonic() - started
                    parts.append(piece)
                    pieces += 1
                    if time.monotonic() > deadline:
                        received = b"".join(parts)
                        self.reconnect()
                        raise Violation(
                            "<stream>",
                            f"the stream ends within {self.stream_timeout_s:g} s",
                            f"still open after {self.stream_timeout_s:g} s "
                            f"({len(received)} bytes received; last: "
                            f"{received[-120:].decode('utf-8', 'replace')!r})",
                            owner=owner,
                            exchange=exchange,
                            note="a stream that never ends hangs every client that waits "
                            "for [DONE] or for the connection to close",
                        )
        except httpx.TimeoutException as exc:
            self.reconnect()
            raise self._timeout(exchange, exc, received=b"".join(parts), owner=owner) from exc
        except httpx.TransportError as exc:
            retry = status is None and self._retryable(exc, received=bool(parts))
            self.reconnect()
            violation = self._broken(exchange, exc, received=b"".join(parts), owner=owner)
            raise _Reset(violation, retry=retry) from exc
        self._settle(status, headers)
        return StreamResult(
            exchange,
            status,
            headers,
            b"".join(parts),
            time.monotonic() - started,
            chunks_received=pieces,
            first_byte_s=first_byte_s,
        )

    def _timeout(
        self,
        exchange: Exchange,
        exc: Exception,
        *,
        received: bytes = b"",
        owner: str | None = None,
    ) -> Violation:
        got = f"no byte for {self.timeout_s:g} s ({type(exc).__name__})"
        if received:
            got += f" after {len(received)} bytes; last: {received[-120:]!r}"
        return Violation(
            "<timeout>",
            f"an answer, each byte within {self.timeout_s:g} s",
            got,
            owner=owner,
            exchange=exchange,
        )

    def _broken(
        self,
        exchange: Exchange,
        exc: Exception,
        *,
        received: bytes = b"",
        owner: str | None = None,
    ) -> Violation:
        got = f"{type(exc).__name__}: {exc}"
        if received:
            got += f" after {len(received)} bytes; last: {received[-120:]!r}"
        return Violation(
            "<connection>",
            "a complete HTTP answer",
            got,
            owner=owner,
            exchange=exchange,
        )
