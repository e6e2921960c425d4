"""The leak guard: a client built at import time never reaches the real OpenAI API.

Each test runs a downstream project in pytester whose application builds its ``OpenAI``,
``AsyncOpenAI`` and ``AzureOpenAI`` clients when it is imported (at collection, before any
fixture), with a real-looking key and no ``OPENAI_BASE_URL``. The project's conftest
(``downstream/no_network.py``) refuses every name lookup and connection beyond loopback, and
fails a test that tried one: nothing relies on the network being absent.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterator

import openai
import pytest

from mockgpt.config import ServerConfig
from mockgpt.scenarios import Scenario
from mockgpt.server import MockServer, http_library
from tests.plugin.conftest import DOWNSTREAM

REAL_KEY = "sk-real-secret-1234"
REAL_AZURE_KEY = "azure-real-secret-5678"
LIB = http_library().__name__
"""The HTTP library the openai clients send with, as the guard's messages name it."""
OPENAI_MAJOR = int(openai.__version__.split(".")[0])

HEADER = """
import openai
import pytest
from import_time_app import (
    ask, ask_async, ask_azure, ask_azure_async, draw, draw_async, draw_or_describe, stream,
)

both_transports = pytest.mark.parametrize("mockgpt", ["socket", "asgi"], indirect=True)


def no_real_key(call):
    raw = b" ".join(value for _, value in call.entry.raw_headers)
    return b"real-secret" not in raw
"""


@pytest.fixture
def project(downstream: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """The import-time application, real-looking keys, no base URL and no network."""
    (downstream.path / "import_time_app.py").write_text(
        (DOWNSTREAM / "import_time_app.py").read_text()
    )
    downstream.makeconftest((DOWNSTREAM / "no_network.py").read_text())
    for name in ("OPENAI_BASE_URL", "OPENAI_API_BASE", "AZURE_OPENAI_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OPENAI_API_KEY", REAL_KEY)
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", REAL_AZURE_KEY)
    monkeypatch.setenv("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # else its import fetches it
    return downstream


def run(project: pytest.Pytester, tests: str) -> pytest.RunResult:
    project.makepyfile(test_app=HEADER + tests)
    return project.runpytest()


def test_guard_sends_import_time_clients_to_the_mock(project: pytest.Pytester) -> None:
    """Sync, async and streamed calls of clients built at import time, over both transports."""
    result = run(
        project,
        """
@both_transports
def test_sync(mockgpt):
    mockgpt.stub(respond="Hello from the mock.")

    assert ask("hi") == "Hello from the mock."

    (call,) = mockgpt.journal
    assert call.path == "/v1/chat/completions"
    assert call.headers["x-mockgpt-redirected-from"] == (
        "https://api.openai.com/v1/chat/completions"
    )
    expected_host = "mockgpt.test" if mockgpt.transport == "asgi" else "127.0.0.1"
    assert call.headers["host"].partition(":")[0] == expected_host
    assert no_real_key(call)


@both_transports
def test_stream(mockgpt):
    mockgpt.stub(match={"stream": True}, respond="one two three")

    assert stream("count") == "one two three"

    assert mockgpt.last_request.stub == "inline.stubs[0]"


@pytest.mark.anyio
@both_transports
async def test_async(mockgpt):
    mockgpt.stub(respond="Async hello.")

    assert await ask_async("hi") == "Async hello."
    assert await ask_async("again") == "Async hello."

    assert [call.path for call in mockgpt.journal] == ["/v1/chat/completions"] * 2
    assert all(no_real_key(call) for call in mockgpt.journal)
""",
    )

    result.assert_outcomes(passed=6)


def test_guard_maps_azure_paths_to_the_mock(project: pytest.Pytester) -> None:
    """``/openai/deployments/{d}/chat/completions?api-version=...`` -> ``/v1/chat/completions``."""
    result = run(
        project,
        """
@both_transports
def test_azure(mockgpt):
    mockgpt.stub(match={"model": "gpt-4o-mini"}, respond="Hello from Azure's stand-in.")

    assert ask_azure("hi") == "Hello from Azure's stand-in."

    (call,) = mockgpt.journal
    assert call.path == "/v1/chat/completions"
    assert call.headers["x-mockgpt-redirected-from"] == (
        "https://contoso.openai.azure.com/openai/deployments/gpt-4o-mini/chat/completions"
    )
    assert "api-key" not in call.headers
    assert no_real_key(call)


@pytest.mark.anyio
@both_transports
async def test_azure_async(mockgpt):
    mockgpt.stub(respond="Async Azure.")

    assert await ask_azure_async("hi") == "Async Azure."

    assert mockgpt.last_request.path == "/v1/chat/completions"
""",
    )

    result.assert_outcomes(passed=4)


def test_guard_stops_a_path_the_mock_does_not_serve(project: pytest.Pytester) -> None:
    """The client gets a 421 naming the request and the fix; the test fails at teardown."""
    result = run(
        project,
        """
def test_draw(mockgpt):
    with pytest.raises(openai.APIStatusError) as raised:
        draw("a cat")

    assert raised.value.status_code == 421
    assert "mockgpt stopped a request meant for the real OpenAI API" in raised.value.message
    assert mockgpt.journal == []
""",
    )

    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "E   mockgpt.testing.RealAPIRequest: mockgpt stopped 1 request meant for the real "
            "OpenAI API: the mock does not serve its path.",
            f"      POST https://api.openai.com/v1/images/edits ({LIB} sync client): "
            "mockgpt serves no POST /v1/images/edits",
            "    Its client was probably built before the mockgpt fixture set OPENAI_BASE_URL "
            "(a module-level `client = OpenAI()`, say), or was given that URL. Build the client "
            "when the code under test runs, or pass it base_url=mockgpt.base_url. A test that "
            "means to reach the real server says so with @pytest.mark.mockgpt(real_api=True).",
        ]
    )


@pytest.mark.parametrize("transport", ["socket", "asgi"])
def test_guard_fails_a_test_whose_application_swallowed_the_error(
    project: pytest.Pytester, transport: str
) -> None:
    """An application that catches the error and goes on still fails the test (at teardown)."""
    result = run(
        project,
        f"""
@pytest.mark.mockgpt(transport={transport!r})
def test_describe(mockgpt):
    assert draw_or_describe("a cat") == "(a picture of a cat)"


@pytest.mark.anyio
async def test_draw_async(mockgpt):
    with pytest.raises(openai.APIStatusError):
        await draw_async("a dog")
""",
    )

    result.assert_outcomes(passed=2, errors=2)
    result.stdout.fnmatch_lines(
        [
            f"      POST https://api.openai.com/v1/images/edits ({LIB} sync client): *",
            f"      POST https://api.openai.com/v1/images/edits ({LIB} async client): *",
        ]
    )


@pytest.fixture
def real_server() -> Iterator[MockServer]:
    """A stand-in for a real OpenAI-compatible server the environment names."""
    with MockServer(ServerConfig(port=0, log_level="warning")) as server:
        yield server


def test_guard_covers_the_base_url_of_the_environment_and_real_api_opts_out(
    project: pytest.Pytester, real_server: MockServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``OPENAI_BASE_URL`` as the test started is guarded; ``real_api=True`` lets it through."""
    monkeypatch.setenv("OPENAI_BASE_URL", real_server.base_url)
    result = run(
        project,
        f"""
def test_guarded(mockgpt):
    mockgpt.stub(respond="from the mock")

    assert ask("hi") == "from the mock"

    assert mockgpt.journal[0].headers["x-mockgpt-redirected-from"] == (
        "{real_server.base_url}/chat/completions"
    )


@pytest.mark.mockgpt(real_api=True)
def test_real_api(mockgpt):
    from import_time_app import client

    with client:  # its connection to the real server is closed at the end
        assert ask("straight through") == "straight through"  # the real server echoes

    assert mockgpt.journal == []
""",
    )

    result.assert_outcomes(passed=2)
    (entry,) = real_server.engine.journal.entries()
    assert b"straight through" in entry.body


@pytest.mark.parametrize("transport", ["socket", "asgi"])
def test_guard_import_time_client_is_recorded_then_replayed(
    project: pytest.Pytester, real_server: MockServer, transport: str
) -> None:
    """Record mode works with the guard: the import-time client's request goes to the
    recording mock (which alone reaches the upstream), then replays with no upstream."""
    real_server.engine.registry.add(
        Scenario.model_validate({"name": "real", "stubs": [{"respond": {"content": "Real."}}]})
    )
    project.makepyfile(
        test_app=HEADER
        + f"""
@pytest.mark.mockgpt(cassette=True, transport={transport!r})
def test_recorded(mockgpt):
    assert ask("hello") == "Real."
    assert mockgpt.last_request.headers["x-mockgpt-redirected-from"] == (
        "https://api.openai.com/v1/chat/completions"
    )
"""
    )
    upstream = f"--mockgpt-upstream={real_server.base_url}"

    project.runpytest("--mockgpt-record=all", upstream).assert_outcomes(passed=1)
    assert len(real_server.engine.journal.entries()) == 1
    real_server.stop()
    project.runpytest("--mockgpt-record=none", upstream).assert_outcomes(passed=1)


def test_guard_real_api_must_be_true_or_false(project: pytest.Pytester) -> None:
    result = run(
        project,
        """
@pytest.mark.mockgpt(real_api="yes")
def test_it(mockgpt):
    pass
""",
    )

    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "E * mockgpt.errors.ConfigError: @pytest.mark.mockgpt: real_api must be True or "
            "False, got 'yes'"
        ]
    )


# -- frameworks that build their own clients (the ``integrations`` extra) -----------------


@pytest.fixture(scope="session")
def framework(request: pytest.FixtureRequest) -> str:
    """Import the framework ``request.param`` names, or skip without it.

    CI (``CI=true``) installs the ``integrations`` extra, so there a missing one fails. The
    import comes before pytester's snapshot of ``sys.modules`` (this fixture is session
    scoped), so the framework stays imported: LiteLLM, removed, would import itself again
    at exit, with no ``LITELLM_LOCAL_MODEL_COST_MAP``, and fetch its cost map.
    """
    module: str = request.param
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LITELLM_LOCAL_MODEL_COST_MAP", "True")
        if os.environ.get("CI") == "true":
            importlib.import_module(module)
        else:
            pytest.importorskip(module, reason=f"pip install -e '.[integrations]' for {module}")
    return module


def run_app(project: pytest.Pytester, app: str, tests: str, *args: str) -> pytest.RunResult:
    (project.path / f"{app}.py").write_text((DOWNSTREAM / f"{app}.py").read_text())
    header = (
        "import pytest\n"
        f"import {app}\n"
        "both_transports = pytest.mark.parametrize('mockgpt', ['socket', 'asgi'], indirect=True)\n"
    )
    project.makepyfile(test_app=header + tests)
    return project.runpytest(*args)


@pytest.mark.parametrize("framework", ["langchain_openai"], indirect=True)
def test_guard_covers_langchain_chat_openai(framework: str, project: pytest.Pytester) -> None:
    """``ChatOpenAI`` built at import (httpx2 or httpx, as openai uses), sync and async."""
    result = run_app(
        project,
        "langchain_app",
        """
@both_transports
def test_invoke(mockgpt):
    mockgpt.stub(respond="Hello from the mock.")

    assert langchain_app.ask("hi") == "Hello from the mock."

    assert mockgpt.last_request.headers["x-mockgpt-redirected-from"] == (
        "https://api.openai.com/v1/chat/completions"
    )


@pytest.mark.anyio
@both_transports
async def test_ainvoke(mockgpt):
    mockgpt.stub(respond="Async hello.")

    assert await langchain_app.ask_async("hi") == "Async hello."

    assert mockgpt.call_count == 1
""",
    )

    result.assert_outcomes(passed=4)


@pytest.mark.parametrize("framework", ["litellm"], indirect=True)
def test_guard_covers_litellm_sync_httpx_and_async_aiohttp(
    framework: str, project: pytest.Pytester
) -> None:
    """``litellm.completion`` sends with httpx, ``litellm.acompletion`` with aiohttp."""
    ini = project.path / "tox.ini"
    # pydantic warns on TypedDicts of LiteLLM's that use ReadOnly (imported on first call)
    ignore = "ignore:Items? .* the `ReadOnly` qualifier:UserWarning"
    ini.write_text(ini.read_text().replace("= error", f"=\n    error\n    {ignore}"))
    result = run_app(
        project,
        "litellm_app",
        """
import asyncio


@pytest.fixture(autouse=True)
def no_implicit_event_loop():
    # LiteLLM's sync calls log on the thread's event loop and make one, never closed, when
    # there is none; told there is none, they use asyncio.run
    asyncio.set_event_loop(None)


@both_transports
def test_completion(mockgpt):
    mockgpt.stub(respond="Hello from the mock.")

    assert litellm_app.ask("hi") == "Hello from the mock."

    assert mockgpt.last_request.headers["x-mockgpt-redirected-from"] == (
        "https://api.openai.com/v1/chat/completions"
    )


@pytest.mark.anyio
@both_transports
async def test_acompletion(mockgpt):
    mockgpt.stub(respond="Async hello.")

    assert await litellm_app.ask_async("hi") == "Async hello."

    # aiohttp cannot be served in process: it reaches the same mock over its socket
    assert mockgpt.last_request.headers["host"].startswith("127.0.0.1:")
    assert mockgpt.call_count == 1


@pytest.mark.anyio
async def test_image_edit(mockgpt):
    with pytest.raises(litellm_app.litellm.InternalServerError):
        await litellm_app.draw_async("a cat")
""",
    )

    result.assert_outcomes(passed=5, errors=1)
    result.stdout.fnmatch_lines(
        [
            "      POST https://api.openai.com/v1/images/edits (aiohttp async client): "
            "mockgpt serves no POST /v1/images/edits",
        ]
    )


@pytest.mark.skipif(OPENAI_MAJOR < 3, reason="openai-agents needs openai 3")
@pytest.mark.parametrize("framework", ["agents"], indirect=True)
def test_guard_covers_an_agents_sdk_agent(framework: str, project: pytest.Pytester) -> None:
    """An Agents SDK agent whose ``AsyncOpenAI`` was built at import (the Responses API)."""
    result = run_app(
        project,
        "agents_app",
        """
@pytest.mark.anyio
@both_transports
async def test_agent(mockgpt):
    mockgpt.stub(match={"endpoint": "responses"}, respond="Hello from the mock.")

    assert await agents_app.ask("hi") == "Hello from the mock."

    assert mockgpt.last_request.path == "/v1/responses"
    assert mockgpt.last_request.headers["x-mockgpt-redirected-from"] == (
        "https://api.openai.com/v1/responses"
    )
""",
    )

    result.assert_outcomes(passed=2)
