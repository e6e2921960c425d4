"""Every API family in the journal helpers (``calls``, ``call_count``, ``last_request``,
``assert_called``), by endpoint, over both transports; their failure text."""

from __future__ import annotations

import pytest

from mockgpt.testing import ENDPOINTS
from mockgpt.testing.calls import endpoint_of

FAMILIES = """
import ollama
import pytest

from mockgpt.testing import ENDPOINTS

# the openai client marks the Assistants API deprecated
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

both_transports = pytest.mark.parametrize("mockgpt", ["socket", "asgi"], indirect=True)
USER = [{"role": "user", "content": "hi"}]


@pytest.fixture
def local(mockgpt):
    \"\"\"The official Ollama client on the mock (its native API, no ``/v1``).\"\"\"
    with ollama.Client(host=mockgpt.base_url.removesuffix("/v1")) as client:
        yield client


@both_transports
def test_every_family_in_every_helper(mockgpt, local):
    mockgpt.stub(id="any", respond="ok", expect=12)
    client = mockgpt.client(max_retries=0)
    families = []

    def sent(endpoint):
        families.append(endpoint)
        assert mockgpt.last_request.endpoint == endpoint
        assert mockgpt.call_count == len(families)

    client.chat.completions.create(model="m", messages=USER)
    sent("chat.completions")
    client.completions.create(model="m", prompt="hi")
    sent("completions")
    client.embeddings.create(model="m", input="hi")
    sent("embeddings")
    client.responses.create(model="m", input="hi")
    sent("responses")
    assert mockgpt.last_messages == USER  # the input string, as a user message
    client.conversations.create()
    sent("conversations")
    assistant = client.beta.assistants.create(model="m")
    sent("assistants")
    thread = client.beta.threads.create(messages=USER)
    sent("assistants")
    run = client.beta.threads.runs.create(thread_id=thread.id, assistant_id=assistant.id)
    sent("assistants")
    client.beta.threads.runs.retrieve(run.id, thread_id=thread.id)
    sent("assistants")
    local.chat(model="llama3", messages=USER)
    sent("ollama")
    local.generate(model="llama3", prompt="hi")
    sent("ollama")
    local.list()
    sent("ollama")
    client.models.list()
    sent("models")
    source = client.files.create(file=("in.jsonl", b"{}"), purpose="batch")
    sent("files")
    client.batches.create(
        input_file_id=source.id, endpoint="/v1/chat/completions", completion_window="24h"
    )
    sent("batches")
    client.moderations.create(input="hi")
    sent("moderations")
    client.images.generate(prompt="hi", response_format="b64_json")
    sent("images")
    client.audio.speech.create(model="tts-1", voice="alloy", input="hi")
    sent("audio.speech")
    text = client.audio.transcriptions.create(model="whisper-1", file=("a.wav", b"x")).text
    assert text == "ok"
    sent("audio.transcriptions")
    client.audio.translations.create(model="whisper-1", file=("a.wav", b"x"))
    sent("audio.translations")

    assert [call.endpoint for call in mockgpt.calls] == families
    assert set(families) == set(ENDPOINTS) - {"realtime"}  # a WebSocket: tests/realtime
    for endpoint in set(families):
        counted = mockgpt.assert_called(times=families.count(endpoint), endpoint=endpoint)
        assert {call.endpoint for call in counted} == {endpoint}
    mockgpt.assert_called(times=20)
    assert [c.stub for c in mockgpt.calls if c.stub] == ["any"] * 12


@both_transports
def test_failure_text_by_endpoint(mockgpt, local):
    mockgpt.stub(id="any", respond="ok")
    local.chat(model="llama3", messages=USER)
    mockgpt.client().chat.completions.create(model="gpt-4o-mini", messages=USER)
    mockgpt.client().models.list()

    with pytest.raises(AssertionError) as failure:
        mockgpt.assert_called(times=1, endpoint="embeddings")

    assert str(failure.value) == (
        "expected 1 embeddings request to mockgpt, got 0\\n"
        "\\n"
        "requests received (3), by endpoint: ollama 1, chat.completions 1, models 1\\n"
        "  1. POST /api/chat -> 200 by any, last user: 'hi'\\n"
        "  2. POST /v1/chat/completions -> 200 by any, last user: 'hi'\\n"
        "  3. GET /v1/models -> 200"
    )
    with pytest.raises(AssertionError, match="^expected 2 requests to mockgpt, got 3\\n"):
        mockgpt.assert_called(times=2)
    with pytest.raises(ValueError, match="endpoint must be one of chat.completions, .*got 'chat'"):
        mockgpt.assert_called(endpoint="chat")
"""


def test_journal_families_in_every_helper(downstream: pytest.Pytester) -> None:
    """Ollama and Assistants requests count like the others, over both transports, and
    ``assert_called`` says what it counted and what came, by endpoint."""
    downstream.makepyfile(test_families=FAMILIES)

    result = downstream.runpytest("-p", "no:randomly")

    result.assert_outcomes(passed=4)


PATHS = [
    ("/v1/chat/completions", "chat.completions"),
    ("/chat/completions", "chat.completions"),
    ("/v1/completions", "completions"),
    ("/v1/embeddings", "embeddings"),
    ("/v1/responses/resp_1/input_items", "responses"),
    ("/v1/conversations/conv_1/items", "conversations"),
    ("/v1/assistants/asst_1", "assistants"),
    ("/v1/threads/thread_1/runs/run_1/steps", "assistants"),
    ("/api/generate", "ollama"),
    ("/api/tags", "ollama"),
    ("/models/gpt-4o-mini", "models"),
    ("/v1/moderations", "moderations"),
    ("/v1/images/generations", "images"),
    ("/v1/images/files/img-1.png", "images"),
    ("/v1/audio/speech", "audio.speech"),
    ("/audio/transcriptions", "audio.transcriptions"),
    ("/v1/audio/translations", "audio.translations"),
    ("/v1/audio", None),
    ("/v1/realtime", "realtime"),
    ("/realtime", "realtime"),
    ("/v1/files", "files"),
    ("/v1/files/file-1/content", "files"),
    ("/batches/batch_1/cancel", "batches"),
    ("/v1/fine_tuning/jobs", None),
    ("/v1/chat", None),
    ("/v1chat/completions", None),
    ("/v1", None),
]


@pytest.mark.parametrize(("path", "endpoint"), PATHS, ids=[path for path, _ in PATHS])
def test_journal_endpoint_of_path(path: str, endpoint: str | None) -> None:
    assert endpoint_of(path) == endpoint
    assert endpoint is None or endpoint in ENDPOINTS
