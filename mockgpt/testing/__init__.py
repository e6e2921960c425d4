"""Helpers for tests that use mockgpt: the ``MockGPT`` handle, the journal, strict checks.

``MockGPT`` is what the ``mockgpt`` pytest fixture returns (see ``mockgpt.pytest_plugin``).
It serves one test from a shared ``MockServer``: it resets the server's state, loads the
test's scenarios, points ``OPENAI_BASE_URL`` / ``OPENAI_API_KEY`` at the mock, makes official
``openai`` clients bound to it, reads the journal, and at the end of the test checks that
every request met a stub and every stub marked ``expect`` was used::

    def test_weather(mockgpt):
        mockgpt.stub(match={"last_user": "weather"}, respond="Sunny.")
        answer = mockgpt.client().chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "weather?"}]
        )
        assert answer.choices[0].message.content == "Sunny."
        assert mockgpt.last_messages[-1]["content"] == "weather?"

Strict checks apply to a test with no stubs too: a request the fallback answered fails it,
unless the test asks for that answer (``@pytest.mark.mockgpt(fallback="echo")``, or
``"lorem"``); embeddings are exempt (no stub scripts their vectors). The journal helpers
(``calls``, ``call_count``, ``last_request``, ``assert_called``) count every API family by
``Call.endpoint`` (``ENDPOINTS``).

It works without pytest too: ``with MockGPT(MockServer().start()) as mock: ...`` then
``mock.verify()``.

With a cassette (``mockgpt.cassette``), a test replays what a real upstream once answered,
or records it: ``@pytest.mark.mockgpt(cassette=True)`` and ``--mockgpt-record``.
"""

from mockgpt.testing.assertions import IDLE_WAIT_S, UnmatchedRequest, UnusedStub
from mockgpt.testing.calls import ENDPOINTS, Call, StubRef
from mockgpt.testing.clients import API_KEY
from mockgpt.testing.guard import RealAPIRequest
from mockgpt.testing.handle import MockGPT
from mockgpt.testing.sources import INLINE, MARKER_ARGS, ScenarioSource, resolve_scenario_source

__all__ = [
    "API_KEY",
    "ENDPOINTS",
    "IDLE_WAIT_S",
    "INLINE",
    "MARKER_ARGS",
    "Call",
    "MockGPT",
    "RealAPIRequest",
    "ScenarioSource",
    "StubRef",
    "UnmatchedRequest",
    "UnusedStub",
    "resolve_scenario_source",
]
