"""``mockgpt.webhooks.sign`` against the official client's ``verify_signature``; settings."""

from __future__ import annotations

import base64
import time

import openai
import pytest

from mockgpt import ServerConfig
from mockgpt.errors import ConfigError
from mockgpt.webhooks import sign

BODY = b'{"id":"evt_1","object":"event","type":"response.completed","data":{"id":"resp_1"}}'


def _verify(secret: str, headers: dict[str, str]) -> None:
    client = openai.OpenAI(api_key="x", base_url="http://127.0.0.1:9/v1")
    client.webhooks.verify_signature(BODY, headers, secret=secret)


@pytest.mark.parametrize(
    "secret",
    ["whsec_" + base64.b64encode(b"\x00\xffkey bytes").decode(), "plain-text-secret"],
    ids=["whsec-base64", "plain"],
)
def test_signing_verifies_with_the_official_client(secret: str) -> None:
    timestamp = int(time.time())

    headers = {
        "webhook-id": "evt_1",
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, "evt_1", timestamp, BODY),
    }

    _verify(secret, headers)


def test_signing_covers_the_id_the_timestamp_and_the_body() -> None:
    secret = "whsec_" + base64.b64encode(b"k").decode()
    timestamp = int(time.time())
    signature = sign(secret, "evt_1", timestamp, BODY)

    for webhook_id, stamp in (("evt_2", timestamp), ("evt_1", timestamp - 1)):
        headers = {
            "webhook-id": webhook_id,
            "webhook-timestamp": str(stamp),
            "webhook-signature": signature,
        }
        with pytest.raises(openai.InvalidWebhookSignatureError):
            _verify(secret, headers)


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ({"webhook_secret": "whsec_not base64!"}, "--webhook-secret"),
        ({"webhook_secret": "whsec_"}, "--webhook-secret"),
        ({"webhook_attempts": 0}, "--webhook-attempts"),
        ({"webhook_backoff_ms": -1.0}, "--webhook-backoff-ms"),
    ],
    ids=["not-base64", "empty", "no-attempts", "negative-backoff"],
)
def test_signing_bad_settings_are_config_errors(settings: dict[str, object], named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        ServerConfig(**settings)  # type: ignore[arg-type]


def test_signing_secret_never_in_repr() -> None:
    config = ServerConfig(webhook_url="http://127.0.0.1:1/hook", webhook_secret="whsec_c2VjcmV0")

    assert "c2VjcmV0" not in repr(config)
    assert "http://127.0.0.1:1/hook" in repr(config)
