"""``ServerConfig``: every setting of a mockgpt server, from the CLI, the environment or code."""

from __future__ import annotations

import dataclasses
import json
import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from mockgpt.errors import ConfigError
from mockgpt.quirks import QUIRKS
from mockgpt.webhooks import WebhookTarget

DEFAULT_MODELS: tuple[str, ...] = (
    "gpt-4o-mini",
    "gpt-4o",
    "gpt-4.1",
    "gpt-4.1-mini",
    "gpt-4.1-nano",
    "o3-mini",
    "gpt-3.5-turbo",
    "gpt-3.5-turbo-instruct",
    "text-embedding-3-small",
    "text-embedding-3-large",
    "text-embedding-ada-002",
)
"""Models listed by ``GET /v1/models`` when none are configured."""

LOCAL_ORIGINS = r"https?://(localhost|127\.0\.0\.1|\[::1\])(:\d+)?"
"""Origins allowed by CORS when none are configured: any port on this machine."""

IN_PROCESS_HOST = "mockgpt.test"
"""Host name of in-process requests (a reserved TLD: it never resolves, so nothing leaks)."""

LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", IN_PROCESS_HOST})
"""Host names always served: this machine, and the in-process transport."""

_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
"""An HTTP header name (RFC 9110 ``token``)."""

STATE_SCHEMES = ("redis://", "rediss://", "unix://")
"""URL schemes of ``--state`` (Redis over TCP, over TLS, over a Unix socket)."""

API_KEY_ENV = "MOCKGPT_API_KEY"
"""Environment variable that sets the required API key, like ``--api-key``."""


@dataclass(frozen=True)
class UpstreamTimeouts:
    """How long the proxy waits for its upstream (``--upstream``), seconds; each > 0.

    Attributes:
        connect_s: to open a connection (or to get one from the pool); a failure is a 502.
        first_byte_s: from sending the request to the upstream's first SSE event (or its
            whole JSON body); when it passes, the client gets a 504 ``upstream_timeout``.
        idle_s: the longest gap between two upstream events (or two reads of a body); when
            it passes mid-stream, the stream ends with the family's error event.
    """

    connect_s: float = 10.0
    first_byte_s: float = 120.0
    idle_s: float = 60.0

    def __post_init__(self) -> None:
        for name in ("connect_s", "first_byte_s", "idle_s"):
            value = getattr(self, name)
            if not value > 0 or math.isinf(value):  # also refuses NaN
                raise ConfigError(f"--upstream-timeout: {name} must be > 0, got {value}")

    @classmethod
    def parse(cls, text: str) -> UpstreamTimeouts:
        """``CONNECT,FIRST_BYTE,IDLE`` seconds (``10,120,60``), or one number for all three.

        Raises:
            ConfigError: not one or three numbers, or one not > 0.
        """
        parts = [p.strip() for p in text.split(",")]
        try:
            values = [float(p) for p in parts]
        except ValueError:
            values = []
        if len(values) == 1:
            values *= 3
        if len(values) != 3:
            raise ConfigError(
                f"--upstream-timeout: expected CONNECT,FIRST_BYTE,IDLE seconds (e.g. 10,120,60) "
                f"or one number of seconds, got {text!r}"
            )
        return cls(*values)


@dataclass(frozen=True)
class ServerConfig:
    """Settings of one mockgpt server.

    Attributes:
        host: address to bind; 127.0.0.1 by default (never all interfaces unless asked).
        port: TCP port; 0 picks a free one.
        scenarios: scenario names or file paths, searched in order.
        quirks: quirk names applied to every answer (``mockgpt.quirks.QUIRKS``).
        api_key: when set, every ``/v1`` request needs ``Authorization: Bearer <api_key>``.
        upstream: base URL of an OpenAI-compatible server that answers what no stub matches.
        upstream_api_key: the key sent upstream (never shown in ``repr``, logs or the journal).
        upstream_timeout: connect, first byte and idle read timeouts of the upstream.
        record: write each proxied exchange as a stub to this scenario file.
        local_model: a directory with a transformers causal LM that answers what no stub
            matches (the ``local`` extra).
        record_sequences: recording a request again appends to a ``sequence`` instead of
            keeping the first answer.
        models: the model list; when ``strict_models``, other models get 404.
        strict_models: True when the list was given explicitly (``--models``).
        ttft_ms: time to first token of streams, milliseconds (0: none).
        tokens_per_second: stream pacing after the first token (``math.inf``: unpaced).
        cors_origins: allowed browser origins; empty means any local origin.
        max_body_bytes: larger request bodies get 413.
        journal_size: entries the request journal keeps (oldest dropped first); 0 keeps
            none (the journal is off).
        journal_body_bytes: bytes of each request and response body the journal keeps; the
            rest is dropped and the entry marked truncated.
        journal_bytes: body bytes the whole journal keeps; the oldest entries go first.
        max_stored: stored responses, conversations, assistants and threads kept, each
            (least recently used dropped first; a dropped id is a 404).
        max_files_bytes: bytes every file kept (uploads and batch outputs) holds together;
            the oldest files go first, and an upload larger than this gets 413.
        max_answer_bytes: the most an answer may hold, ``n`` choices included; a request
            asking for more gets 400.
        admin_token: when set, ``/_mockgpt/`` needs ``Authorization: Bearer <admin_token>``
            (else the ``api_key`` when one is set); ``/health`` stays open.
        timeout_keep_alive_s: an idle keep-alive connection is closed after this, seconds.
        limit_concurrency: connections and tasks served at once before new ones get 503
            (None: no limit).
        body_timeout_s: a request body must arrive within this, seconds (else 408).
        allowed_hosts: more ``Host`` names served besides the loopback ones and ``host``
            (DNS rebinding: a page on another name cannot reach the mock).
        log_level: uvicorn / logging level name.
        watch: reload scenario files when they change.
        seed: makes every id and timestamp reproducible (``mockgpt.ids``); None for random
            ids and the wall clock (unless the scenario gives a ``seed``).
        test_header: the request header naming a test id: a request (API or admin) that
            carries it sees that test id's stubs, sequences and journal on top of the
            shared ones (``--test-header``).
        state: where several processes keep the state they share, ``redis://HOST:PORT/DB``
            (``--state``, ``MOCKGPT_STATE``); None: in this process's memory.
        webhook_url: where the events of ended background responses (and batches) are
            POSTed (``--webhook-url``); None sends none.
        webhook_secret: the secret that signs them (``whsec_<base64>``; never shown in
            ``repr``); None sends them unsigned.
        webhook_attempts: deliveries tried per event (the first and its retries), >= 1.
        webhook_backoff_ms: milliseconds before the first retry, doubled before each next.
    """

    host: str = "127.0.0.1"
    port: int = 8000
    scenarios: tuple[str, ...] = ()
    quirks: tuple[str, ...] = ()
    api_key: str | None = field(default=None, repr=False)
    upstream: str | None = None
    upstream_api_key: str | None = field(default=None, repr=False)
    upstream_timeout: UpstreamTimeouts = field(default_factory=UpstreamTimeouts)
    record: str | None = None
    local_model: str | None = None
    record_sequences: bool = False
    models: tuple[str, ...] = DEFAULT_MODELS
    strict_models: bool = False
    ttft_ms: float = 0.0
    tokens_per_second: float = math.inf
    cors_origins: tuple[str, ...] = ()
    max_body_bytes: int = 8 * 1024 * 1024
    journal_size: int = 1000
    journal_body_bytes: int = 1024 * 1024
    journal_bytes: int = 128 * 1024 * 1024
    max_stored: int = 1000
    max_answer_bytes: int = 64 * 1024 * 1024
    max_files_bytes: int = 64 * 1024 * 1024
    admin_token: str | None = field(default=None, repr=False)
    timeout_keep_alive_s: float = 5.0
    limit_concurrency: int | None = None
    body_timeout_s: float = 30.0
    allowed_hosts: tuple[str, ...] = ()
    log_level: str = "info"
    watch: bool = False
    seed: int | None = None
    test_header: str = "X-Mockgpt-Test"
    webhook_url: str | None = None
    webhook_secret: str | None = field(default=None, repr=False)
    webhook_attempts: int = 5
    webhook_backoff_ms: float = 1000.0
    extra: Mapping[str, str] = field(default_factory=dict)
    state: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if not self.ttft_ms >= 0:  # also refuses NaN
            raise ConfigError(f"--ttft-ms must be >= 0, got {self.ttft_ms}")
        if not self.tokens_per_second > 0:  # also refuses NaN
            raise ConfigError(f"--tokens-per-second must be > 0, got {self.tokens_per_second}")
        if self.max_body_bytes <= 0:
            raise ConfigError(f"--max-body-bytes must be > 0, got {self.max_body_bytes}")
        unknown = [q for q in self.quirks if q not in QUIRKS]
        if unknown:
            raise ConfigError(
                f"--quirk: unknown quirk(s) {', '.join(unknown)}; "
                f"known: {', '.join(sorted(QUIRKS))}"
            )
        for name in ("journal_size", "journal_body_bytes", "journal_bytes"):
            if getattr(self, name) < 0:
                raise ConfigError(f"--{name.replace('_', '-')} must be >= 0")
        for name in ("max_stored", "max_answer_bytes", "max_files_bytes"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"--{name.replace('_', '-')} must be > 0")
        if not self.body_timeout_s > 0 or not self.timeout_keep_alive_s > 0:
            raise ConfigError("--body-timeout-s and --timeout-keep-alive-s must be > 0")
        if not _TOKEN.fullmatch(self.test_header):
            raise ConfigError(
                f"--test-header must be an HTTP header name, got {self.test_header!r}"
            )
        if not 0 <= self.port <= 65535:
            raise ConfigError(f"--port must be 0..65535, got {self.port}")
        if self.state is not None and not self.state.startswith(STATE_SCHEMES):
            raise ConfigError(
                f"--state must be a Redis URL (redis://HOST:PORT/DB, rediss://, unix://), "
                f"got {self.state.split('@')[-1]!r}"
            )
        self.webhooks  # noqa: B018  (validates the webhook settings)

    def to_json(self) -> str:
        """Every setting as JSON (``from_json`` reads it back): how workers get them."""
        return json.dumps(dataclasses.asdict(self))

    @classmethod
    def from_json(cls, text: str) -> ServerConfig:
        """The settings written by ``to_json``.

        Raises:
            ConfigError: a setting is invalid.
        """
        fields = json.loads(text)
        for name, value in fields.items():
            if isinstance(value, list):
                fields[name] = tuple(value)
        fields["upstream_timeout"] = UpstreamTimeouts(**fields["upstream_timeout"])
        return cls(**fields)

    @property
    def webhooks(self) -> WebhookTarget:
        """Where the webhook events go, and how (``mockgpt.webhooks``).

        Raises:
            ConfigError: ``webhook_attempts`` < 1, ``webhook_backoff_ms`` < 0, or a
                ``whsec_`` secret that is not base64.
        """
        return WebhookTarget(
            self.webhook_url,
            self.webhook_secret,
            self.webhook_attempts,
            self.webhook_backoff_ms,
        )

    @property
    def served_hosts(self) -> frozenset[str] | None:
        """The ``Host`` names answered (lower case, no port).

        None when any is: ``--host`` binds every interface (``0.0.0.0`` or ``::``).
        """
        if self.host in ("0.0.0.0", "::", "") or "*" in self.allowed_hosts:
            return None
        return LOOPBACK_HOSTS | {self.host.lower(), *(h.lower() for h in self.allowed_hosts)}

    @property
    def admin_secret(self) -> str | None:
        """What ``/_mockgpt/`` requires as a bearer token: the admin token, else the API key."""
        return self.admin_token or self.api_key

    @property
    def paced(self) -> bool:
        """Whether streams are paced (a time to first token or a token rate is set)."""
        return self.ttft_ms > 0 or not math.isinf(self.tokens_per_second)

    @staticmethod
    def api_key_from_env(environ: Mapping[str, str] | None = None) -> str | None:
        """The API key from ``MOCKGPT_API_KEY``, or None."""
        value = (os.environ if environ is None else environ).get(API_KEY_ENV)
        return value or None
