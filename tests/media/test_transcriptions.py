"""``POST /v1/audio/transcriptions`` (multipart) through the official client over a socket
(sync and async)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import openai
import pytest

from mockgpt.server import MockServer
from mockgpt.testing.calls import Call
from tests.support import InProcess, is_envelope

AUDIO = ("meeting.wav", b"RIFF" + bytes(96))
ECHO = "Transcript of meeting.wav: 100 bytes of audio."


def _transcribe(call: Callable[..., Any], **kwargs: Any) -> Any:
    options = {"model": "whisper-1", "file": AUDIO} | kwargs
    return call(lambda c: c.audio.transcriptions.create(**options))


def _events(call: Callable[..., Any], **kwargs: Any) -> list[Any]:
    options = {"model": "gpt-4o-transcribe", "file": AUDIO, "stream": True} | kwargs

    def run(c: Any) -> Any:
        if isinstance(c, openai.OpenAI):
            return list(c.audio.transcriptions.create(**options))

        async def read() -> list[Any]:
            return [e async for e in await c.audio.transcriptions.create(**options)]

        return read()

    events: list[Any] = call(run)
    return events


def test_transcriptions_echo_names_the_file_and_its_length(call: Callable[..., Any]) -> None:
    answer = _transcribe(call)

    assert answer.text == ECHO
    assert answer.usage.type == "duration"
    assert answer.usage.seconds > 0


def test_transcriptions_text_srt_and_vtt(call: Callable[..., Any]) -> None:
    text = _transcribe(call, response_format="text")
    subrip = _transcribe(call, response_format="srt")
    webvtt = _transcribe(call, response_format="vtt")

    assert text == ECHO + "\n"
    assert subrip == f"1\n00:00:00,000 --> 00:00:02,760\n{ECHO}\n\n"
    assert webvtt == f"WEBVTT\n\n00:00:00.000 --> 00:00:02.760\n{ECHO}\n\n"


def test_transcriptions_verbose_json_segments_and_words(
    stub: Callable[..., None], call: Callable[..., Any]
) -> None:
    stub({"match": {"endpoint": "audio.transcriptions"}, "respond": {"content": "Hi there. Bye!"}})
    answer = _transcribe(
        call, response_format="verbose_json", timestamp_granularities=["word", "segment"]
    )

    assert answer.text == "Hi there. Bye!"
    assert answer.duration == pytest.approx(14 * 0.06)
    assert [(s.text, s.start, s.end) for s in answer.segments] == [
        ("Hi there.", 0.0, pytest.approx(0.54)),
        ("Bye!", pytest.approx(0.6), pytest.approx(0.84)),
    ]
    assert [w.word for w in answer.words] == ["Hi", "there.", "Bye!"]
    assert answer.words[1].start == pytest.approx(0.18)


def test_transcriptions_verbose_json_without_words_by_default(client: openai.OpenAI) -> None:
    answer = client.audio.transcriptions.create(
        model="whisper-1", file=AUDIO, response_format="verbose_json"
    )

    assert answer.words is None
    assert answer.segments


def test_transcriptions_stub_matches_the_file_name_or_the_prompt(
    stub: Callable[..., None], call: Callable[..., Any], entries: Callable[[], list[Call]]
) -> None:
    stub(
        {
            "id": "by-prompt",
            "match": {"endpoint": "audio.transcriptions", "last_user": "glossary: mockgpt"},
            "respond": {"content": "Prompted ({{ request.model }}, call {{ call_count }})."},
        },
        {
            "id": "by-name",
            "match": {"endpoint": "audio.transcriptions", "last_user": {"regex": "\\.wav$"}},
            "respond": {"content": "From {{ last_user }}."},
        },
    )

    assert _transcribe(call).text == "From meeting.wav."
    prompted = _transcribe(call, prompt="glossary: mockgpt", model="gpt-4o-transcribe")
    assert prompted.text == "Prompted (gpt-4o-transcribe, call 1)."
    assert prompted.usage.type == "tokens"
    assert [(e.endpoint, e.entry.stub) for e in entries()] == [
        ("audio.transcriptions", "by-name"),
        ("audio.transcriptions", "by-prompt"),
    ]


def test_transcriptions_stream_deltas_then_done(
    stub: Callable[..., None], call: Callable[..., Any]
) -> None:
    stub({"match": {"endpoint": "audio.transcriptions"}, "respond": {"content": "One two three."}})
    events = _events(call)

    assert {e.type for e in events[:-1]} == {"transcript.text.delta"}
    assert "".join(e.delta for e in events[:-1]) == "One two three."
    done = events[-1]
    assert (done.type, done.text) == ("transcript.text.done", "One two three.")
    assert done.usage.total_tokens == done.usage.input_tokens + done.usage.output_tokens


def test_transcriptions_stream_fault_sends_an_error_event(
    stub: Callable[..., None], server: MockServer
) -> None:
    stub(
        {
            "match": {"endpoint": "audio.transcriptions"},
            "respond": {"content": "One two three four."},
            "fault": {"error_after_chunks": 2},
        }
    )
    response = httpx.post(
        f"{server.base_url}/audio/transcriptions",
        data={"model": "gpt-4o-transcribe", "stream": "true"},
        files={"file": AUDIO},
    )

    events = [
        json.loads(line[6:]) for line in response.text.splitlines() if line.startswith("data: ")
    ]
    assert [e["type"] for e in events] == ["transcript.text.delta"] * 2 + ["error"]


def test_transcriptions_stub_error_and_reset(
    stub: Callable[..., None], call: Callable[..., Any]
) -> None:
    stub(
        {
            "match": {"endpoint": "audio.transcriptions", "last_user": "bad.mp3"},
            "respond": {"error": {"status": 400, "message": "Invalid file format."}},
        },
        {"match": {"endpoint": "audio.transcriptions"}, "fault": {"reset": True}},
    )

    with pytest.raises(openai.BadRequestError, match="Invalid file format"):
        _transcribe(call, file=("bad.mp3", b"x"))
    with pytest.raises(openai.APIConnectionError):
        _transcribe(call)


def test_transcriptions_whisper_does_not_stream(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.audio.transcriptions.create(model="whisper-1", file=AUDIO, stream=True)
    assert caught.value.body["param"] == "stream"  # type: ignore[index]


@pytest.mark.parametrize(
    ("request_kwargs", "param"),
    [
        ({"data": {"model": "whisper-1"}, "files": {"other": AUDIO}}, "file"),
        ({"data": {}, "files": {"file": AUDIO}}, "model"),
        (
            {"data": {"model": "whisper-1", "response_format": "csv"}, "files": {"file": AUDIO}},
            "response_format",
        ),
        ({"json": {"model": "whisper-1"}}, None),
    ],
)
def test_transcriptions_invalid_body_is_400(
    server: MockServer, request_kwargs: dict[str, Any], param: str | None
) -> None:
    response = httpx.post(f"{server.base_url}/audio/transcriptions", **request_kwargs)

    assert response.status_code == 400
    assert response.json()["error"]["param"] == param


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # openai 3.x deprecates translations
def test_translations_answer_as_transcriptions_do(
    stub: Callable[..., None], call: Callable[..., Any], entries: Callable[[], list[Call]]
) -> None:
    stub(
        {
            "id": "english",
            "match": {"endpoint": "audio.translations"},
            "respond": {"content": "Good morning. See you."},
        }
    )
    plain = call(lambda c: c.audio.translations.create(model="whisper-1", file=AUDIO))
    verbose = call(
        lambda c: c.audio.translations.create(
            model="whisper-1", file=AUDIO, response_format="verbose_json"
        )
    )
    subrip = call(
        lambda c: c.audio.translations.create(model="whisper-1", file=AUDIO, response_format="srt")
    )

    assert plain.text == "Good morning. See you."
    assert verbose.language == "english"
    assert [s.text for s in verbose.segments] == ["Good morning.", "See you."]
    assert subrip.startswith("1\n00:00:00,000 --> 00:00:00,780\nGood morning.\n")
    assert {(e.endpoint, e.entry.stub) for e in entries()} == {("audio.translations", "english")}


def test_translations_answer_the_echo_without_a_stub(server: MockServer) -> None:
    response = httpx.post(
        f"{server.base_url}/audio/translations",
        data={"model": "whisper-1", "response_format": "json"},
        files={"file": AUDIO},
    )

    assert response.json() == {"text": ECHO}
    streamed = httpx.post(
        f"{server.base_url}/audio/translations",
        data={"model": "gpt-4o-transcribe", "stream": "true"},
        files={"file": AUDIO},
    )
    assert streamed.status_code == 400
    assert streamed.json()["error"]["param"] == "stream"


def test_transcriptions_upload_over_the_body_limit_is_413(
    make_asgi: Callable[..., InProcess],
) -> None:
    app = make_asgi(max_body_bytes=1000)
    form = httpx.Request(
        "POST", "http://x", data={"model": "whisper-1"}, files={"file": ("a.wav", bytes(2000))}
    )
    body = form.read()

    response = app.post(
        "/v1/audio/transcriptions",
        content=body,
        headers={"content-type": form.headers["content-type"]},
    )

    assert response.status_code == 413
    assert is_envelope(response.json())
