"""``examples/assistant_app`` end to end against mockgpt, with the official client over a real
socket and no network: a reasoning model through Responses, a background report finished by a
signed webhook, a batch, moderation, an image, speech and a Realtime voice turn.

The application's webhook endpoint is a receiver on 127.0.0.1; each POST it gets is handed to
``Assistant.on_webhook``, which verifies the signature with ``client.webhooks.unwrap``.
"""

from __future__ import annotations

import struct
import wave
import zlib
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path
from typing import Any

import openai
import pytest

from mockgpt import ServerConfig
from mockgpt.scenarios import load_scenario
from mockgpt.server import MockServer
from tests.background.receiver import Receiver, receiving
from tests.batches.test_assistant_app import load_app

SCENARIO = Path(__file__).resolve().parents[2] / "examples" / "assistant_app" / "scenario.yaml"
SECRET = "whsec_" + "YXNzaXN0YW50LWFwcC13ZWJob29rLXNlY3JldA=="  # any base64 key


@pytest.fixture(scope="module")
def app_and_server() -> Iterator[tuple[Any, MockServer, Receiver]]:
    """The application, the mock it talks to, and the application's webhook endpoint."""
    with receiving() as receiver:
        config = ServerConfig(port=0, webhook_url=receiver.url, webhook_secret=SECRET)
        with (
            MockServer(config, scenarios=[load_scenario(SCENARIO)]) as server,
            openai.OpenAI(base_url=server.base_url, api_key="sk-test", max_retries=0) as client,
        ):
            yield load_app().Assistant(client, webhook_secret=SECRET), server, receiver


def test_reasoning_model_through_responses(app_and_server: Any) -> None:
    assistant, _, _ = app_and_server

    first = assistant.think("What is 17 * 23?")
    again = assistant.think("And 17 * 23 again?", previous=first)

    assert first.answer == "391"
    assert first.summary == "17 * 23 = 17 * 20 + 17 * 3 = 340 + 51."
    assert first.reasoning_tokens == 42
    assert again.response_id != first.response_id


def test_background_report_finished_by_a_signed_webhook(app_and_server: Any) -> None:
    assistant, server, receiver = app_and_server

    response_id = assistant.start_report("tides")
    [delivery] = receiver.wait_for(1)  # the report ends on its own (after_ms), nobody polls
    handled = assistant.on_webhook(delivery.body, delivery.headers)

    assert handled == "response.completed"
    assert assistant.finished_reports == {response_id: "Tides follow the moon."}
    with pytest.raises(openai.InvalidWebhookSignatureError):
        assistant.on_webhook(delivery.body.replace(b"completed", b"failed"), delivery.headers)
    creates = [e for e in server.engine.journal.entries() if e.path == "/v1/responses"]
    assert b'"status":"queued"' in creates[-1].response_body


def test_batch_grading(app_and_server: Any) -> None:
    assistant, _, _ = app_and_server

    grades = assistant.grade_all({"q1": "Paris is the capital", "q2": "Lyon is the capital"})

    assert grades == {"q1": "A", "q2": "C"}


def test_moderation_gate(app_and_server: Any) -> None:
    assistant, _, _ = app_and_server

    assert assistant.is_safe("a quiet walk in the park")
    assert not assistant.is_safe("burn it all down")


def test_image_is_a_valid_png(app_and_server: Any) -> None:
    assistant, _, _ = app_and_server

    png = assistant.illustrate("a lighthouse at dusk")

    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    length, kind = struct.unpack(">I4s", png[8:16])
    header = png[16 : 16 + length]
    assert kind == b"IHDR"
    assert struct.unpack(">I", png[16 + length : 20 + length])[0] == zlib.crc32(kind + header)
    assert assistant.illustrate("a lighthouse at dusk") == png  # deterministic


def test_speech_is_wav_that_grows_with_the_text(app_and_server: Any) -> None:
    assistant, _, _ = app_and_server

    with (
        wave.open(BytesIO(assistant.speak("Hi."))) as short,
        wave.open(BytesIO(assistant.speak("Hello there, this is a longer sentence."))) as long,
    ):
        assert short.getsampwidth() == 2
        assert long.getnframes() > short.getnframes() > 0


def test_realtime_voice_turn(app_and_server: Any) -> None:
    assistant, server, _ = app_and_server

    transcript, audio = assistant.voice_turn("What's the weather?")

    assert transcript == "Sunny and warm."
    assert len(audio) > 0
    assert len(audio) % 2 == 0  # PCM16 samples
    realtime = [e for e in server.engine.journal.entries() if e.path == "/v1/realtime"]
    assert realtime[-1].stub == "voice"
