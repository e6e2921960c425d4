"""Webhooks: mockgpt POSTs an event to a configured URL when a background job ends.

An event is ``{"id": "evt_...", "object": "event", "created_at", "type", "data": {"id"}}``
(``type``: ``response.completed``, ``response.failed``, ``response.cancelled``,
``response.incomplete``, ``batch.completed``, ...), sent as JSON and signed as Standard
Webhooks (the OpenAI webhook spec) says: headers ``webhook-id`` (the event's id, the same on
every attempt), ``webhook-timestamp`` (Unix seconds of the attempt) and ``webhook-signature:
v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">``, keyed with the secret's bytes (after
``whsec_``, base64-decoded; a secret without the prefix is used as UTF-8), so the official
client's ``client.webhooks.unwrap(body, headers, secret=...)`` verifies it. Without a secret
the event goes out unsigned (no ``webhook-signature``).

A delivery runs as a task beside the requests (``Tasks``). A non-2xx answer or a connection
error is retried after ``backoff_ms``, doubled each time, up to ``attempts`` attempts in all.
Each attempt is a ``JournalEntry`` in the server's journal: method ``POST``, ``path`` the
webhook URL (so its ``endpoint`` is None: it is no API call, and ``MockGPT.calls`` leaves it
out), the headers and body sent, the receiver's status and body, or status 0 with
``disconnected`` and the connection error as its response body.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
import json
import logging
import time
from dataclasses import dataclass

import httpx

from mockgpt import ids
from mockgpt.errors import ConfigError
from mockgpt.journal import Journal, JournalEntry
from mockgpt.tasks import Tasks
from mockgpt.types import JSONObject

logger = logging.getLogger(__name__)

SECRET_PREFIX = "whsec_"
"""The prefix of a base64-encoded webhook secret (Standard Webhooks)."""
RESPONSE_BODY_BYTES = 4096
"""The bytes of a receiver's answer kept in the journal."""


def secret_key(secret: str) -> bytes:
    """The HMAC key of a webhook secret: base64-decoded after ``whsec_``, else its UTF-8.

    Raises:
        ConfigError: a ``whsec_`` secret that is not base64, or an empty key.
    """
    if secret.startswith(SECRET_PREFIX):
        try:
            key = base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ConfigError(
                f"--webhook-secret: what follows {SECRET_PREFIX!r} must be base64 ({exc})"
            ) from None
    else:
        key = secret.encode()
    if not key:
        raise ConfigError("--webhook-secret: the key is empty")
    return key


def sign(secret: str, webhook_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` header: ``v1,<base64 HMAC-SHA256 of "{id}.{ts}.{body}">``.

    Raises:
        ConfigError: an invalid secret (see ``secret_key``).
    """
    signed = f"{webhook_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


@dataclass
class WebhookTarget:
    """Where and how events go.

    Attributes:
        url: the receiver's URL; None sends nothing.
        secret: the signing secret (``whsec_<base64>``); None sends unsigned events.
        attempts: deliveries tried per event, >= 1 (the first and its retries).
        backoff_ms: milliseconds before the first retry, doubled before each next one.
        timeout_s: seconds one attempt may take before it counts as failed.
    """

    url: str | None = None
    secret: str | None = None
    attempts: int = 5
    backoff_ms: float = 1000.0
    timeout_s: float = 10.0

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ConfigError(f"--webhook-attempts must be >= 1, got {self.attempts}")
        if not self.backoff_ms >= 0:  # also refuses NaN
            raise ConfigError(f"--webhook-backoff-ms must be >= 0, got {self.backoff_ms}")
        if self.secret is not None:
            secret_key(self.secret)


class Webhooks:
    """Sends events to the configured receiver, off the request path.

    Args:
        target: where events go (``ServerConfig.webhooks``); change ``target`` to send
            elsewhere from now on.
        journal: where each attempt is recorded.
        tasks: what runs the deliveries (cancelled on reset and at shutdown).
    """

    def __init__(self, target: WebhookTarget, journal: Journal, tasks: Tasks) -> None:
        self.target = target
        self.journal = journal
        self.tasks = tasks

    def event(self, event_type: str, object_id: str) -> JSONObject:
        """The event object: ``{"id": "evt_<32 hex>", "object": "event", ...}``."""
        return {
            "id": f"evt_{ids.UNSEEDED.hex(32)}",
            "object": "event",
            "created_at": int(time.time()),
            "type": event_type,
            "data": {"id": object_id},
        }

    def emit(self, event_type: str, object_id: str) -> str | None:
        """Schedule the delivery of an event and return at once.

        Call it on the server's event loop (a request handler, a job's task); the delivery
        and its retries run as a task.

        Args:
            event_type: e.g. ``response.completed``, ``batch.completed``.
            object_id: the id of what ended (``resp_...``, ``batch_...``), the event's
                ``data.id``.

        Returns:
            The event's id; None when no webhook URL is configured (nothing is sent).
        """
        target = self.target
        if target.url is None:
            return None
        event = self.event(event_type, object_id)
        event_id = str(event["id"])
        self.tasks.spawn(self.deliver(event, target), f"webhook {event_id} {event_type}")
        return event_id

    async def deliver(self, event: JSONObject, target: WebhookTarget) -> bool:
        """POST ``event`` to ``target.url`` until a 2xx answer or ``target.attempts`` tries.

        Returns:
            True once the receiver answered 2xx; False when every attempt failed.
        """
        url = target.url
        assert url is not None
        body = json.dumps(event, separators=(",", ":")).encode()
        event_id = str(event["id"])
        timeout = httpx.Timeout(target.timeout_s)
        async with httpx.AsyncClient(timeout=timeout, trust_env=False) as client:
            for attempt in range(1, target.attempts + 1):
                if await self._attempt(client, url, target.secret, event_id, body):
                    return True
                if attempt < target.attempts:
                    await asyncio.sleep(target.backoff_ms * 2 ** (attempt - 1) / 1000)
        logger.warning("mockgpt: webhook %s to %s failed %d times", event_id, url, target.attempts)
        return False

    async def _attempt(
        self, client: httpx.AsyncClient, url: str, secret: str | None, event_id: str, body: bytes
    ) -> bool:
        timestamp = int(time.time())
        headers = {
            "content-type": "application/json",
            "user-agent": "mockgpt-webhooks",
            "webhook-id": event_id,
            "webhook-timestamp": str(timestamp),
        }
        if secret is not None:
            headers["webhook-signature"] = sign(secret, event_id, timestamp, body)
        entry = JournalEntry(
            f"whk_{ids.UNSEEDED.hex(32)}",
            "POST",
            url,
            [(k.encode(), v.encode()) for k, v in headers.items()],
            body,
        )
        self.journal.record(entry)
        started = time.perf_counter()
        try:
            answer = await client.post(url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            entry.disconnected = True
            entry.response_body = f"{type(exc).__name__}: {exc}".encode()
            ok = False
        else:
            entry.status = answer.status_code
            entry.response_body = answer.content[:RESPONSE_BODY_BYTES]
            entry.complete = True
            ok = answer.is_success
        entry.duration_ms = (time.perf_counter() - started) * 1000
        self.journal.settle(entry)
        return ok
