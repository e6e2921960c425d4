"""The mockgpt pytest plugin: fixtures, the ``mockgpt`` marker and the ini options.

Registered through the ``pytest11`` entry point and inert unless a test asks for a fixture:
no server is started and nothing is patched before then.

Fixtures:
    mockgpt_server: one real server per session (per xdist worker), on 127.0.0.1 and a free
        port, in a background thread; stopped at the end of the session.
    mockgpt: the test's ``mockgpt.testing.MockGPT`` handle. The server is reset for each
        test; ``OPENAI_BASE_URL`` and ``OPENAI_API_KEY`` point at the mock while it is
        active; at teardown, a request no stub matched or an unused ``expect`` stub fails
        the test (strict mode), and an exception the server raised is re-raised.

Marker: ``@pytest.mark.mockgpt(scenario=None, strict=True, transport="socket")``.

Ini options: ``mockgpt_scenarios`` (scenario files loaded for every test) and
``mockgpt_transport`` (``socket`` or ``asgi``: the default transport).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, cast

import pytest

if TYPE_CHECKING:
    from mockgpt.server import MockServer, Transport
    from mockgpt.testing import MockGPT

MARKER = (
    "mockgpt(scenario=None, strict=True, transport='socket'): configure the mockgpt fixture "
    "for one test: scenario files or built-in names to load, whether unmatched requests and "
    "unused `expect` stubs fail the test, and 'socket' (a real server) or 'asgi' (in process)"
)


def pytest_addoption(parser: pytest.Parser) -> None:
    """Register the ini options."""
    parser.addini(
        "mockgpt_scenarios",
        type="paths",
        default=[],
        help="mockgpt: scenario files (or built-in scenario names) loaded for every test",
    )
    parser.addini(
        "mockgpt_transport",
        default="socket",
        help="mockgpt: how clients reach the mock unless a marker says: socket (default) or asgi",
    )


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``mockgpt`` marker."""
    config.addinivalue_line("markers", MARKER)


@pytest.fixture(scope="session")
def mockgpt_server(pytestconfig: pytest.Config) -> Iterator[MockServer]:
    """One mockgpt server for the session: uvicorn on 127.0.0.1, a free port, a thread.

    It loads the ``mockgpt_scenarios`` ini files. Each xdist worker gets its own.
    """
    from mockgpt.config import ServerConfig
    from mockgpt.server import MockServer
    from mockgpt.testing import resolve_scenario_source

    paths = pytestconfig.getini("mockgpt_scenarios")
    scenarios = [resolve_scenario_source(path) for path in paths]
    server = MockServer(ServerConfig(port=0, log_level="warning"), scenarios=scenarios)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def mockgpt(
    request: pytest.FixtureRequest,
    mockgpt_server: MockServer,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[MockGPT]:
    """The test's mock OpenAI server: stubs, official clients, journal and strict checks.

    Configured by ``@pytest.mark.mockgpt(scenario=..., strict=..., transport=...)`` or by
    indirect parametrization (``parametrize("mockgpt", ["socket", "asgi"], indirect=True)``).
    """
    from mockgpt.testing import MockGPT

    default = cast("Transport", request.config.getini("mockgpt_transport"))
    mock = MockGPT.from_marker(
        mockgpt_server,
        request.node.iter_markers("mockgpt"),
        param=getattr(request, "param", None),
        transport=default,
        monkeypatch=monkeypatch,
        search_dirs=[request.path.parent, request.config.rootpath],
    )
    mock.start()
    try:
        yield mock
        __tracebackhide__ = True
        mock.verify()
    finally:
        mock.close()
