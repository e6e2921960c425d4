"""Strict teardown: unmatched requests, unused ``expect`` stubs, server-side exceptions.

The exact messages are checked on ``MockGPT.verify`` directly; a pytester run then shows
that the fixture raises them at teardown, and that ``strict=False`` turns them off.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from mockgpt.engine import Engine
from mockgpt.server import MockServer
from mockgpt.testing import MockGPT, UnmatchedRequest, UnusedStub

MODEL = "gpt-4o-mini"


def ask(mock: MockGPT, text: str, **options: Any) -> str | None:
    answer = mock.client(max_retries=0).chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": text}], **options
    )
    return answer.choices[0].message.content


@pytest.fixture
def mock(mockgpt_server: MockServer) -> Iterator[MockGPT]:
    """A handle on the session server whose ``verify`` the test calls itself."""
    with MockGPT(mockgpt_server) as handle:
        yield handle


def test_strict_unmatched_request_names_the_closest_stub(mock: MockGPT) -> None:
    """An unmatched request fails and names the closest stub and why each stub missed."""
    mock.stub(id="weather", match={"model": MODEL, "last_user": "forecast"}, respond="Sunny.")
    mock.stub(id="greeting", match={"last_user": {"regex": "^hello"}}, respond="Hi!")
    mock.stub(id="tools", match={"tools": ["get_weather"]}, respond="x")

    assert ask(mock, "What is the weather in Paris?") == "What is the weather in Paris?"

    with pytest.raises(UnmatchedRequest) as failure:
        mock.verify()
    assert str(failure.value) == (
        "1 request matched no stub; the fallback answered it.\n"
        "\n"
        "request 1 of 1: POST /v1/chat/completions -> 200\n"
        "  model: gpt-4o-mini\n"
        "  messages:\n"
        "    user: 'What is the weather in Paris?'\n"
        "  closest stub: weather (1 of 2 conditions held)\n"
        "    last_user.contains: expected 'forecast', got 'What is the weather in Paris?'\n"
        "  other stubs:\n"
        "    greeting: last_user.regex: expected /^hello/, got 'What is the weather in Paris?'\n"
        "    tools: tools: ['get_weather'] not offered (offered: [])\n"
        "\n"
        "Add a stub that matches, or fix the closest one; to let the fallback answer, "
        "use @pytest.mark.mockgpt(strict=False)."
    )


def test_strict_unmatched_request_also_lists_unused_stubs(mock: MockGPT) -> None:
    mock.stub(id="greeting", match={"last_user": {"regex": "^hello"}}, respond="Hi!", expect=True)

    ask(mock, "bye")

    with pytest.raises(UnmatchedRequest) as failure:
        mock.verify()
    assert str(failure.value).splitlines()[-5:] == [
        "Also: 1 stub marked `expect` was not used as expected:",
        "  greeting: expected at least 1 call, got 0",
        "    request 1: last_user.regex: expected /^hello/, got 'bye'",
        "",
        "Add a stub that matches, or fix the closest one; to let the fallback answer, "
        "use @pytest.mark.mockgpt(strict=False).",
    ]


def test_strict_unused_stub_says_why_each_request_missed_it(mock: MockGPT) -> None:
    """A stub used fewer times than ``expect`` says; each request's reason is listed."""
    mock.stub(id="hello", match={"last_user": "hello"}, respond="Hi!")
    mock.stub(id="weather", match={"last_user": "weather"}, respond="Sunny.", expect=2)
    mock.stub(id="catch-all", respond="?")

    ask(mock, "hello")
    ask(mock, "weather?")
    ask(mock, "thanks")

    with pytest.raises(UnusedStub) as failure:
        mock.verify()
    assert str(failure.value) == (
        "1 stub marked `expect` was not used as expected:\n"
        "  weather: expected exactly 2 calls, got 1\n"
        "    request 1: last_user.contains: expected 'weather', got 'hello'\n"
        "    request 3: last_user.contains: expected 'weather', got 'thanks'\n"
        "\n"
        "requests received (3):\n"
        "  1. POST /v1/chat/completions -> 200 by hello, last user: 'hello'\n"
        "  2. POST /v1/chat/completions -> 200 by weather, last user: 'weather?'\n"
        "  3. POST /v1/chat/completions -> 200 by catch-all, last user: 'thanks'"
    )


def test_strict_unused_stub_that_matched_after_an_earlier_stub(mock: MockGPT) -> None:
    mock.stub(id="first", respond="first")
    mock.stub(id="second", respond="second", expect=True)

    ask(mock, "hi")

    with pytest.raises(UnusedStub, match="request 1: it matches, but first came first"):
        mock.verify()


def test_strict_expect_zero_fails_when_used(mock: MockGPT) -> None:
    mock.stub(id="never", match={"last_user": "secret"}, respond="x", expect=0)

    ask(mock, "the secret")

    with pytest.raises(UnusedStub, match="never: expected exactly 0 calls, got 1"):
        mock.verify()


def test_strict_passes_when_every_request_matched(mock: MockGPT) -> None:
    mock.stub(match={"last_user": "hi"}, respond="hello", expect=1)

    assert ask(mock, "hi") == "hello"

    mock.verify()


def test_strict_without_stubs_the_fallback_is_not_a_miss(mock: MockGPT) -> None:
    assert ask(mock, "echo me") == "echo me"

    mock.verify()


def test_strict_off_allows_misses_and_unused_stubs(mockgpt_server: MockServer) -> None:
    with MockGPT(mockgpt_server, strict=False) as mock:
        mock.stub(match={"last_user": "hi"}, respond="hello", expect=True)

        assert ask(mock, "bye") == "bye"

        mock.verify()


def test_strict_server_exception_is_reraised(
    mock: MockGPT, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bug in the server (a 500 envelope for the client) is raised again in the test."""

    def broken(self: Engine, ctx: object) -> None:
        raise RuntimeError("the engine broke")

    monkeypatch.setattr(Engine, "serve", broken)

    with pytest.raises(Exception, match="500"):
        ask(mock, "hi")
    with pytest.raises(RuntimeError, match="the engine broke"):
        mock.verify()


def test_strict_fixture_fails_at_teardown(downstream: pytest.Pytester) -> None:
    """Through the fixture: the failures come at teardown, with their messages."""
    downstream.makepyfile(
        """
        import pytest
        from mockgpt.engine import Engine

        def ask(mockgpt, text):
            answer = mockgpt.client(max_retries=0).chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": text}]
            )
            return answer.choices[0].message.content

        def test_forgot_a_stub(mockgpt):
            mockgpt.stub(id="weather", match={"last_user": "forecast"}, respond="Sunny.")
            assert ask(mockgpt, "weather?") == "weather?"

        def test_unused_stub(mockgpt):
            mockgpt.stub(id="weather", match={"last_user": "weather"}, respond="x", expect=True)

        @pytest.mark.mockgpt(strict=False)
        def test_not_strict(mockgpt):
            mockgpt.stub(id="weather", match={"last_user": "weather"}, respond="x", expect=True)
            assert ask(mockgpt, "hello") == "hello"

        def test_server_bug(mockgpt, monkeypatch):
            def broken(self, ctx):
                raise RuntimeError("the engine broke")
            monkeypatch.setattr(Engine, "serve", broken)
            with pytest.raises(Exception):
                ask(mockgpt, "hi")

        @pytest.mark.mockgpt(stict=False)
        def test_misspelt_marker(mockgpt):
            pass

        @pytest.mark.mockgpt(scenario="no-such-file.yaml")
        def test_missing_scenario(mockgpt):
            pass
        """
    )

    result = downstream.runpytest("-rE")

    result.assert_outcomes(passed=4, errors=5)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_forgot_a_stub*",
            "E*.UnmatchedRequest: 1 request matched no stub; the fallback answered it.",
            "    request 1 of 1: POST /v1/chat/completions -> 200",
            "      model: gpt-4o-mini",
            "      messages:",
            "        user: 'weather?'",
            "      closest stub: weather (0 of 1 conditions held)",
            "        last_user.contains: expected 'forecast', got 'weather?'",
            "*ERROR at teardown of test_unused_stub*",
            "E*.UnusedStub: 1 stub marked `expect` was not used as expected:",
            "      weather: expected at least 1 call, got 0",
            "    no request reached mockgpt.",
            "*ERROR at teardown of test_server_bug*",
            "E *RuntimeError: the engine broke",
            "*ERROR at setup of test_misspelt_marker*",
            "E *ConfigError: @pytest.mark.mockgpt: unknown argument 'stict'; "
            "it takes scenario, strict, transport, cassette",
            "*ERROR at setup of test_missing_scenario*",
            "E *ScenarioError: no-such-file.yaml: no such file, and no built-in scenario*",
        ]
    )
