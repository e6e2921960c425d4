"""The mockgpt pytest plugin: fixtures, the ``mockgpt`` marker and the ini options.

Registered through the ``pytest11`` entry point and inert unless a test asks for a fixture:
no server is started and nothing is patched before then.

Fixtures:
    mockgpt_server: one real server per session (per xdist worker), on 127.0.0.1 and a free
        port, in a background thread; stopped at the end of the session.
    mockgpt: the test's ``mockgpt.testing.MockGPT`` handle. The server is reset for each
        test; ``OPENAI_BASE_URL`` and ``OPENAI_API_KEY`` point at the mock while it is
        active, and the leak guard (``mockgpt.testing.guard``) sends requests meant for the
        real OpenAI API to the mock or stops them; at teardown, a stopped request
        (``RealAPIRequest``), a request no stub matched or an unused ``expect`` stub fails
        the test (strict mode), and an exception the server raised is re-raised.

Marker: ``@pytest.mark.mockgpt(scenario=None, strict=True, transport="socket",
cassette=False, real_api=False)``; ``cassette=True`` (or a path) replays or records the
test's cassette (``mockgpt.cassette``); ``real_api=True`` turns the leak guard off.

Ini options: ``mockgpt_scenarios`` (scenario files loaded for every test),
``mockgpt_transport`` (``socket`` or ``asgi``: the default transport) and
``mockgpt_upstream`` (where cassettes are recorded from).

``mockgpt_remote``: the test's ``mockgpt.testing.remote.RemoteMock`` on the mock at
``--mockgpt-url URL`` (or ``MOCKGPT_URL``), shared by every test and xdist worker: each test
sends its own test id, so its stubs, sequences and journal are its own; reset at teardown.

Command-line options: ``--mockgpt-url URL`` (for ``mockgpt_remote``),
``--mockgpt-record=none|missing|all`` (replay cassettes only, record
the missing ones, record all again), ``--mockgpt-upstream URL`` (wins over the ini option)
and ``--mockgpt-upstream-api-key-env VAR`` (``OPENAI_API_KEY`` by default).
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from typing import TYPE_CHECKING, cast

import pytest

if TYPE_CHECKING:
    from mockgpt.cassette import RecordMode, RecordSettings
    from mockgpt.server import MockServer, Transport
    from mockgpt.testing import MockGPT
    from mockgpt.testing.remote import RemoteMock

MARKER = (
    "mockgpt(scenario=None, strict=True, fallback=None, transport='socket', cassette=False, "
    "seed=None, real_api=False): configure the mockgpt fixture for one test: scenario files, "
    "built-in names or dicts to load, whether unmatched requests and unused `expect` stubs "
    "fail the test, 'echo' or 'lorem' to let that fallback answer unmatched requests, "
    "'socket' (a real server) or 'asgi' (in process), True or a path to replay or record "
    "(--mockgpt-record) a cassette, an integer to make ids and timestamps reproducible, and "
    "True to let requests meant for the real OpenAI API go out (no leak guard)"
)

_passed = pytest.StashKey[bool]()
"""Whether the test's call phase passed, for the mockgpt fixture's teardown."""


def pytest_addoption(parser: pytest.Parser) -> None:
    """Register the ini and command-line options."""
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
    parser.addini(
        "mockgpt_upstream",
        default="",
        help="mockgpt: the OpenAI-compatible /v1 base URL cassettes are recorded from",
    )
    group = parser.getgroup("mockgpt")
    group.addoption(
        "--mockgpt-record",
        choices=("none", "missing", "all"),
        default="none",
        help="mockgpt cassettes (@pytest.mark.mockgpt(cassette=True)): none (default): replay "
        "only; missing: record those missing through the upstream; all: record all again",
    )
    group.addoption(
        "--mockgpt-upstream",
        metavar="URL",
        default=None,
        help="mockgpt: the OpenAI-compatible /v1 base URL cassettes are recorded from "
        "(default: the mockgpt_upstream ini option)",
    )
    group.addoption(
        "--mockgpt-url",
        metavar="URL",
        default=None,
        help="mockgpt: a running mock (mockgpt serve, replicas with --state) that the "
        "mockgpt_remote fixture uses; each test sends its own test id (X-Mockgpt-Test)",
    )
    group.addoption(
        "--mockgpt-upstream-api-key-env",
        metavar="VAR",
        default="OPENAI_API_KEY",
        help="mockgpt: the environment variable holding the upstream's API key, read when a "
        "test starts recording and only ever sent upstream (default: OPENAI_API_KEY)",
    )


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``mockgpt`` marker."""
    config.addinivalue_line("markers", MARKER)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Note whether the test passed: a recording test that did writes its cassette."""
    report = yield
    if report.when == "call":
        item.stash[_passed] = report.passed
    return report


def _record_settings(config: pytest.Config) -> RecordSettings:
    from mockgpt.cassette import RecordSettings

    upstream = config.getoption("mockgpt_upstream") or config.getini("mockgpt_upstream")
    return RecordSettings(
        mode=cast("RecordMode", config.getoption("mockgpt_record")),
        upstream=upstream or None,
        upstream_api_key_env=config.getoption("mockgpt_upstream_api_key_env"),
    )


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

    Configured by ``@pytest.mark.mockgpt(scenario=..., strict=..., transport=...,
    cassette=..., real_api=...)`` or by indirect parametrization (``parametrize("mockgpt",
    ["socket", "asgi"], indirect=True)``). A test that records its cassette has a server of
    its own (``mockgpt.server``), not ``mockgpt_server``. Unless ``real_api=True``, the leak
    guard is on while the test runs.
    """
    from mockgpt.testing import MockGPT
    from mockgpt.testing.guard import Guard, real_api_requested

    default = cast("Transport", request.config.getini("mockgpt_transport"))
    node_id = request.node.nodeid
    markers = list(request.node.iter_markers("mockgpt"))
    param = getattr(request, "param", None)
    record = _record_settings(request.config)
    mock = MockGPT.from_marker(
        mockgpt_server,
        markers,
        param=param,
        transport=default,
        monkeypatch=monkeypatch,
        search_dirs=[request.path.parent, request.config.rootpath],
        record=record,
        test_file=request.path,
        test_name=node_id.split("::", 1)[1] if "::" in node_id else request.node.name,
    )
    # read the environment's base URLs before start() points OPENAI_BASE_URL at the mock
    guard = None if real_api_requested(markers, param) else Guard(upstream=record.upstream)
    mock.start()
    if guard is not None:
        guard.install(mock)
    verified = False
    try:
        yield mock
        __tracebackhide__ = True
        if guard is not None:
            guard.verify()
        mock.verify()
        verified = True
    finally:
        if guard is not None:
            guard.uninstall()
        mock.close()
        if mock.cassette is not None and verified and request.node.stash.get(_passed, False):
            mock.cassette.save()


@pytest.fixture
def mockgpt_remote(request: pytest.FixtureRequest) -> Iterator[RemoteMock]:
    """The test's view of the mock at ``--mockgpt-url`` (or ``MOCKGPT_URL``), by test id.

    Fails the test when neither gives a URL.
    """
    import os

    from mockgpt.testing.remote import RemoteMock, remote_test_id

    url = request.config.getoption("mockgpt_url") or os.environ.get("MOCKGPT_URL")
    if not url:
        pytest.fail("mockgpt_remote needs the mock's URL: --mockgpt-url URL or MOCKGPT_URL")
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    remote = RemoteMock(url, remote_test_id(request.node.nodeid, worker))
    remote.reset()
    try:
        yield remote
    finally:
        remote.close()
