"""``CheckContext``: what a check works with.

The settings (base URL, model, key), the raw-bytes client, the official ``openai`` clients
(default and strict), and accessors that send the common requests once per run and hand
back answers whose basic shape is already checked (by ``conformance.answers``). When that
basic shape is broken, the accessor raises a ``Violation`` owned by the check whose rule it
is (``chat.stream.sse`` for a stream request answered with JSON, ``errors.envelope`` for an
error body without ``error``), so the other checks report *blocked by* it instead of failing
for the same cause.
"""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from conformance.answers import (
    CHAT_SCHEMA,
    STREAM_SSE,
    ChatAnswer,
    ChatStream,
    error_message,
    read_chat,
    read_chat_stream,
    read_data_chunks,
    read_error,
)
from conformance.failures import Level, Unsupported, Violation
from conformance.http import Auth, Exchange, HttpResult, RawClient, StreamResult

DEFAULT_PROMPT = "Say hello in one short sentence."
DEFAULT_MAX_TOKENS = 64
SEED = 20240601
"""The ``seed`` of every request: with ``temperature: 0``, a model's answers are as
repeatable as it can make them, so no check depends on what a model happens to say."""
REFUSAL_STATUSES = frozenset({400, 404, 405, 415, 422, 501})
"""Statuses that refuse an optional feature cleanly (the feature is reported unsupported)."""


@dataclass(frozen=True)
class Settings:
    """How to reach the server under test, and the run's budgets.

    Attributes:
        base_url: the API root, e.g. ``http://127.0.0.1:8000/v1``.
        model: a chat model the server serves.
        api_key: the key to send, None for none.
        embedding_model: an embedding model; None reports embeddings as unsupported.
        timeout_s: connect and read timeout of every request, seconds.
        stream_timeout_s: the longest a stream may stay open, seconds.
        property_examples: generated requests per property check (the hypothesis budget).
        rate_limit_model: a model the server answers with 429 (to check the retry contract).
        stream_error_model: a model whose streams fail with an error event mid-stream.
        profile: the kind of server (``inference``, ``proxy``, ``fixture-mock``): which
            checks are not applicable to it (``conformance.profiles``).
    """

    base_url: str
    model: str
    api_key: str | None = None
    embedding_model: str | None = None
    timeout_s: float = 30.0
    stream_timeout_s: float = 60.0
    property_examples: int = 25
    rate_limit_model: str | None = None
    stream_error_model: str | None = None
    profile: str = "inference"


def _key(exchange: Exchange) -> str:
    return json.dumps(
        [
            exchange.method,
            exchange.url,
            exchange.body,
            exchange.auth,
            exchange.key,
            exchange.stream,
        ],
        sort_keys=True,
    )


def _copy(violation: Violation) -> Violation:
    copied = Violation(
        violation.path,
        violation.expected,
        violation.actual,
        level=violation.level,
        owner=violation.owner,
        exchange=violation.exchange,
        note=violation.note,
        rule=violation.rule,
    )
    copied.severity = violation.severity
    copied.more = [_copy(v) for v in violation.more]
    return copied


class CheckContext:
    """Everything a check needs; one per run (per xdist worker).

    Args:
        settings: where the server is, and the budgets.
        raw: the raw-bytes client (built from ``settings`` when None).
    """

    def __init__(self, settings: Settings, raw: RawClient | None = None) -> None:
        self.settings = settings
        self.raw = raw or RawClient(
            settings.base_url,
            settings.api_key,
            timeout_s=settings.timeout_s,
            stream_timeout_s=settings.stream_timeout_s,
        )
        self._cache: dict[str, HttpResult | Violation] = {}
        self._clients: dict[bool, Any] = {}

    def close(self) -> None:
        """Close the HTTP clients."""
        self.raw.close()
        self._drop_clients()

    def _drop_clients(self) -> None:
        for client in self._clients.values():
            client.close()
        self._clients.clear()

    # -- requests ----------------------------------------------------------------------
    @property
    def model(self) -> str:
        """The chat model under test."""
        return self.settings.model

    def chat_body(self, **overrides: Any) -> dict[str, Any]:
        """The default chat request (one short user message), with ``overrides`` applied.

        Every request carries ``max_tokens``, ``temperature: 0`` and ``seed``. An override of
        None removes the key.
        """
        body: dict[str, Any] = {
            "model": self.settings.model,
            "messages": [{"role": "user", "content": DEFAULT_PROMPT}],
            "max_tokens": DEFAULT_MAX_TOKENS,
            "temperature": 0,
            "seed": SEED,
        }
        for key, value in overrides.items():
            if value is None:
                body.pop(key, None)
            else:
                body[key] = copy.deepcopy(value)
        return body

    def _cached(self, exchange: Exchange, send: Any, cache: bool) -> Any:
        key = _key(exchange)
        if cache and key in self._cache:
            hit = self._cache[key]
            if isinstance(hit, Violation):
                raise _copy(hit)
            return hit
        try:
            result = send()
        except Violation as violation:
            if cache:
                self._cache[key] = violation
            raise
        if cache:
            self._cache[key] = result
        return result

    def get(self, path: str, *, auth: Auth = "configured", key: str = "") -> HttpResult:
        """``GET path`` (cached for the run)."""
        exchange = self.raw.exchange("GET", path, auth=auth, key=key)
        result: HttpResult = self._cached(exchange, lambda: self.raw.send(exchange), True)
        return result

    def post(
        self,
        path: str,
        body: Any,
        *,
        auth: Auth = "configured",
        key: str = "",
        cache: bool = True,
    ) -> HttpResult:
        """``POST path`` with a JSON body, read whole (cached for the run unless told)."""
        exchange = self.raw.exchange("POST", path, body, auth=auth, key=key)
        result: HttpResult = self._cached(exchange, lambda: self.raw.send(exchange), cache)
        return result

    def post_stream(
        self, path: str, body: Any, *, owner: str | None = STREAM_SSE, cache: bool = True
    ) -> StreamResult:
        """``POST path`` and read the answer as a stream, with the stream deadline."""
        exchange = self.raw.exchange("POST", path, body, stream=True)
        result: StreamResult = self._cached(
            exchange, lambda: self.raw.send_stream(exchange, owner=owner), cache
        )
        return result

    def exchange(self, method: str, path: str, body: Any = None, stream: bool = False) -> Exchange:
        """The ``Exchange`` for a request the official client sends (for ``curl`` lines)."""
        return self.raw.exchange(method, path, body, stream=stream)

    # -- answers with their outline checked --------------------------------------------
    def refusal(self, result: HttpResult) -> str | None:
        """Why the server refused a request cleanly (a 4xx refusal), None otherwise."""
        if result.status in REFUSAL_STATUSES:
            return f"HTTP {result.status}: {error_message(result)}"
        return None

    def expect_ok(self, result: HttpResult, *, optional: str | None, owner: str | None) -> None:
        """Raise unless ``result`` is a 2xx answer.

        Args:
            result: the answer.
            optional: the optional feature the request uses; a clean refusal of it raises
                ``Unsupported``. None: the request uses nothing optional.
            owner: the check that owns "this request succeeds".

        Raises:
            Unsupported: ``optional`` was refused with a 4xx.
            Violation: any other non-2xx answer.
        """
        if 200 <= result.status < 300:
            return
        reason = self.refusal(result)
        if optional is not None and reason is not None:
            raise Unsupported(f"{optional}: refused with {reason}", exchange=result.exchange)
        raise Violation(
            "<status>",
            "200",
            f"{result.status} {result.text(200)}",
            owner=owner,
            exchange=result.exchange,
        )

    def chat(
        self, *, optional: str | None = None, cache: bool = True, **overrides: Any
    ) -> ChatAnswer:
        """A non-streamed chat completion for ``chat_body(**overrides)``.

        Raises:
            Unsupported: ``optional`` was refused.
            Violation: a non-2xx answer, or a body without the chat completion outline
                (owned by ``chat.response.schema``).
        """
        body = self.chat_body(**overrides)
        result = self.post("/chat/completions", body, cache=cache)
        self.expect_ok(result, optional=optional, owner=CHAT_SCHEMA)
        return read_chat(result)

    def stream(
        self, path: str, body: dict[str, Any], *, optional: str | None = None, cache: bool = True
    ) -> tuple[StreamResult, list[dict[str, Any]], bool]:
        """A stream whose framing holds: ``(result, JSON objects of the data events, done)``.

        Raises:
            Unsupported: ``optional`` was refused.
            Violation: a non-2xx answer or no SSE events (owned by ``chat.stream.sse``);
                an event without JSON data (``chat.stream.data-lines``); an error event.
        """
        result = self.post_stream(path, body, cache=cache)
        self.expect_ok(result, optional=optional, owner=STREAM_SSE)
        chunks, done = read_data_chunks(result)
        return result, chunks, done

    def chat_stream(
        self, *, optional: str | None = None, cache: bool = True, **overrides: Any
    ) -> ChatStream:
        """A chat completion stream for ``chat_body(stream=True, **overrides)``.

        Raises:
            Unsupported: ``optional`` was refused.
            Violation: as ``stream``; or a chunk without a ``choices`` array of objects with
                an integer ``index`` and a ``delta`` object (owned by
                ``chat.stream.chunk-schema``).
        """
        body = self.chat_body(stream=True, **overrides)
        result, chunks, done = self.stream(
            "/chat/completions", body, optional=optional, cache=cache
        )
        return read_chat_stream(result, chunks, done)

    # -- errors ------------------------------------------------------------------------
    def error_of(self, result: HttpResult, *, types: bool = True) -> dict[str, Any]:
        """The ``error`` object of an error answer, its envelope checked.

        Args:
            result: an error answer.
            types: also check the types of the four fields.

        Raises:
            Violation: not ``{"error": {message, type, param, code}}`` JSON (owned by
                ``errors.envelope``), or a field of the wrong type (``errors.field-types``).
        """
        return read_error(result, types=types)

    # -- the official client -----------------------------------------------------------
    def client(self, *, strict: bool = False) -> Any:
        """The official ``openai.OpenAI`` client (no retries), strict or default.

        Typed ``Any`` so the checks run with any major version of ``openai``.
        """
        if strict not in self._clients:
            import openai

            self._clients[strict] = openai.OpenAI(
                base_url=self.settings.base_url,
                api_key=self.settings.api_key or "sk-no-key",
                max_retries=0,
                timeout=self.settings.timeout_s,
                _strict_response_validation=strict,
            )
        return self._clients[strict]

    def helpers(self) -> Any:
        """``client.chat.completions`` with ``.stream()`` / ``.parse()`` (``beta`` in 1.x)."""
        completions = self.client().chat.completions
        if hasattr(completions, "stream") and hasattr(completions, "parse"):
            return completions
        return self.client().beta.chat.completions

    @contextmanager
    def client_step(self, level: Level, exchange: Exchange, what: str) -> Iterator[None]:
        """Turn an exception of the official client into a ``Violation`` at ``level``."""
        try:
            yield
        except (Violation, Unsupported):
            raise
        except Exception as exc:
            if type(exc).__name__ in ("APIConnectionError", "APITimeoutError"):
                self._drop_clients()  # the next check gets fresh connections
            raise Violation(
                "<client>",
                f"{what} without an error",
                f"{type(exc).__name__}: {exc}",
                level=level,
                exchange=exchange,
            ) from exc

    def drain(self, items: Iterable[Any], exchange: Exchange, level: Level) -> list[Any]:
        """Every item of a client stream, within the stream deadline.

        Raises:
            Violation: the stream was still open at the deadline.
        """
        deadline = time.monotonic() + self.settings.stream_timeout_s
        out: list[Any] = []
        for item in items:
            out.append(item)
            if time.monotonic() > deadline:
                close = getattr(items, "close", None)
                if close is not None:
                    close()
                raise Violation(
                    "<stream>",
                    f"the stream ends within {self.settings.stream_timeout_s:g} s",
                    f"still open after {len(out)} items",
                    level=level,
                    exchange=exchange,
                )
        return out
