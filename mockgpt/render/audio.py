"""The audio wire: deterministic speech (WAV, PCM, MP3) and transcriptions in every format.

Speech is 24 kHz mono 16-bit (OpenAI's ``pcm`` format): a quiet sine tone, or silence.
MP3 is MPEG-1 Layer III (ISO/IEC 11172-3) at 48 kHz, 64 kbit/s, mono: frames of 192 bytes
(1152 samples, 24 ms) whose side information is all zero, which decoders play as silence.
Transcriptions' timings give each character ``MS_PER_CHAR``, the pace speech is made at.
"""

from __future__ import annotations

import base64
import io
import math
import re
import struct
import wave
from collections.abc import Iterator

from mockgpt.types import JSONObject, JSONValue

SAMPLE_RATE = 24_000
"""Speech samples per second (``pcm`` and ``wav``), hertz."""
MS_PER_CHAR = 60.0
"""Milliseconds of speech per character of text, at ``speed`` 1."""
TONE_HZ = 440
"""The default pitch of speech, hertz (a stub's ``speech.frequency_hz`` changes it)."""
AMPLITUDE = 3000
"""The tone's peak, of 32767."""

MP3_HEADER = b"\xff\xfb\x54\xc0"
"""MPEG-1 Layer III, no CRC, 64 kbit/s, 48 kHz, no padding, mono."""
MP3_FRAME_BYTES = 192
"""144 x 64000 / 48000 bytes per frame."""
MP3_FRAME_MS = 24.0
"""1152 samples at 48 kHz, milliseconds."""

SPEECH_FORMATS = {"mp3": "audio/mpeg", "wav": "audio/wav", "pcm": "audio/pcm"}
"""The speech formats mockgpt makes, with their content types (not ``opus``, ``aac``,
``flac``: no deterministic encoder of them in the standard library)."""


def speech_ms(text: str, speed: float) -> float:
    """The length of speech of ``text`` at ``speed``, milliseconds."""
    return len(text) * MS_PER_CHAR / speed


def pcm(duration_ms: float, frequency_hz: float = TONE_HZ) -> bytes:
    """``duration_ms`` of 24 kHz mono signed 16-bit little-endian samples of a sine tone.

    The tone's pitch is rounded to whole hertz so one second of samples repeats exactly.
    """
    count = round(duration_ms * SAMPLE_RATE / 1000)
    hz = round(frequency_hz)
    if hz == 0 or count == 0:
        return bytes(2 * count)
    step = 2 * math.pi * hz / SAMPLE_RATE
    period = min(count, SAMPLE_RATE)
    second = struct.pack(
        f"<{period}h", *(round(AMPLITUDE * math.sin(step * i)) for i in range(period))
    )
    whole, rest = divmod(count, SAMPLE_RATE)
    return second * whole + second[: 2 * rest]


def wav(samples: bytes) -> bytes:
    """``samples`` (``pcm``'s) in a RIFF WAVE file, as the standard ``wave`` module writes it."""
    out = io.BytesIO()
    with wave.open(out, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(SAMPLE_RATE)
        writer.writeframes(samples)
    return out.getvalue()


def mp3(duration_ms: float) -> bytes:
    """Silent MP3 frames covering ``duration_ms`` (at least one frame)."""
    frames = max(1, math.ceil(duration_ms / MP3_FRAME_MS))
    return (MP3_HEADER + bytes(MP3_FRAME_BYTES - len(MP3_HEADER))) * frames


def speech(response_format: str, duration_ms: float, frequency_hz: float = TONE_HZ) -> bytes:
    """The audio file of ``response_format`` (a key of ``SPEECH_FORMATS``), bytes."""
    if response_format == "mp3":
        return mp3(duration_ms)
    samples = pcm(duration_ms, frequency_hz)
    return wav(samples) if response_format == "wav" else samples


def speech_events(audio: bytes, chunk_bytes: int, usage: JSONObject) -> Iterator[JSONObject]:
    """The ``stream_format: sse`` events of ``audio``.

    ``speech.audio.delta`` per ``chunk_bytes`` of it (base64), then ``speech.audio.done``
    with ``usage``.
    """
    for start in range(0, len(audio), chunk_bytes):
        piece = audio[start : start + chunk_bytes]
        yield {"type": "speech.audio.delta", "audio": base64.b64encode(piece).decode()}
    yield {"type": "speech.audio.done", "usage": usage}


def speech_usage(input_tokens: int, output_tokens: int) -> JSONObject:
    """``speech.audio.done``'s ``usage``, tokens."""
    return {
        "input_tokens": input_tokens,
        "output_tokens": output_tokens,
        "total_tokens": input_tokens + output_tokens,
    }


# -- transcriptions -------------------------------------------------------------------------

_SENTENCE = re.compile(r"\S.*?(?:[.!?](?=\s|$)|$)", re.DOTALL)
"""A sentence: up to a ``.``, ``!`` or ``?`` before a space or the end (not ``a.wav``)."""


def segments(text: str) -> list[tuple[float, float, str]]:
    """``text`` as sentences with their start and end, seconds (``MS_PER_CHAR`` each char)."""
    return [
        (m.start() * MS_PER_CHAR / 1000, m.end() * MS_PER_CHAR / 1000, m.group())
        for m in _SENTENCE.finditer(text)
    ]


def words(text: str) -> list[JSONValue]:
    """``TranscriptionWord`` objects: each word of ``text`` with its start and end, seconds."""
    return [
        {
            "word": m.group(),
            "start": m.start() * MS_PER_CHAR / 1000,
            "end": m.end() * MS_PER_CHAR / 1000,
        }
        for m in re.finditer(r"\S+", text)
    ]


def verbose(text: str, *, language: str, with_words: bool, with_segments: bool) -> JSONObject:
    """``TranscriptionVerbose``.

    ``text``, ``language``, ``duration`` (seconds), and, when asked, ``segments`` and
    ``words``.
    """
    body: JSONObject = {
        "task": "transcribe",
        "language": language,
        "duration": len(text) * MS_PER_CHAR / 1000,
        "text": text,
    }
    if with_segments:
        body["segments"] = [
            {
                "id": i,
                "seek": 0,
                "start": start,
                "end": end,
                "text": piece,
                "tokens": [],
                "temperature": 0.0,
                "avg_logprob": -0.1,
                "compression_ratio": 1.0,
                "no_speech_prob": 0.0,
            }
            for i, (start, end, piece) in enumerate(segments(text))
        ]
    if with_words:
        body["words"] = words(text)
    return body


def _timestamp(seconds: float, separator: str) -> str:
    ms = round(seconds * 1000)
    hours, ms = divmod(ms, 3_600_000)
    minutes, ms = divmod(ms, 60_000)
    secs, ms = divmod(ms, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{ms:03d}"


def srt(text: str) -> str:
    """SubRip subtitles of ``text``: one numbered cue per sentence."""
    cues = [
        f"{i}\n{_timestamp(start, ',')} --> {_timestamp(end, ',')}\n{piece}\n"
        for i, (start, end, piece) in enumerate(segments(text), start=1)
    ]
    return "\n".join(cues) + "\n"


def vtt(text: str) -> str:
    """WebVTT subtitles of ``text``: ``WEBVTT``, then one cue per sentence."""
    cues = [
        f"{_timestamp(start, '.')} --> {_timestamp(end, '.')}\n{piece}\n"
        for start, end, piece in segments(text)
    ]
    return "WEBVTT\n\n" + "\n".join(cues) + "\n"


def duration_usage(seconds: float) -> JSONObject:
    """A transcription's ``usage`` billed by duration (``whisper-1``): whole seconds, >= 1."""
    return {"type": "duration", "seconds": max(1, round(seconds))}


def token_usage(audio_tokens: int, output_tokens: int) -> JSONObject:
    """A transcription's ``usage`` billed by tokens (the ``gpt-4o-*-transcribe`` models)."""
    return {
        "type": "tokens",
        "input_tokens": audio_tokens,
        "input_token_details": {"text_tokens": 0, "audio_tokens": audio_tokens},
        "output_tokens": output_tokens,
        "total_tokens": audio_tokens + output_tokens,
    }


def transcription(text: str, usage: JSONObject | None) -> JSONObject:
    """``Transcription`` (``response_format: json``), or ``Translation`` without ``usage``."""
    return {"text": text} if usage is None else {"text": text, "usage": usage}


def as_translation(body: JSONObject) -> JSONObject:
    """A ``verbose`` answer as ``TranslationVerbose``: ``task: translate``, in English."""
    return body | {"task": "translate", "language": "english"}


def transcript_events(pieces: list[str], usage: JSONObject) -> Iterator[JSONObject]:
    """A streamed transcription's events.

    ``transcript.text.delta`` per piece, then ``transcript.text.done`` with the whole text
    and ``usage``.
    """
    for piece in pieces:
        yield {"type": "transcript.text.delta", "delta": piece}
    yield {"type": "transcript.text.done", "text": "".join(pieces), "usage": usage}
