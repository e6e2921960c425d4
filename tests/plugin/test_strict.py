"""Strict teardown: unmatched requests, unused ``expect`` stubs, server-side exceptions.

The exact messages are checked on ``MockGPT.verify`` directly; a pytester run then shows
that the fixture raises them at teardown, and that ``strict=False`` turns them off.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest

from mockgpt.engine import Engine
from mockgpt.errors import ConfigError
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
        "Add a stub that matches, or fix the closest one; to let the echo fallback answer, "
        'use @pytest.mark.mockgpt(fallback="echo").'
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
        "Add a stub that matches, or fix the closest one; to let the echo fallback answer, "
        'use @pytest.mark.mockgpt(fallback="echo").',
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
        "requests received (3), by endpoint: chat.completions 3\n"
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


def test_strict_without_stubs_a_request_fails(mock: MockGPT) -> None:
    """A test that scripted nothing fails as one whose stubs all missed."""
    assert ask(mock, "echo me") == "echo me"

    with pytest.raises(UnmatchedRequest) as failure:
        mock.verify()
    assert str(failure.value) == (
        "1 request matched no stub; the fallback answered it.\n"
        "\n"
        "request 1 of 1: POST /v1/chat/completions -> 200\n"
        "  model: gpt-4o-mini\n"
        "  messages:\n"
        "    user: 'echo me'\n"
        "  no stub is loaded: the test added none and its scenarios have none\n"
        "\n"
        "Add a stub for it; to let the echo fallback answer, "
        'use @pytest.mark.mockgpt(fallback="echo").'
    )


@pytest.mark.parametrize(
    ("fallback", "answer"),
    [("echo", "echo me"), ("lorem", "Lorem")],
    ids=["echo", "lorem"],
)
def test_strict_fallback_answers_and_is_not_a_miss(
    mockgpt_server: MockServer, fallback: Any, answer: str
) -> None:
    """``fallback`` lets that answer requests no stub matched; ``expect`` still counts."""
    with MockGPT(mockgpt_server, fallback=fallback) as mock:
        mock.stub(id="greeting", match={"last_user": "hello"}, respond="Hi!", expect=1)

        assert ask(mock, "hello") == "Hi!"
        assert (ask(mock, "echo me") or "").startswith(answer)
        assert [(c.stub, c.fallback) for c in mock.journal] == [("greeting", False), (None, True)]
        mock.verify()

        ask(mock, "hello")
        with pytest.raises(UnusedStub, match="greeting: expected exactly 1 call, got 2"):
            mock.verify()


def test_strict_fallback_wins_over_the_scenarios(
    mockgpt_server: MockServer, tmp_path: Path
) -> None:
    """``fallback="echo"`` answers even where a scenario's fallback is ``error``."""
    scenario = tmp_path / "errors.yaml"
    scenario.write_text("name: errors\nfallback: error\n")
    with MockGPT(mockgpt_server, scenarios=[scenario]) as mock:
        with pytest.raises(openai.NotFoundError, match="No stub matched"):
            ask(mock, "hi")
        with pytest.raises(UnmatchedRequest):
            mock.verify()
    with MockGPT(mockgpt_server, scenarios=[scenario], fallback="echo") as mock:
        assert ask(mock, "hi") == "hi"
        assert [s.name for s in mock.scenarios] == ["errors"]
        mock.verify()


def test_strict_fallback_unknown(mockgpt_server: MockServer) -> None:
    with pytest.raises(ConfigError, match="fallback must be one of None, 'echo', 'lorem'"):
        MockGPT(mockgpt_server, fallback="eco")  # type: ignore[arg-type]


def test_strict_embeddings_follow_the_rule(mock: MockGPT) -> None:
    """An embeddings request no stub matched fails the test like any other."""
    mock.stub(id="large", match={"model": "text-embedding-3-large"}, respond={})

    mock.client().embeddings.create(model="text-embedding-3-large", input="weather")
    mock.client().embeddings.create(model="text-embedding-3-small", input="hello")

    assert [(c.stub, c.fallback, c.unmatched) for c in mock.journal] == [
        ("large", False, False),
        (None, True, True),
    ]
    with pytest.raises(UnmatchedRequest, match="1 request matched no stub"):
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
            "it takes scenario, strict, fallback, transport, cassette, seed, real_api",
            "*ERROR at setup of test_missing_scenario*",
            "E *ScenarioError: no-such-file.yaml: no such file, and no built-in scenario*",
        ]
    )


def test_strict_fixture_without_stubs_fails_at_teardown(downstream: pytest.Pytester) -> None:
    """A test that forgot every stub fails at teardown on both transports (embeddings too);
    an echo opt-in passes."""
    downstream.makepyfile(
        """
        import pytest

        both_transports = pytest.mark.parametrize("mockgpt", ["socket", "asgi"], indirect=True)

        def ask(mockgpt, text):
            answer = mockgpt.client(max_retries=0).chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": text}]
            )
            return answer.choices[0].message.content

        @both_transports
        def test_forgot_every_stub(mockgpt):
            assert ask(mockgpt, "weather?") == "weather?"

        @both_transports
        @pytest.mark.mockgpt(fallback="echo")
        def test_echo_on_purpose(mockgpt):
            assert ask(mockgpt, "weather?") == "weather?"

        @both_transports
        def test_embeddings_need_a_stub_too(mockgpt):
            vectors = mockgpt.client().embeddings.create(
                model="text-embedding-3-small", input=["a", "b"]
            )
            assert len(vectors.data) == 2

        @pytest.mark.mockgpt(fallback="eco")
        def test_misspelt_fallback(mockgpt):
            pass
        """
    )

    result = downstream.runpytest("-rE", "-p", "no:randomly")

    result.assert_outcomes(passed=6, errors=5)
    forgot = [
        "E*.UnmatchedRequest: 1 request matched no stub; the fallback answered it.",
        "    request 1 of 1: POST /v1/chat/completions -> 200",
        "      model: gpt-4o-mini",
        "      messages:",
        "        user: 'weather?'",
        "      no stub is loaded: the test added none and its scenarios have none",
        "    Add a stub for it; to let the echo fallback answer, "
        'use @pytest.mark.mockgpt(fallback="echo").',
    ]
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_forgot_every_stub[[]socket[]]*",
            *forgot,
            "*ERROR at teardown of test_forgot_every_stub[[]asgi[]]*",
            *forgot,
            "*ERROR at setup of test_misspelt_fallback*",
            "E *ConfigError: @pytest.mark.mockgpt: fallback must be 'echo' or 'lorem', got 'eco'",
        ]
    )
