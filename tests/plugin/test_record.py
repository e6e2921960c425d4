"""Cassettes: ``--mockgpt-record=none|missing|all`` with ``@pytest.mark.mockgpt(cassette=...)``.

The upstream is a second mockgpt server, scripted with a streamed tool call and an answer to
its result, that requires its own API key. Downstream test files run in pytester; each
writes what its client saw to ``OBSERVED_DIR`` so a recording run and a replay run compare
chunk by chunk.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from mockgpt.cassette import Cassette, RecordSettings, default_cassette_path
from mockgpt.config import ServerConfig
from mockgpt.errors import ConfigError
from mockgpt.scenarios import Scenario
from mockgpt.server import MockServer
from tests.plugin.conftest import DOWNSTREAM, HAS_PYTEST_ASYNCIO, INI

UPSTREAM_KEY = "sk-upstream-secret-5678"

UPSTREAM_SCENARIO = {
    "name": "upstream",
    "stubs": [
        {
            "id": "final-answer",
            "match": {"tool_result": {"name": "get_weather"}},
            "respond": {"content": "Sunny, 18 °C in Oslo."},
        },
        {
            "id": "call-get-weather",
            "match": {"last_user": {"contains": "weather"}},
            "respond": {
                "content": "Let me check.",
                "chunking": {"chunks": ["Let", " me", " check."]},
                "tool_calls": [
                    {
                        "id": "call_oslo",
                        "name": "get_weather",
                        "arguments": '{"city": "Oslo", "days": 2}',
                    }
                ],
            },
        },
        {
            "id": "stale-check",
            "match": {"last_user": {"contains": "stale"}},
            "respond": {"content": "fresh from upstream"},
        },
    ],
}

CASSETTES = ("test_weather_agent-socket", "test_weather_agent-asgi")
"""The default cassettes of the downstream agent loop's two parametrizations."""

ASYNC_CASSETTE = "test_weather_tool_call_async-asyncio"  # anyio parametrizes the backend


@pytest.fixture
def upstream() -> Iterator[MockServer]:
    server = MockServer(ServerConfig(port=0, api_key=UPSTREAM_KEY, log_level="warning"))
    server.engine.registry.add(Scenario.model_validate(UPSTREAM_SCENARIO))
    with server:
        yield server


@pytest.fixture
def project(downstream: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """A downstream project with the cassette tests and a folder for what they observe."""
    downstream.makepyfile(test_cassette_app=(DOWNSTREAM / "test_cassette_app.py").read_text())
    observed = downstream.path / "observed"
    observed.mkdir()
    monkeypatch.setenv("OBSERVED_DIR", str(observed))
    return downstream


def observed(project: pytest.Pytester) -> dict[str, Any]:
    return {
        path.stem: json.loads(path.read_text())
        for path in sorted((project.path / "observed").glob("*.json"))
    }


def cassette(project: pytest.Pytester, name: str) -> Path:
    return project.path / "cassettes" / "test_cassette_app" / f"{name}.yaml"


def upstream_requests(upstream: MockServer) -> list[Any]:
    upstream.wait_journalled()
    return [e for e in upstream.engine.journal.entries() if e.path.endswith("/completions")]


def test_record_missing_then_replay_offline(
    project: pytest.Pytester, upstream: MockServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A streamed tool-calling loop is recorded once, then replays with the upstream gone."""
    monkeypatch.setenv("OPENAI_API_KEY", UPSTREAM_KEY)  # the default variable for the key

    recorded = project.runpytest(
        "--mockgpt-record=missing", f"--mockgpt-upstream={upstream.base_url}"
    )

    recorded.assert_outcomes(passed=3)
    requests = upstream_requests(upstream)
    assert len(requests) == 5  # two turns over each transport, and the async test's one
    assert {e.status for e in requests} == {200}  # the upstream took the key from OPENAI_API_KEY
    first_run = observed(project)
    assert sorted(first_run) == sorted([*CASSETTES, ASYNC_CASSETTE])
    for name in CASSETTES:
        text = cassette(project, name).read_text()
        assert UPSTREAM_KEY not in text
        assert "sk-mockgpt-test" not in text
        document = yaml.safe_load(text)
        assert document["fallback"] == "error"
        assert [s["id"] for s in document["stubs"]] == ["recorded-2", "recorded-1"]
        tool_turn = document["stubs"][1]["respond"]
        arguments = '{"city": "Oslo", "days": 2}'
        (call,) = tool_turn["tool_calls"]
        assert {k: call[k] for k in ("id", "name", "arguments")} == {
            "id": "call_oslo",
            "name": "get_weather",
            "arguments": arguments,
        }
        assert "".join(call["chunks"]) == arguments  # the argument deltas as streamed
        assert len(call["chunks"]) > 1
        assert tool_turn["chunking"] == {"chunks": ["Let", " me", " check."]}
        assert tool_turn["finish_reason"] == "tool_calls"
    assert yaml.safe_load(cassette(project, ASYNC_CASSETTE).read_text())["stubs"][0]["id"] == (
        "recorded-1"
    )
    assert all(set(run["stubs"]) == {None} for run in first_run.values())  # the upstream's

    upstream.stop()
    replayed = project.runpytest("--mockgpt-record=none", f"--mockgpt-upstream={upstream.base_url}")

    replayed.assert_outcomes(passed=3)
    second_run = observed(project)
    assert second_run[ASYNC_CASSETTE]["turns"] == first_run[ASYNC_CASSETTE]["turns"]
    assert second_run[ASYNC_CASSETTE]["stubs"] == ["recorded-1"]
    for name in CASSETTES:
        run = second_run[name]
        assert run["stubs"] == ["recorded-1", "recorded-2"]
        assert run["turns"] == first_run[name]["turns"]
        deltas = run["turns"][0]["deltas"]
        assert [d[0] for d in deltas[:4]] == ["", "Let", " me", " check."]  # role chunk first
        fragments = [d[1][0][3] for d in deltas if d[1]]
        assert len(fragments) > 1  # the arguments arrive in pieces, as they were recorded
        assert "".join(fragments) == '{"city": "Oslo", "days": 2}'
        assert deltas[-1] == [None, [], "tool_calls"]


def test_record_none_without_a_cassette_is_an_error_naming_it(project: pytest.Pytester) -> None:
    result = project.runpytest()

    result.assert_outcomes(errors=3)
    path = cassette(project, "test_weather_agent-socket")
    result.stdout.fnmatch_lines(
        [
            f"*ConfigError: mockgpt: no cassette at {path} (--mockgpt-record=none replays only);"
            " record it with pytest --mockgpt-record=missing --mockgpt-upstream URL"
        ]
    )
    assert not (project.path / "cassettes").exists()


def test_record_missing_without_an_upstream_is_an_error(project: pytest.Pytester) -> None:
    result = project.runpytest("--mockgpt-record=missing")

    result.assert_outcomes(errors=3)
    result.stdout.fnmatch_lines(
        [
            "*ConfigError: mockgpt: the cassette */test_weather_agent-asgi.yaml is to be "
            "recorded (it is missing), but no upstream is configured: pass --mockgpt-upstream "
            "URL or set the mockgpt_upstream ini option"
        ]
    )


STALE_TEST = """
import pytest
from openai import OpenAI


@pytest.mark.mockgpt(cassette="recorded/stale.yaml")
def test_stale(mockgpt):
    with OpenAI(max_retries=0) as client:
        reply = client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "stale?"}]
        )
    print("ANSWER:", reply.choices[0].message.content)
"""

STALE_CASSETTE = """
name: stale
stubs:
  - id: recorded-1
    match: {endpoint: chat.completions, last_user: {contains: stale}}
    respond: {content: from the old cassette}
  - id: recorded-2
    match: {last_user: {contains: never asked}}
    respond: {content: an exchange the test no longer makes}
fallback: error
"""


def test_record_missing_replays_an_existing_cassette_without_the_upstream(
    downstream: pytest.Pytester, upstream: MockServer
) -> None:
    downstream.makepyfile(test_stale=STALE_TEST)
    path = downstream.path / "recorded" / "stale.yaml"
    path.parent.mkdir()
    path.write_text(STALE_CASSETTE)

    result = downstream.runpytest(
        "--mockgpt-record=missing", f"--mockgpt-upstream={upstream.base_url}", "-s"
    )

    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*ANSWER: from the old cassette"])
    assert upstream_requests(upstream) == []
    assert path.read_text() == STALE_CASSETTE


def test_record_all_rewrites_the_cassette_with_the_key_from_the_named_variable(
    downstream: pytest.Pytester, upstream: MockServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    downstream.makepyfile(test_stale=STALE_TEST)
    path = downstream.path / "recorded" / "stale.yaml"
    path.parent.mkdir()
    path.write_text(STALE_CASSETTE)
    monkeypatch.setenv("UPSTREAM_KEY", UPSTREAM_KEY)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-not-this-one")

    result = downstream.runpytest(
        "--mockgpt-record=all",
        f"--mockgpt-upstream={upstream.base_url}",
        "--mockgpt-upstream-api-key-env=UPSTREAM_KEY",
        "-s",
    )

    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*ANSWER: fresh from upstream"])
    (request,) = upstream_requests(upstream)
    assert request.status == 200
    text = path.read_text()
    document = yaml.safe_load(text)
    assert [s["id"] for s in document["stubs"]] == ["recorded-1"]  # the old stubs are gone
    assert document["stubs"][0]["respond"]["content"] == "fresh from upstream"
    assert document["stubs"][0]["match"]["body"]["messages"] == [
        {"role": "user", "content": "stale?"}
    ]
    assert UPSTREAM_KEY not in text
    assert "sk-not-this-one" not in text


def test_record_all_that_fails_before_recording_leaves_the_cassette(
    downstream: pytest.Pytester, upstream: MockServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The upstream refuses a missing key (401): the test fails and the old cassette stays."""
    downstream.makepyfile(test_stale=STALE_TEST)
    path = downstream.path / "recorded" / "stale.yaml"
    path.parent.mkdir()
    path.write_text(STALE_CASSETTE)
    monkeypatch.delenv("UPSTREAM_KEY", raising=False)

    result = downstream.runpytest(
        "--mockgpt-record=all",
        f"--mockgpt-upstream={upstream.base_url}",
        "--mockgpt-upstream-api-key-env=UPSTREAM_KEY",
    )

    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*openai.AuthenticationError*"])
    assert [e.status for e in upstream_requests(upstream)] == [401]
    assert path.read_text() == STALE_CASSETTE


REPLAY_TEST = """
import openai
import pytest


def ask_something_else():
    with openai.OpenAI(max_retries=0) as client, pytest.raises(openai.NotFoundError) as caught:
        client.chat.completions.create(  # answered by the cassette's `fallback: error`
            model="gpt-4o-mini", messages=[{"role": "user", "content": "something else"}]
        )
    assert caught.value.body["code"] == "no_stub_matched"


@pytest.mark.mockgpt(cassette="stale.yaml")
def test_asks_something_else(mockgpt):
    ask_something_else()


@pytest.mark.mockgpt(cassette="stale.yaml", strict=False)
def test_not_strict_only_gets_the_error(mockgpt):
    ask_something_else()
"""


def test_replay_of_a_request_the_cassette_lacks_fails_naming_the_closest_stub(
    downstream: pytest.Pytester,
) -> None:
    downstream.makepyfile(test_replay=REPLAY_TEST)
    (downstream.path / "stale.yaml").write_text(STALE_CASSETTE)

    result = downstream.runpytest()

    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_asks_something_else*",
            "E*UnmatchedRequest: 1 request matched no stub; the fallback answered it.",
            "    request 1 of 1: POST /v1/chat/completions -> 404",
            "      closest stub: recorded-1 (1 of 2 conditions held)",
            "        last_user.contains: expected 'stale', got 'something else'",
            f"    The cassette {downstream.path / 'stale.yaml'} does not hold this request; "
            "to record it again, run pytest --mockgpt-record=all.",
        ]
    )


LOCAL_TEST = """
import pytest
from openai import OpenAI


def ask(question):
    with OpenAI(max_retries=0) as client:
        reply = client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": question}]
        )
    return reply.choices[0].message.content


@pytest.mark.mockgpt(cassette=True)
class TestLocal:
    def test_answered_by_its_own_stub(self, mockgpt):
        mockgpt.stub(match={"last_user": "hello"}, respond="from the test", expect=1)
        assert ask("hello") == "from the test"

    def test_own_stub_and_upstream(self, mockgpt):
        mockgpt.stub(match={"last_user": "hello"}, respond="from the test", expect=1)
        assert (ask("hello"), ask("stale?")) == ("from the test", "fresh from upstream")

    def test_fails_before_any_request(self, mockgpt):
        raise AssertionError("broken before the first request")
"""


def test_recording_records_only_what_the_upstream_answers(
    downstream: pytest.Pytester, upstream: MockServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The test's own stubs answer first and are not recorded (nor are the upstream's answers
    failures while recording); a test with no upstream request gets an empty cassette, and a
    failed one none. The upstream comes from the ini option this time.
    """
    ini = INI + ("asyncio_default_fixture_loop_scope = function\n" if HAS_PYTEST_ASYNCIO else "")
    downstream.makeini(ini + f"mockgpt_upstream = {upstream.base_url}\n")
    downstream.makepyfile(test_local=LOCAL_TEST)
    monkeypatch.setenv("OPENAI_API_KEY", UPSTREAM_KEY)
    folder = downstream.path / "cassettes" / "test_local"

    recorded = downstream.runpytest("--mockgpt-record=missing")

    recorded.assert_outcomes(passed=2, failed=1)
    assert sorted(p.name for p in folder.iterdir()) == [
        "TestLocal.test_answered_by_its_own_stub.yaml",
        "TestLocal.test_own_stub_and_upstream.yaml",
    ]
    empty = yaml.safe_load((folder / "TestLocal.test_answered_by_its_own_stub.yaml").read_text())
    assert (empty["stubs"], empty["fallback"]) == ([], "error")
    mixed = yaml.safe_load((folder / "TestLocal.test_own_stub_and_upstream.yaml").read_text())
    assert [s["match"]["body"]["messages"][0]["content"] for s in mixed["stubs"]] == ["stale?"]
    assert [e.status for e in upstream_requests(upstream)] == [200]

    upstream.stop()
    replayed = downstream.runpytest("-k", "not fails")

    replayed.assert_outcomes(passed=2, deselected=1)


def test_the_default_cassette_path_is_per_module_and_test(tmp_path: Path) -> None:
    test_file = tmp_path / "tests" / "test_app.py"

    assert default_cassette_path(test_file, "test_weather[socket-a/b c]") == (
        tmp_path / "tests" / "cassettes" / "test_app" / "test_weather-socket-a-b-c.yaml"
    )
    assert default_cassette_path(test_file, "TestApp::test_weather") == (
        tmp_path / "tests" / "cassettes" / "test_app" / "TestApp.test_weather.yaml"
    )


@pytest.mark.parametrize(
    ("marker", "message"),
    [
        ("cassette=3", "@pytest.mark.mockgpt: cassette must be True, False or a path, got 3"),
        ("cassette=False, strict=True", None),
    ],
    ids=["not-a-path", "false-is-none"],
)
def test_marker_cassette_argument(
    downstream: pytest.Pytester, marker: str, message: str | None
) -> None:
    downstream.makepyfile(
        f"""
        import pytest

        @pytest.mark.mockgpt({marker})
        def test_it(mockgpt):
            assert mockgpt.cassette is None
        """
    )

    result = downstream.runpytest("--mockgpt-record=all")

    if message is None:
        result.assert_outcomes(passed=1)
    else:
        result.assert_outcomes(errors=1)
        result.stdout.fnmatch_lines([f"E *ConfigError: {message}"])


def test_record_mode_is_checked() -> None:
    with pytest.raises(ConfigError, match="--mockgpt-record must be one of none, missing, all"):
        RecordSettings(mode="sometimes")  # type: ignore[arg-type]


def test_cassette_repr_never_holds_the_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", UPSTREAM_KEY)
    tape = Cassette(tmp_path / "c.yaml", RecordSettings("all", "http://127.0.0.1:9/v1"))
    server = tape.recording_server()

    assert server.config.upstream_api_key == UPSTREAM_KEY
    assert UPSTREAM_KEY not in repr(tape) + repr(tape.settings) + repr(server.config)
    assert repr(tape) == f"<Cassette record {tmp_path / 'c.yaml'}>"
