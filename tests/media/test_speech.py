"""``POST /v1/audio/speech`` through the official client over a socket (sync and async)."""

from __future__ import annotations

import base64
import io
import json
import math
import wave
from collections.abc import Callable
from typing import Any

import httpx
import openai
import pytest

from mockgpt.server import MockServer
from mockgpt.testing.calls import Call

MODEL = "gpt-4o-mini-tts"


def _speech(call: Callable[..., Any], text: str, **kwargs: Any) -> bytes:
    def make(c: Any) -> Any:
        result = c.audio.speech.create(model=MODEL, voice="alloy", input=text, **kwargs)
        if isinstance(c, openai.OpenAI):
            return result.content

        async def read() -> bytes:
            return (await result).content

        return read()

    content: bytes = call(make)
    return content


def _wav(data: bytes) -> tuple[int, int, int, int]:
    with wave.open(io.BytesIO(data)) as reader:
        return (
            reader.getnchannels(),
            reader.getsampwidth(),
            reader.getframerate(),
            reader.getnframes(),
        )


def _mp3_frames(data: bytes) -> int:
    assert len(data) % 192 == 0
    frames = [data[i : i + 192] for i in range(0, len(data), 192)]
    assert all(f[:4] == b"\xff\xfb\x54\xc0" for f in frames)  # sync, MPEG-1 Layer III, mono
    return len(frames)


def test_speech_wav_lasts_60_ms_per_character(call: Callable[..., Any]) -> None:
    short = _wav(_speech(call, "Hello", response_format="wav"))
    long = _wav(_speech(call, "Hello there, general", response_format="wav"))

    assert short[:3] == long[:3] == (1, 2, 24_000)
    assert short[3] == 5 * 60 * 24
    assert long[3] == 20 * 60 * 24


def test_speech_speed_shortens_and_pcm_is_raw_samples(call: Callable[..., Any]) -> None:
    normal = _speech(call, "Twelve chars", response_format="pcm")
    fast = _speech(call, "Twelve chars", response_format="pcm", speed=2.0)

    assert len(normal) == 12 * 60 * 24 * 2
    assert len(fast) == len(normal) // 2
    assert normal != bytes(len(normal))  # a tone, not silence


def test_speech_mp3_is_silent_mpeg_frames_by_default(call: Callable[..., Any]) -> None:
    audio = _speech(call, "x" * 10)

    assert _mp3_frames(audio) == math.ceil(600 / 24)


def test_speech_with_streaming_response_gives_the_same_bytes(client: openai.OpenAI) -> None:
    whole = client.audio.speech.create(
        model=MODEL, voice="nova", input="Streaming", response_format="wav"
    )
    with client.audio.speech.with_streaming_response.create(
        model=MODEL, voice="nova", input="Streaming", response_format="wav"
    ) as response:
        assert response.headers["content-type"] == "audio/wav"
        streamed = b"".join(response.iter_bytes())

    assert streamed == whole.content


def test_speech_sse_events_carry_the_audio(server: MockServer) -> None:
    body = {"model": MODEL, "voice": "alloy", "input": "x" * 50, "response_format": "pcm"}
    whole = httpx.post(f"{server.base_url}/audio/speech", json=body).content
    response = httpx.post(f"{server.base_url}/audio/speech", json=body | {"stream_format": "sse"})

    assert response.headers["content-type"].startswith("text/event-stream")
    events = [
        json.loads(line[6:]) for line in response.text.splitlines() if line.startswith("data: ")
    ]
    assert [e["type"] for e in events] == ["speech.audio.delta"] * 6 + ["speech.audio.done"]
    assert b"".join(base64.b64decode(e["audio"]) for e in events[:-1]) == whole
    usage = events[-1]["usage"]
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"]


def test_speech_equal_requests_give_equal_bytes(client: openai.OpenAI) -> None:
    def once(text: str) -> bytes:
        return client.audio.speech.create(
            model=MODEL, voice="alloy", input=text, response_format="wav"
        ).content

    assert once("same words") == once("same words")


def test_speech_stub_sets_duration_and_silence(
    stub: Callable[..., None], call: Callable[..., Any], entries: Callable[[], list[Call]]
) -> None:
    stub(
        {
            "id": "long",
            "match": {"endpoint": "audio.speech"},
            "respond": {"speech": {"duration_ms": 1000, "frequency_hz": 0}},
        }
    )
    audio = _speech(call, "hi", response_format="pcm")

    assert audio == bytes(48_000)
    [entry] = entries()
    assert (entry.endpoint, entry.entry.stub, entry.status) == ("audio.speech", "long", 200)


def test_speech_stub_error_and_drop(stub: Callable[..., None], call: Callable[..., Any]) -> None:
    stub(
        {
            "match": {"endpoint": "audio.speech", "last_user": "quota"},
            "respond": {"error": {"status": 429, "message": "quota", "code": "insufficient_quota"}},
        },
        {
            "match": {"endpoint": "audio.speech", "last_user": "drop"},
            "fault": {"drop_after_chunks": 0},
        },
    )

    with pytest.raises(openai.RateLimitError):
        _speech(call, "quota")
    with pytest.raises(openai.APIConnectionError):
        _speech(call, "drop", response_format="wav")


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"voice": "alloy", "input": "x", "response_format": "flac"}, "response_format"),
        ({"voice": "alloy", "input": "x", "response_format": "opus"}, "response_format"),
        ({"voice": "alloy", "input": "x", "speed": 9}, "speed"),
        ({"input": "x"}, "voice"),
        (
            {"voice": "alloy", "input": "x", "model": "tts-1", "stream_format": "sse"},
            "stream_format",
        ),
    ],
)
def test_speech_invalid_body_is_400(server: MockServer, body: dict[str, Any], param: str) -> None:
    response = httpx.post(f"{server.base_url}/audio/speech", json={"model": MODEL} | body)

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["param"] == param
    if param == "response_format":
        assert "mp3, wav, pcm" in error["message"]
