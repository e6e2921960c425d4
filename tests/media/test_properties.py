"""Properties: a malformed media request is a 4xx envelope, never a 5xx; streamed and
non-streamed answers of speech and transcriptions carry the same audio and text."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
from hypothesis import example, given, settings
from hypothesis import strategies as st

from mockgpt.scenarios import Scenario
from mockgpt.server import MockServer
from tests.support import InProcess, examples, is_envelope

JSON_PATHS = ("/v1/moderations", "/v1/images/generations", "/v1/audio/speech")

_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10)
_values = st.recursive(
    _scalars,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=10,
)
_fields = st.fixed_dictionaries(
    {},
    optional={
        "input": _values,
        "model": _values,
        "prompt": _values,
        "n": _values,
        "size": _values,
        "voice": _values,
        "response_format": _values,
        "speed": _values,
        "stream_format": _values,
    },
)


def _data_events(text: str) -> list[dict[str, Any]]:
    # SSE lines end at \n only (str.splitlines would also split at U+0085, U+2028, ...)
    return [json.loads(line[6:]) for line in text.split("\n") if line.startswith("data: ")]


@settings(max_examples=examples(60), deadline=None)
@given(st.sampled_from(JSON_PATHS), _values | _fields)
def test_property_malformed_json_is_a_client_error(
    asgi: InProcess, path: str, value: object
) -> None:
    response = asgi.post(path, content=json.dumps(value).encode())

    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert is_envelope(response.json()), response.text


@settings(max_examples=examples(40), deadline=None)
@given(st.binary(max_size=300), st.sampled_from(["multipart/form-data; boundary=x", "text/plain"]))
def test_property_malformed_upload_is_a_client_error(
    asgi: InProcess, content: bytes, content_type: str
) -> None:
    response = asgi.post(
        "/v1/audio/transcriptions", content=content, headers={"content-type": content_type}
    )

    assert 400 <= response.status_code < 500, response.text
    assert is_envelope(response.json())


@settings(max_examples=examples(25), deadline=None)
@given(
    st.text(min_size=0, max_size=120),
    st.sampled_from(["mp3", "wav", "pcm"]),
    st.sampled_from([0.25, 1.0, 3.5]),
)
def test_property_speech_sse_carries_the_same_audio(
    server: MockServer, text: str, response_format: str, speed: float
) -> None:
    body = {
        "model": "gpt-4o-mini-tts",
        "voice": "alloy",
        "input": text,
        "response_format": response_format,
        "speed": speed,
    }
    whole = httpx.post(f"{server.base_url}/audio/speech", json=body)
    streamed = httpx.post(f"{server.base_url}/audio/speech", json=body | {"stream_format": "sse"})

    events = _data_events(streamed.text)
    assert events[-1]["type"] == "speech.audio.done"
    audio = b"".join(base64.b64decode(e["audio"]) for e in events[:-1])
    assert audio == whole.content
    assert whole.content == httpx.post(f"{server.base_url}/audio/speech", json=body).content


@settings(max_examples=examples(25), deadline=None)
@given(st.text(alphabet=st.characters(exclude_characters="{}%#"), max_size=200))
@example("\x85\u2028")
def test_property_transcription_stream_joins_to_the_json_text(
    server: MockServer, content: str
) -> None:
    server.engine.reset()
    stub = {"match": {"endpoint": "audio.transcriptions"}, "respond": {"content": content}}
    server.engine.registry.add(Scenario.model_validate({"name": "p", "stubs": [stub]}))
    form = {"model": "gpt-4o-transcribe"}
    upload = {"file": ("a.wav", b"abc")}
    url = f"{server.base_url}/audio/transcriptions"

    text = httpx.post(url, data=form, files=upload).json()["text"]
    events = _data_events(httpx.post(url, data=form | {"stream": "true"}, files=upload).text)

    assert text == content
    assert "".join(e["delta"] for e in events[:-1]) == content
    assert events[-1] == {"type": "transcript.text.done", "text": content} | {
        "usage": events[-1]["usage"]
    }
