"""``POST /v1/audio/speech`` (audio), ``/v1/audio/transcriptions`` and ``translations`` (text).

Speech lasts 60 ms per character of ``input`` divided by ``speed`` (or the stub's
``respond.speech.duration_ms``): a 440 Hz tone as ``wav`` or ``pcm``, silent frames as
``mp3``; ``opus``, ``aac`` and ``flac`` get a 400 naming the formats made
(``mockgpt.render.audio``). ``stream_format: sse`` streams ``speech.audio.delta`` events.

A transcription's text is the stub's ``respond.content`` (a template; stubs match with
``match: {endpoint: audio.transcriptions}``, ``last_user`` being the ``prompt`` field when
sent, else the file's name, ``any_message`` either); with no stub, a sentence naming the file
and its length in bytes. ``stream: true`` (not ``whisper-1``) streams ``transcript.text.delta``
events then ``transcript.text.done``. ``/v1/audio/translations`` answers the same way (stubs
match ``endpoint: audio.translations``), without streaming or ``usage``.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator

from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import Request

from mockgpt.backends.scripted import render_template
from mockgpt.engine import Reply
from mockgpt.errors import RequestRejected
from mockgpt.http.send import ReplySender
from mockgpt.models import validate_request
from mockgpt.models.media import CreateSpeechRequest, TranscriptionForm
from mockgpt.render.audio import (
    MS_PER_CHAR,
    SPEECH_FORMATS,
    as_translation,
    duration_usage,
    speech,
    speech_events,
    speech_ms,
    speech_usage,
    srt,
    token_usage,
    transcript_events,
    transcription,
    verbose,
    vtt,
)
from mockgpt.routes.common import engine_of, read_json, read_raw, serve
from mockgpt.routes.media import MediaWire, media_turn
from mockgpt.sse import dumps, encode_sse
from mockgpt.tokens import count_tokens, split_tokens
from mockgpt.turn import Turn
from mockgpt.types import Endpoint, JSONObject

SSE_CHUNK_BYTES = 24_000
"""Audio bytes per ``speech.audio.delta`` event (half a second of ``pcm``)."""
_TEXT_TYPES = {
    "text": "text/plain; charset=utf-8",
    "srt": "application/x-subrip; charset=utf-8",
    "vtt": "text/vtt; charset=utf-8",
}


async def create_speech(request: Request) -> ReplySender:
    """Answer a speech request (spec: ``POST /audio/speech``).

    Raises:
        RequestRejected: 400 for an invalid body, a format mockgpt does not make,
            ``stream_format: sse`` with ``tts-1`` or ``tts-1-hd``, or audio longer than
            ``max_answer_bytes`` allows.
    """
    engine = engine_of(request)
    body = await read_json(request, engine.config.max_body_bytes)
    req = validate_request(CreateSpeechRequest, body)
    engine.check_model(req.model)
    assert isinstance(body, dict)
    if req.response_format not in SPEECH_FORMATS:
        raise RequestRejected(
            400,
            f"mockgpt does not make {req.response_format!r} audio; use one of "
            f"{', '.join(SPEECH_FORMATS)}.",
            param="response_format",
            code="unsupported_value",
        )
    if req.stream_format == "sse" and req.model in ("tts-1", "tts-1-hd"):
        raise RequestRejected(
            400,
            f"stream_format 'sse' is not supported for {req.model}.",
            param="stream_format",
            code="unsupported_value",
        )
    turn = media_turn(request, "audio.speech", [req.input], body, req.model)
    return serve(request, turn, _SpeechWire(req, body, engine.config.max_answer_bytes))


class _SpeechWire(MediaWire):
    def __init__(self, req: CreateSpeechRequest, body: JSONObject, max_bytes: int) -> None:
        super().__init__("/audio/speech", body)
        self.req = req
        self.max_bytes = max_bytes
        self.stream = req.stream_format == "sse"
        self.body_media_type = SPEECH_FORMATS[req.response_format]

    def _audio(self, reply: Reply) -> bytes:
        req = self.req
        respond = self.script(reply)
        script = respond.speech if respond is not None else None
        duration_ms = speech_ms(req.input, req.speed)
        frequency_hz = 440.0
        if script is not None:
            if script.duration_ms is not None:
                duration_ms = script.duration_ms / req.speed
            if script.frequency_hz is not None:
                frequency_hz = script.frequency_hz
        if duration_ms * 48 > self.max_bytes:  # 24 kHz x 2 bytes: the largest format
            raise RequestRejected(
                400,
                f"Invalid 'input': {duration_ms:.0f} ms of audio would pass the answer limit "
                f"of {self.max_bytes} bytes (--max-answer-bytes).",
                param="input",
                code="invalid_value",
            )
        return speech(req.response_format, duration_ms, frequency_hz)

    async def body(self, reply: Reply) -> bytes:
        """The audio file."""
        return self._audio(reply)

    async def frames(self, reply: Reply, *, one_event_each: bool) -> AsyncIterator[bytes]:
        """``speech.audio.delta`` events, then ``speech.audio.done``."""
        audio = self._audio(reply)
        usage = speech_usage(count_tokens(self.req.input), max(1, len(audio) // 1000))
        for event in speech_events(audio, SSE_CHUNK_BYTES, usage):
            yield encode_sse(event)

    def error_frames(self, error: RequestRejected) -> list[bytes]:
        """An ``error`` event."""
        return [encode_sse({"type": "error", **error.envelope()})]


async def create_transcription(request: Request) -> ReplySender:
    """Answer a transcription (spec: ``POST /audio/transcriptions``, multipart).

    ``response_format``: ``json`` (default), ``text``, ``verbose_json`` (``segments``, and
    ``words`` with ``timestamp_granularities[]=word``), ``srt`` or ``vtt``.

    Raises:
        RequestRejected: 400 for a body that is not multipart, no ``file``, an invalid field,
            or ``stream`` with ``whisper-1``; 413 for a body over ``max_body_bytes``.
    """
    return await _transcribe(request, "audio.transcriptions")


async def create_translation(request: Request) -> ReplySender:
    """Answer a translation into English (spec: ``POST /audio/translations``, multipart).

    As a transcription (its stubs match ``endpoint: audio.translations``), without
    ``stream``, ``words`` or ``usage``; ``verbose_json`` says ``task: translate``.

    Raises:
        RequestRejected: 400 for a body that is not multipart, no ``file``, an invalid field
            or ``stream``; 413 for a body over ``max_body_bytes``.
    """
    return await _transcribe(request, "audio.translations")


async def _transcribe(request: Request, endpoint: Endpoint) -> ReplySender:
    engine = engine_of(request)
    raw = await read_raw(request, engine.config.max_body_bytes)
    name, size, fields = await _form(request, raw)
    form = validate_request(TranscriptionForm, fields)
    engine.check_model(form.model)
    if form.stream and (form.model == "whisper-1" or endpoint == "audio.translations"):
        raise RequestRejected(
            400, f"Streaming is not supported for {form.model} {endpoint}.", param="stream"
        )
    texts = [name] if form.prompt is None else [name, form.prompt]
    fields["file"] = name
    turn = media_turn(request, endpoint, texts, fields, form.model)
    echo = f"Transcript of {name}: {size} bytes of audio."
    return serve(request, turn, _TranscriptionWire(form, turn, echo=echo, audio_bytes=size))


async def _form(request: Request, raw: bytes) -> tuple[str, int, JSONObject]:
    """The uploaded ``file``'s name and length (bytes), and the other fields.

    A field named ``name[]`` (``timestamp_granularities[]``) is a list of its values.
    """
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith("multipart/form-data"):
        raise RequestRejected(
            400, "The request body must be multipart/form-data with a `file` field."
        )

    async def body() -> AsyncGenerator[bytes, None]:
        yield raw

    try:
        form = await MultiPartParser(request.headers, body(), max_files=1, max_fields=100).parse()
    except MultiPartException as exc:
        raise RequestRejected(400, f"Invalid multipart body: {exc.message}") from None
    try:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise RequestRejected(400, "Missing required parameter: 'file'.", param="file")
        name, size = upload.filename or "audio", len(await upload.read())
    finally:
        await form.close()
    fields: JSONObject = {}
    for key, value in form.multi_items():
        if isinstance(value, str):
            if key.endswith("[]"):
                listed = fields.setdefault(key, [])
                assert isinstance(listed, list)
                listed.append(value)
            else:
                fields[key] = value
    if "stream" in fields:
        fields["stream"] = fields["stream"] == "true"
    return name, size, fields


class _TranscriptionWire(MediaWire):
    def __init__(self, form: TranscriptionForm, turn: Turn, *, echo: str, audio_bytes: int) -> None:
        super().__init__("/audio/transcriptions", None)
        self.form = form
        self.turn = turn
        self.echo = echo
        self.audio_bytes = audio_bytes
        self.stream = form.stream
        self.body_media_type = _TEXT_TYPES.get(form.response_format, "application/json")

    def text(self, reply: Reply) -> str:
        """The transcript: the stub's content, rendered, or the echo sentence."""
        respond = self.script(reply)
        selection = reply.selection
        if respond is None or respond.content is None or selection is None:
            return self.echo
        return render_template(respond.content, self.turn, selection.calls, reply.stub_id or "")

    @property
    def translation(self) -> bool:
        """Whether the request asks for a translation (no ``usage``, ``task: translate``)."""
        return self.turn.endpoint == "audio.translations"

    def usage(self, text: str) -> JSONObject:
        """``usage``: seconds of audio for ``whisper-1``, tokens for the other models."""
        if self.form.model == "whisper-1":
            return duration_usage(len(text) * MS_PER_CHAR / 1000)
        return token_usage(max(1, self.audio_bytes // 1000), count_tokens(text))

    async def body(self, reply: Reply) -> bytes:
        """The transcript in ``response_format``."""
        text = self.text(reply)
        kind = self.form.response_format
        if kind == "text":
            return (text + "\n").encode()
        if kind == "srt":
            return srt(text).encode()
        if kind == "vtt":
            return vtt(text).encode()
        if kind == "verbose_json":
            granularities = self.form.timestamp_granularities
            answer = verbose(
                text,
                language=self.form.language or "english",
                with_words="word" in granularities and not self.translation,
                with_segments="segment" in granularities or self.translation,
            )
            if self.translation:
                return dumps(as_translation(answer))
            return dumps(answer | {"usage": self.usage(text)})
        usage = None if self.translation else self.usage(text)
        return dumps(transcription(text, usage))

    async def frames(self, reply: Reply, *, one_event_each: bool) -> AsyncIterator[bytes]:
        """``transcript.text.delta`` per token, then ``transcript.text.done``."""
        text = self.text(reply)
        for event in transcript_events(split_tokens(text), self.usage(text)):
            yield encode_sse(event)

    def error_frames(self, error: RequestRejected) -> list[bytes]:
        """An ``error`` event."""
        return [encode_sse({"type": "error", **error.envelope()})]
