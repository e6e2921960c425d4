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

It works without pytest too: ``with MockGPT(MockServer().start()) as mock: ...`` then
``mock.verify()``.

With a cassette (``mockgpt.cassette``), a test replays what a real upstream once answered,
or records it: ``@pytest.mark.mockgpt(cassette=True)`` and ``--mockgpt-record``.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from mockgpt.cassette import Cassette, RecordSettings, default_cassette_path
from mockgpt.errors import ConfigError, ScenarioError
from mockgpt.journal import JournalEntry
from mockgpt.scenarios import BUILTIN_DIR, Scenario, Stub, load_scenario
from mockgpt.scenarios.matchers import MatchInput, match_stub, text_of
from mockgpt.scenarios.registry import LoadedStub
from mockgpt.server import TRANSPORTS, MockServer, Transport

if TYPE_CHECKING:
    import openai
    import pytest

logger = logging.getLogger(__name__)

API_KEY = "sk-mockgpt-test"
"""The API key the clients and ``OPENAI_API_KEY`` carry (the mock accepts any)."""

MARKER_ARGS = ("scenario", "strict", "transport", "cassette")
"""Keyword arguments of ``@pytest.mark.mockgpt``."""

IDLE_WAIT_S = 2.0
"""How long the start and end of a test wait for socket requests still in flight, seconds."""

INLINE = "inline"
"""Scenario name of stubs added in Python; their ids are ``inline.stubs[<n>]``."""

_PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")
_NO_PROXY_HOSTS = ("127.0.0.1", "localhost", "mockgpt.test")
_SHOWN_STUBS = 5
_SHOWN_MESSAGES = 8
_ENDPOINTS = {
    "/chat/completions": "chat.completions",
    "/completions": "completions",
    "/embeddings": "embeddings",
    "/responses": "responses",
}


class UnmatchedRequest(AssertionError):
    """A request that no stub matched was answered by the fallback (strict mode).

    The message shows each such request, the stub that came closest and why every stub
    missed.
    """


class UnusedStub(AssertionError):
    """A stub marked ``expect`` was not used, or not the expected number of times.

    The message names each such stub and why each request missed it.
    """


# -- the journal, as a test reads it -------------------------------------------------------


def _short(value: Any, limit: int = 80) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return repr(text) if isinstance(value, str) else text


class Call:
    """One request to the mock and its response, from the journal.

    Attributes:
        entry: the raw ``JournalEntry`` (bytes in and out, timings, flags).
        index: 1-based position in the test's journal.
    """

    def __init__(self, entry: JournalEntry, index: int) -> None:
        self.entry = entry
        self.index = index

    def __repr__(self) -> str:
        return f"<Call {self.index}: {self.method} {self.path} -> {self.status}>"

    @property
    def method(self) -> str:
        """HTTP method, e.g. ``POST``."""
        return self.entry.method

    @property
    def path(self) -> str:
        """URL path, e.g. ``/v1/chat/completions``."""
        return self.entry.path

    @property
    def endpoint(self) -> str | None:
        """API family, e.g. ``chat.completions``; None for other paths."""
        path = self.path.removeprefix("/v1")
        return _ENDPOINTS.get(path)

    @property
    def headers(self) -> dict[str, str]:
        """Request headers, lower-case names (``authorization`` is masked)."""
        return self.entry.headers

    @property
    def stub(self) -> str | None:
        """Id of the stub that answered; None when the fallback did."""
        return self.entry.stub

    @property
    def misses(self) -> dict[str, str]:
        """Stub id -> why it did not match, for each stub tried before an answer was chosen."""
        return self.entry.misses

    @property
    def status(self) -> int:
        """Response status (0 if the response never started)."""
        return self.entry.status

    @property
    def stream(self) -> bool:
        """Whether the response was an SSE stream."""
        return self.entry.stream

    @cached_property
    def body(self) -> dict[str, Any]:
        """The request body as JSON (``{}`` when it is not a JSON object)."""
        try:
            value = json.loads(self.entry.body)
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}

    @property
    def model(self) -> str | None:
        """The requested ``model``."""
        model = self.body.get("model")
        return model if isinstance(model, str) else None

    @property
    def messages(self) -> list[dict[str, Any]]:
        """The request's chat ``messages`` (a legacy ``prompt`` becomes one user message)."""
        messages = self.body.get("messages")
        if isinstance(messages, list):
            return [m for m in messages if isinstance(m, dict)]
        prompt = self.body.get("prompt")
        if isinstance(prompt, str):
            return [{"role": "user", "content": prompt}]
        return []

    @property
    def last_user(self) -> str | None:
        """Text of the last user message, or None."""
        for message in reversed(self.messages):
            if message.get("role") == "user":
                return text_of(message.get("content"))
        return None

    @property
    def tools(self) -> list[str]:
        """Names of the tools the request offered."""
        names = []
        for tool in self.body.get("tools") or ():
            if isinstance(tool, dict):
                function = tool.get("function")
                name = function.get("name") if isinstance(function, dict) else tool.get("name")
                if isinstance(name, str):
                    names.append(name)
        return names

    @property
    def tool_results(self) -> list[dict[str, Any]]:
        """The ``tool`` messages sent, each with the ``name`` of the function it answers.

        Each item: ``{"tool_call_id", "name", "content"}`` (``name`` None when the request
        does not hold the assistant message that made the call).
        """
        names: dict[str, str] = {}
        for message in self.messages:
            for call in message.get("tool_calls") or ():
                if isinstance(call, dict) and isinstance(call.get("function"), dict):
                    names[str(call.get("id"))] = str(call["function"].get("name"))
        return [
            {
                "tool_call_id": m.get("tool_call_id"),
                "name": names.get(str(m.get("tool_call_id"))),
                "content": text_of(m.get("content")),
            }
            for m in self.messages
            if m.get("role") == "tool"
        ]

    @cached_property
    def response(self) -> dict[str, Any] | None:
        """The response body as JSON; None for a stream or a body that is not JSON."""
        if self.stream:
            return None
        try:
            value = json.loads(self.entry.response_body)
        except ValueError:
            return None
        return value if isinstance(value, dict) else None

    @cached_property
    def chunks(self) -> list[dict[str, Any]]:
        """The JSON ``data:`` events of a streamed response (``[DONE]`` left out)."""
        chunks = []
        for event in self.entry.response_body.split(b"\n\n"):
            for line in event.splitlines():
                if line.startswith(b"data:"):
                    data = line[5:].strip()
                    if data and data != b"[DONE]":
                        try:
                            value = json.loads(data)
                        except ValueError:
                            continue
                        if isinstance(value, dict):
                            chunks.append(value)
        return chunks

    @property
    def error(self) -> dict[str, Any] | None:
        """The ``error`` object of an error response, or None."""
        body = self.response
        error = body.get("error") if body is not None else None
        return error if isinstance(error, dict) else None

    @property
    def text(self) -> str | None:
        """The answer's text (first choice): ``message.content``, or the stream's deltas joined."""
        if self.stream:
            parts = []
            for chunk in self.chunks:
                for choice in _first_choices(chunk):
                    delta = choice.get("delta")
                    piece = delta.get("content") if isinstance(delta, dict) else choice.get("text")
                    if isinstance(piece, str):
                        parts.append(piece)
            return "".join(parts) if parts else None
        for choice in _first_choices(self.response or {}):
            message = choice.get("message")
            content = message.get("content") if isinstance(message, dict) else choice.get("text")
            return content if isinstance(content, str) else None
        return None

    @property
    def tool_calls(self) -> list[dict[str, Any]]:
        """The answer's tool calls (first choice): ``{"id", "name", "arguments"}`` each.

        ``arguments`` is the JSON string as sent; for a stream, the fragments joined.
        """
        calls: dict[int, dict[str, Any]] = {}
        if self.stream:
            for chunk in self.chunks:
                for choice in _first_choices(chunk):
                    delta = choice.get("delta")
                    for part in (
                        delta.get("tool_calls") if isinstance(delta, dict) else None
                    ) or ():
                        call = calls.setdefault(
                            int(part.get("index") or 0), {"id": None, "name": "", "arguments": ""}
                        )
                        call["id"] = part.get("id") or call["id"]
                        function = part.get("function") or {}
                        call["name"] += function.get("name") or ""
                        arguments = function.get("arguments") or ""
                        call["arguments"] += (
                            arguments if isinstance(arguments, str) else json.dumps(arguments)
                        )
            return [calls[i] for i in sorted(calls)]
        for choice in _first_choices(self.response or {}):
            message = choice.get("message")
            for call in (message.get("tool_calls") if isinstance(message, dict) else None) or ():
                function = call.get("function") or {}
                calls[len(calls)] = {
                    "id": call.get("id"),
                    "name": function.get("name"),
                    "arguments": function.get("arguments"),
                }
        return list(calls.values())

    @property
    def unmatched(self) -> bool:
        """Whether no stub matched although stubs were loaded (the fallback answered)."""
        if self.stub is not None:
            return False
        error = self.error
        return bool(self.misses) or (error is not None and error.get("code") == "no_stub_matched")

    def summary(self) -> str:
        """One line: ``1. POST /v1/chat/completions -> 200 by weather, last user: 'hi'``."""
        by = f"by {self.stub}" if self.stub else "by the fallback"
        line = f"{self.index}. {self.method} {self.path} -> {self.status} {by}"
        if self.last_user is not None:
            line += f", last user: {_short(self.last_user, 60)}"
        return line

    def describe(self, indent: str = "  ") -> str:
        """What was sent: model, messages (the last few), tools, as indented lines."""
        lines = []
        if self.model is not None:
            lines.append(f"model: {self.model}")
        messages = self.messages
        if messages:
            lines.append("messages:")
            if len(messages) > _SHOWN_MESSAGES:
                lines.append(f"  ... {len(messages) - _SHOWN_MESSAGES} earlier messages")
            lines.extend(f"  {_message_line(m)}" for m in messages[-_SHOWN_MESSAGES:])
        elif self.body:
            lines.append(f"body: {_short(self.body, 200)}")
        if self.tools:
            lines.append(f"tools: {', '.join(self.tools)}")
        return "\n".join(indent + line for line in lines)


def _first_choices(body: Mapping[str, Any]) -> list[dict[str, Any]]:
    choices = body.get("choices")
    if not isinstance(choices, list):
        return []
    return [c for c in choices if isinstance(c, dict) and (c.get("index") or 0) == 0]


def _message_line(message: Mapping[str, Any]) -> str:
    role = str(message.get("role"))
    content = message.get("content")
    text = _short(text_of(content)) if content is not None else ""
    if role == "tool":
        return f"tool ({message.get('tool_call_id')}): {text}"
    calls = [
        f"{c['function'].get('name')}({c['function'].get('arguments')})"
        for c in message.get("tool_calls") or ()
        if isinstance(c, dict) and isinstance(c.get("function"), dict)
    ]
    if calls:
        return f"{role}: {text + ' ' if text else ''}tool_calls: {', '.join(calls)}"
    return f"{role}: {text}"


# -- stubs ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class StubRef:
    """A stub added with ``MockGPT.stub``: its id, and how often it has answered so far."""

    id: str
    mock: MockGPT

    @property
    def calls(self) -> int:
        """How many requests this stub has answered in this test."""
        return self.mock.stub_calls(self.id)


def _field_path(loc: Sequence[int | str]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif "[" in part or "-" in part:
            continue  # pydantic's own labels: union members, validators
        else:
            out = f"{out}.{part}" if out else part
    return out


def _inline_stub(data: Mapping[str, Any], stub_id: str) -> Stub:
    try:
        stub = Stub.model_validate({**data, "id": data.get("id") or stub_id})
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        message = str(error["msg"]).removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "unknown field (see `mockgpt schema` for the format)"
        raise ScenarioError(f"<{INLINE}>", None, _field_path(error["loc"]), message) from None
    return stub


def _expectation(expect: bool | int) -> str:
    if expect is True:
        return "expected at least 1 call"
    return f"expected exactly {expect} call{'s' if expect != 1 else ''}"


def _expectation_met(loaded: LoadedStub) -> bool:
    expect = loaded.stub.expect
    if expect is None or expect is False:
        return True
    if expect is True:
        return loaded.calls >= 1
    return loaded.calls == expect


# -- scenarios -----------------------------------------------------------------------------

ScenarioSource = str | os.PathLike[str] | Scenario
"""A scenario file path, a built-in scenario name, or a ``Scenario``."""

_scenario_cache: dict[tuple[str, int, int], Scenario] = {}


def resolve_scenario_source(source: ScenarioSource, search_dirs: Sequence[Path] = ()) -> Scenario:
    """Load a scenario given by path, built-in name or model; files are parsed once.

    A relative path is looked up in ``search_dirs`` (the test file's folder, then the
    rootdir, for the plugin), then the current directory; then the built-in scenarios.

    Raises:
        ScenarioError: not found, or invalid (naming file, line and field).
    """
    if isinstance(source, Scenario):
        return source
    path = Path(source)
    candidates = [] if path.is_absolute() else [d / path for d in search_dirs]
    candidates.append(path)
    if path.name and not path.suffix:
        candidates.append(BUILTIN_DIR / f"{path.name}.yaml")
    for candidate in candidates:
        try:
            stat = candidate.stat()
        except OSError:
            continue
        key = (str(candidate.resolve()), stat.st_mtime_ns, stat.st_size)
        scenario = _scenario_cache.get(key)
        if scenario is None:
            scenario = _scenario_cache[key] = load_scenario(candidate)
        return scenario
    return load_scenario(path)  # raises a ScenarioError naming the built-ins


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, (str, os.PathLike, Scenario)):
        return [value]
    return list(value)


def _cassette_path(option: Any, test_file: Path | None, test_name: str | None) -> Path | None:
    if option is None or option is False:
        return None
    if option is True:
        if test_file is None or test_name is None:
            raise ConfigError(
                "@pytest.mark.mockgpt(cassette=True) needs the test's file and name "
                "(the mockgpt fixture passes them); give a path instead"
            )
        return default_cassette_path(test_file, test_name)
    if isinstance(option, (str, os.PathLike)):
        path = Path(option)
        if not path.is_absolute() and test_file is not None:
            path = test_file.parent / path
        return path
    raise ConfigError(
        f"@pytest.mark.mockgpt: cassette must be True, False or a path, got {option!r}"
    )


def _checked_options(options: Mapping[str, Any], source: str) -> dict[str, Any]:
    unknown = sorted(set(options) - set(MARKER_ARGS))
    if unknown:
        raise ConfigError(
            f"{source}: unknown argument {', '.join(map(repr, unknown))}; "
            f"it takes {', '.join(MARKER_ARGS)}"
        )
    return dict(options)


# -- the handle ----------------------------------------------------------------------------


class MockGPT:
    """One test's view of a mock OpenAI server: stubs, clients, journal, strict checks.

    Args:
        server: the server to use; it is shared between tests, and each ``start`` resets it.
        transport: ``socket`` (requests over TCP to ``server``) or ``asgi`` (served in
            process, with no socket; streams arrive in one piece, see ``mockgpt.server``).
        strict: at ``verify``, fail on requests no stub matched and on unused ``expect``
            stubs.
        scenarios: scenarios loaded for this test, tried before the server's own, in order.
        monkeypatch: where environment changes go (the fixture's ``monkeypatch``); a private
            one, undone by ``close``, when None.
        search_dirs: where relative scenario paths are looked up first.
        cassette: replayed after the other scenarios, or, when it records, the test gets a
            server of its own between ``start`` and ``close`` whose fallback is the upstream
            (``server`` then names it) and requests the upstream answers are not failures.

    Raises:
        ConfigError: ``transport`` is not ``socket`` or ``asgi``.
        ScenarioError: a scenario is missing or invalid.
    """

    def __init__(
        self,
        server: MockServer,
        *,
        transport: Transport = "socket",
        strict: bool = True,
        scenarios: Iterable[ScenarioSource] = (),
        monkeypatch: pytest.MonkeyPatch | None = None,
        search_dirs: Sequence[Path] = (),
        cassette: Cassette | None = None,
    ) -> None:
        if transport not in TRANSPORTS:
            raise ConfigError(
                f"mockgpt transport must be one of {', '.join(TRANSPORTS)}, got {transport!r}"
            )
        self.server = server
        self.transport: Transport = transport
        self.strict = strict
        """Whether ``verify`` fails on unmatched requests and unused ``expect`` stubs."""
        self.search_dirs = list(search_dirs)
        self._scenarios = [resolve_scenario_source(s, self.search_dirs) for s in scenarios]
        self.cassette = cassette
        """The test's cassette, or None."""
        self._replayed = [cassette.scenario()] if cassette and not cassette.recording else []
        self._shared_server = server
        self._monkeypatch = monkeypatch
        self._own_monkeypatch: pytest.MonkeyPatch | None = None
        self._inline_count = 0

    @classmethod
    def from_marker(
        cls,
        server: MockServer,
        markers: Iterable[Any] = (),
        *,
        param: Any = None,
        transport: Transport = "socket",
        monkeypatch: pytest.MonkeyPatch | None = None,
        search_dirs: Sequence[Path] = (),
        record: RecordSettings | None = None,
        test_file: Path | None = None,
        test_name: str | None = None,
    ) -> MockGPT:
        """A handle set up from ``@pytest.mark.mockgpt`` markers.

        Args:
            server: the session's server.
            markers: the test's ``mockgpt`` markers, closest first (``node.iter_markers``);
                a closer marker's arguments win. A positional argument is the scenario.
                ``cassette=True`` names the test's default cassette, a path another (a
                relative one is relative to ``test_file``'s folder), False none.
            param: an indirect parametrization of the fixture: a transport name, or a dict
                of marker arguments; it wins over the markers.
            transport: the transport when no marker names one (the ini option's).
            monkeypatch: as for ``MockGPT``.
            search_dirs: as for ``MockGPT``.
            record: the session's record mode and upstream, for a test with a cassette.
            test_file: the test's module, where cassettes are looked up.
            test_name: the test's name in its module, which names its default cassette.

        Raises:
            ConfigError: an unknown marker argument or transport, or a cassette that cannot
                be replayed (missing, with mode ``none``) or recorded (no upstream).
            ScenarioError: a scenario or a cassette is missing or invalid.
        """
        options: dict[str, Any] = {}
        for marker in reversed(list(markers)):
            args = _checked_options(marker.kwargs, "@pytest.mark.mockgpt")
            if marker.args:
                if len(marker.args) > 1 or "scenario" in args:
                    raise ConfigError(
                        "@pytest.mark.mockgpt takes one positional argument, the scenario"
                    )
                args["scenario"] = marker.args[0]
            options.update(args)
        if isinstance(param, str):
            options["transport"] = param
        elif isinstance(param, Mapping):
            options.update(_checked_options(param, "the mockgpt fixture's parameter"))
        elif param is not None:
            raise ConfigError(
                f"the mockgpt fixture's parameter must be a transport name or a dict of "
                f"marker arguments, got {param!r}"
            )
        strict = options.get("strict", True)
        if not isinstance(strict, bool):
            raise ConfigError(f"@pytest.mark.mockgpt: strict must be True or False, got {strict!r}")
        path = _cassette_path(options.get("cassette"), test_file, test_name)
        __tracebackhide__ = True  # a missing cassette is the user's to fix, not a bug here
        return cls(
            server,
            transport=options.get("transport", transport),
            strict=strict,
            scenarios=_as_list(options.get("scenario")),
            monkeypatch=monkeypatch,
            search_dirs=search_dirs,
            cassette=Cassette(path, record or RecordSettings()) if path is not None else None,
        )

    # -- life cycle ------------------------------------------------------------------------

    def start(self) -> MockGPT:
        """Reset the server, load this test's scenarios, point ``OPENAI_*`` at the mock.

        Sets ``OPENAI_BASE_URL`` and ``OPENAI_API_KEY``; adds the mock's hosts to
        ``NO_PROXY`` when a proxy is configured; in ``asgi`` mode, reroutes the default
        transports of httpx2 / httpx so that clients the application builds itself are
        served in process. A cassette that records starts the test's own server first
        (reading the upstream's key from the environment before ``OPENAI_API_KEY`` is set).

        Raises:
            ServerStartError: the recording server did not start.
        """
        if self.cassette is not None and self.cassette.recording:
            if self.server is self._shared_server:
                shared = self._shared_server.scenarios
                self.server = self.cassette.recording_server(shared).start()
        else:
            self.server.wait_idle(IDLE_WAIT_S)  # a late request must not land in this test
        self.server.engine.reset()
        self.server.engine.registry.replace_base(
            [*self._scenarios, *self.server.scenarios, *self._replayed]
        )
        patch = self._patcher()
        patch.setenv("OPENAI_BASE_URL", self.base_url)
        patch.setenv("OPENAI_API_KEY", API_KEY)
        if any(os.environ.get(name) for name in _PROXY_VARS):
            for name in ("NO_PROXY", "no_proxy"):
                hosts = [h for h in os.environ.get(name, "").split(",") if h]
                patch.setenv(name, ",".join([*hosts, *_NO_PROXY_HOSTS]))
        if self.transport == "asgi":
            for target, name, value in self.server.interceptions():
                patch.setattr(target, name, value)
        return self

    def close(self) -> None:
        """Undo a private monkeypatch and reset the server to its own scenarios.

        A recording test's own server is stopped (the exchanges it recorded are written).
        """
        if self._own_monkeypatch is not None:
            self._own_monkeypatch.undo()
            self._own_monkeypatch = None
        if self.server is not self._shared_server:
            self.server.stop()
            self.server = self._shared_server
            return
        self.server.engine.reset()
        self.server.engine.registry.replace_base(self.server.scenarios)

    def reset(self) -> None:
        """Forget this test's stubs, calls and journal so far; keep its scenarios."""
        self.server.wait_idle(IDLE_WAIT_S)
        self.server.engine.reset()
        self._inline_count = 0

    def __enter__(self) -> MockGPT:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _patcher(self) -> pytest.MonkeyPatch:
        if self._monkeypatch is not None:
            return self._monkeypatch
        if self._own_monkeypatch is None:
            import pytest

            self._own_monkeypatch = pytest.MonkeyPatch()
        return self._own_monkeypatch

    # -- what the test sees ----------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """The ``/v1`` base URL clients use: the socket's, or ``http://mockgpt.test/v1``."""
        return self.server.base_url_for(self.transport)

    @property
    def api_key(self) -> str:
        """The API key the clients and ``OPENAI_API_KEY`` carry."""
        return API_KEY

    @property
    def scenario(self) -> Scenario | None:
        """The scenario the marker named (the first, if several), or None."""
        return self._scenarios[0] if self._scenarios else None

    @property
    def scenarios(self) -> list[Scenario]:
        """Every scenario loaded, in match order (stubs added in Python first)."""
        return self.server.engine.registry.scenarios

    def stubs(self) -> list[LoadedStub]:
        """Every stub in match order, with its id and its call count in this test."""
        return self.server.engine.registry.stubs()

    def stub_calls(self, stub: str | StubRef) -> int:
        """How many requests the stub answered in this test.

        Raises:
            KeyError: no stub has that id.
        """
        stub_id = stub.id if isinstance(stub, StubRef) else stub
        for loaded in self.stubs():
            if loaded.id == stub_id:
                return loaded.calls
        known = ", ".join(s.id for s in self.stubs()) or "none"
        raise KeyError(f"no stub {stub_id!r} is loaded (stubs: {known})")

    # -- adding stubs ----------------------------------------------------------------------

    def stub(
        self,
        stub: Stub | Mapping[str, Any] | None = None,
        /,
        *,
        match: Any = None,
        respond: Any = None,
        sequence: Any = None,
        fault: Any = None,
        expect: bool | int | None = None,
        id: str | None = None,
        **fields: Any,
    ) -> StubRef:
        """Add a stub for the rest of this test.

        Stubs and scenarios added during the test are tried in the order they were added,
        before the marker's scenarios, which come before the ini option's. The arguments
        are the scenario format's stub fields, as dicts or as the models of
        ``mockgpt.scenarios`` (``Match``, ``Respond``, ``Fault``); ``respond`` may be a
        string, the answer's content.

        Args:
            stub: a whole stub, as a ``Stub`` or a dict (the keyword arguments add to it).
            match: when the stub answers, e.g. ``{"last_user": {"contains": "weather"}}``.
            respond: the answer, e.g. ``{"tool_calls": [{"name": "f", "arguments": {}}]}``.
            sequence: successive answers for successive matching requests.
            fault: what goes wrong, e.g. ``{"drop_after_chunks": 3}``.
            expect: ``True``: must be used at least once; a number: exactly that often.
            id: the stub's id in the journal and in failures; ``inline.stubs[<n>]`` if None.
            **fields: other stub fields (``pacing``, ``on_exhausted``, ``quirks``).

        Returns:
            The stub's reference: ``.id`` and ``.calls``.

        Raises:
            ScenarioError: the stub is invalid (``path`` is ``<inline>``) or its id is taken.
        """
        data: dict[str, Any] = {}
        if isinstance(stub, Stub):
            data = {k: getattr(stub, k) for k in stub.model_fields_set}
        elif stub is not None:
            data = dict(stub)
        given = {
            "match": match,
            "respond": {"content": respond} if isinstance(respond, str) else respond,
            "sequence": sequence,
            "fault": fault,
            "expect": expect,
            "id": id,
            **fields,
        }
        data.update({k: v for k, v in given.items() if v is not None})
        model = _inline_stub(data, f"{INLINE}.stubs[{self._inline_count}]")
        assert model.id is not None
        if any(s.id == model.id for s in self.stubs()):
            raise ScenarioError(
                f"<{INLINE}>", None, "id", f"a stub with id {model.id!r} is already loaded"
            )
        self._inline_count += 1
        self.server.engine.registry.add(Scenario(name=INLINE, stubs=[model]))
        return StubRef(model.id, self)

    def load(self, scenario: ScenarioSource) -> Scenario:
        """Load a scenario for the rest of this test, tried as ``stub`` says.

        Args:
            scenario: a file path (relative ones are looked up as for the marker), a
                built-in scenario name, or a ``Scenario``.

        Raises:
            ScenarioError: not found, or invalid (naming file, line and field).
        """
        loaded = resolve_scenario_source(scenario, self.search_dirs)
        self.server.engine.registry.add(loaded)
        return loaded

    # -- clients ---------------------------------------------------------------------------

    def client(self, **options: Any) -> openai.OpenAI:
        """An ``openai.OpenAI`` bound to the mock (over its transport).

        It shares the session's HTTP connection pool, so it costs microseconds to make;
        closing it is allowed and leaves the pool open.

        Args:
            **options: more ``OpenAI(...)`` arguments (``max_retries``, ``timeout``, ...).
        """
        import openai

        settings: dict[str, Any] = {
            "base_url": self.base_url,
            "api_key": API_KEY,
            "http_client": self.server.http_client(self.transport),
        }
        settings.update(options)
        return openai.OpenAI(**settings)

    def async_client(self, **options: Any) -> openai.AsyncOpenAI:
        """An ``openai.AsyncOpenAI`` bound to the mock, for the test's event loop.

        Over the socket it keeps no idle connection, so there is nothing to close; in
        process it runs the app on the event loop that awaits it.

        Args:
            **options: more ``AsyncOpenAI(...)`` arguments.
        """
        import openai

        settings: dict[str, Any] = {
            "base_url": self.base_url,
            "api_key": API_KEY,
            "http_client": self.server.async_http_client(self.transport),
        }
        settings.update(options)
        return openai.AsyncOpenAI(**settings)

    # -- the journal -----------------------------------------------------------------------

    @property
    def journal(self) -> list[Call]:
        """Every request of this test so far, oldest first.

        Over the socket, a response the client has read in full is journalled a moment
        later; this waits for that moment (not for streams still under way).
        """
        self.server.wait_journalled()
        return [Call(e, i) for i, e in enumerate(self.server.engine.journal.entries(), 1)]

    @property
    def calls(self) -> list[Call]:
        """The requests to the API endpoints (chat, completions, embeddings, responses)."""
        return [c for c in self.journal if c.endpoint is not None]

    @property
    def call_count(self) -> int:
        """How many API requests this test made."""
        return len(self.calls)

    @property
    def last_request(self) -> Call:
        """The last API request.

        Raises:
            AssertionError: no request reached the mock.
        """
        calls = self.calls
        if not calls:
            raise AssertionError(f"no request reached mockgpt at {self.base_url}")
        return calls[-1]

    @property
    def last_messages(self) -> list[dict[str, Any]]:
        """The ``messages`` of the last API request.

        Raises:
            AssertionError: no request reached the mock.
        """
        return self.last_request.messages

    def assert_called(self, times: int | None = None, *, endpoint: str | None = None) -> list[Call]:
        """Assert how many API requests were made.

        Args:
            times: exactly this many; at least one when None.
            endpoint: count only this API family, e.g. ``chat.completions``.

        Returns:
            The requests counted.

        Raises:
            AssertionError: another count; the message lists the requests made.
        """
        __tracebackhide__ = True
        calls = [c for c in self.calls if endpoint is None or c.endpoint == endpoint]
        if (times is None and calls) or len(calls) == times:
            return calls
        what = f"{endpoint} requests" if endpoint else "requests"
        expected = "at least 1" if times is None else str(times)
        raise AssertionError(
            f"expected {expected} {what} to mockgpt, got {len(calls)}" + self._listing(self.journal)
        )

    def assert_tool_result(
        self,
        name: str | None = None,
        *,
        content: str | None = None,
        tool_call_id: str | None = None,
    ) -> dict[str, Any]:
        """Assert that a request sent back a tool result (a ``tool`` message).

        Args:
            name: the function whose call it answers.
            content: text the result must contain.
            tool_call_id: the call it answers.

        Returns:
            The latest such result: ``{"tool_call_id", "name", "content"}``.

        Raises:
            AssertionError: no request holds such a result; the message shows the last
                request's messages.
        """
        __tracebackhide__ = True
        for call in reversed(self.calls):
            for result in call.tool_results[::-1]:
                if name is not None and result["name"] != name:
                    continue
                if content is not None and content not in result["content"]:
                    continue
                if tool_call_id is not None and result["tool_call_id"] != tool_call_id:
                    continue
                return result
        wanted = [
            f"{key}={value!r}"
            for key, value in (("name", name), ("content", content), ("tool_call_id", tool_call_id))
            if value is not None
        ]
        message = "no request sent back a tool result" + (
            f" with {', '.join(wanted)}" if wanted else ""
        )
        calls = self.calls
        if not calls:
            raise AssertionError(f"{message}: no request reached mockgpt")
        last = calls[-1]
        raise AssertionError(
            f"{message}; the last request ({last.index} of {len(calls)}) sent:\n" + last.describe()
        )

    def assert_stub_used(self, stub: str | StubRef, times: int | None = None) -> None:
        """Assert that a stub answered requests.

        Args:
            stub: its id, or the reference ``stub()`` returned.
            times: exactly this many requests; at least one when None.

        Raises:
            AssertionError: another count; the message says why each request missed it.
            KeyError: no stub has that id.
        """
        __tracebackhide__ = True
        stub_id = stub.id if isinstance(stub, StubRef) else stub
        calls = self.stub_calls(stub_id)
        if (times is None and calls) or calls == times:
            return
        expected = "at least 1 call" if times is None else f"{times} call{'s' * (times != 1)}"
        lines = [
            f"stub {stub_id} answered {calls} request{'s' * (calls != 1)}, expected {expected}"
        ]
        lines.extend(self._why_missed(stub_id, self.journal))
        raise AssertionError("\n".join(lines))

    # -- strict checks ---------------------------------------------------------------------

    def verify(self) -> None:
        """Fail on what went wrong during the test (the fixture calls it at teardown).

        Raises:
            Exception: the first exception the server raised while serving this test (a bug
                in mockgpt), re-raised as it was.
            UnmatchedRequest: strict, and a request no stub matched was answered by the
                fallback while stubs were loaded (not while recording a cassette, when the
                upstream answers them).
            UnusedStub: strict, and a stub marked ``expect`` was not used as expected.
        """
        __tracebackhide__ = True
        if not self.server.wait_idle(IDLE_WAIT_S):
            logger.warning("mockgpt: requests still in flight after %s s at verify", IDLE_WAIT_S)
        errors = list(self.server.engine.errors)
        self.server.engine.errors.clear()
        if errors:
            first = errors[0]
            if len(errors) > 1 and hasattr(first, "add_note"):
                first.add_note(f"mockgpt raised {len(errors) - 1} more: {errors[1:]!r}")
            raise first
        if not self.strict:
            return
        calls = self.journal
        recording = self.cassette is not None and self.cassette.recording
        unmatched = [] if recording else [c for c in calls if c.unmatched]
        unused = [s for s in self.stubs() if not _expectation_met(s)]
        if unmatched:
            raise UnmatchedRequest(self._unmatched_message(unmatched, calls, unused))
        if unused:
            raise UnusedStub(self._unused_message(unused, calls))

    def _match_input(self, call: Call) -> MatchInput:
        return MatchInput(call.endpoint or "", call.body, call.headers)

    def _unmatched_message(
        self, unmatched: list[Call], calls: list[Call], unused: list[LoadedStub]
    ) -> str:
        count = len(unmatched)
        lines = [
            f"{count} request{'s' * (count != 1)} matched no stub; "
            f"the fallback answered {'them' if count != 1 else 'it'}."
        ]
        stubs = {s.id: s for s in self.stubs()}
        for call in unmatched:
            lines += [
                "",
                f"request {call.index} of {len(calls)}: {call.method} {call.path} -> {call.status}",
                call.describe(),
            ]
            ranked = []
            for position, stub_id in enumerate(call.misses or stubs):
                loaded = stubs.get(stub_id)
                result = match_stub(loaded.stub.match, self._match_input(call)) if loaded else None
                reason = call.misses.get(stub_id) or (result.reason if result else "")
                closeness = result.closeness if result else 0.0
                held = f"{result.held} of {result.total}" if result else "?"
                ranked.append((-closeness, position, stub_id, reason, held))
            ranked.sort()
            if ranked:
                _, _, stub_id, reason, held = ranked[0]
                lines += [f"  closest stub: {stub_id} ({held} conditions held)", f"    {reason}"]
                others = sorted(ranked[1:], key=lambda r: r[1])
                if others:
                    lines.append("  other stubs:")
                    lines += [f"    {r[2]}: {r[3]}" for r in others[:_SHOWN_STUBS]]
                    if len(others) > _SHOWN_STUBS:
                        lines.append(f"    ... and {len(others) - _SHOWN_STUBS} more")
        if unused:
            lines += ["", "Also: " + self._unused_message(unused, calls, listing=False)]
        lines += [
            "",
            "Add a stub that matches, or fix the closest one; to let the fallback answer, "
            "use @pytest.mark.mockgpt(strict=False).",
        ]
        if self.cassette is not None:
            lines.append(
                f"The cassette {self.cassette.path} does not hold this request; to record "
                "it again, run pytest --mockgpt-record=all."
            )
        return "\n".join(lines)

    def _unused_message(
        self, unused: list[LoadedStub], calls: list[Call], *, listing: bool = True
    ) -> str:
        count = len(unused)
        lines = [
            f"{count} stub{'s' * (count != 1)} marked `expect` {'was' if count == 1 else 'were'} "
            "not used as expected:"
        ]
        for loaded in unused:
            expect = loaded.stub.expect
            assert expect is not None
            lines.append(f"  {loaded.id}: {_expectation(expect)}, got {loaded.calls}")
            lines.extend("  " + line for line in self._why_missed(loaded.id, calls))
        text = "\n".join(lines)
        return text + self._listing(calls) if listing else text

    def _why_missed(self, stub_id: str, calls: list[Call]) -> list[str]:
        loaded = next((s for s in self.stubs() if s.id == stub_id), None)
        lines = []
        for call in calls:
            if call.stub == stub_id or call.endpoint is None:
                continue
            reason = call.misses.get(stub_id)
            if reason is None and loaded is not None:
                result = match_stub(loaded.stub.match, self._match_input(call))
                reason = (
                    f"it matches, but {call.stub} came first"
                    if result.matched and call.stub
                    else result.reason or "it matches"
                )
            lines.append(f"  request {call.index}: {reason or 'not tried'}")
        return lines

    def _listing(self, calls: list[Call]) -> str:
        if not calls:
            return "\n\nno request reached mockgpt."
        lines = [f"requests received ({len(calls)}):", *("  " + c.summary() for c in calls)]
        return "\n\n" + "\n".join(lines)
