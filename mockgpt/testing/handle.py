"""``MockGPT``: one test's handle on a shared ``MockServer``.

It resets the server, loads the test's scenarios and stubs and points ``OPENAI_*`` at the
mock. What a test reads and asserts (the journal, ``assert_*``, ``verify``) it inherits from
``mockgpt.testing.assertions``, the clients it makes from ``mockgpt.testing.clients``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from mockgpt.cassette import Cassette, RecordSettings
from mockgpt.engine import first_seed
from mockgpt.errors import ConfigError, ScenarioError
from mockgpt.scenarios import Scenario, Stub
from mockgpt.scenarios.registry import LoadedStub
from mockgpt.scenarios.schema import Defaults
from mockgpt.server import TRANSPORTS, MockServer, Transport
from mockgpt.testing.assertions import IDLE_WAIT_S, AllowedFallback, _Assertions
from mockgpt.testing.calls import StubRef
from mockgpt.testing.clients import API_KEY, _Clients
from mockgpt.testing.sources import (
    INLINE,
    ScenarioSource,
    _as_list,
    _cassette_path,
    _checked_options,
    _inline_stub,
    resolve_scenario_source,
)

if TYPE_CHECKING:
    import pytest

FALLBACKS = (None, "echo", "lorem")
"""``MockGPT``'s ``fallback`` values: None (no request may go unmatched), ``echo``, ``lorem``."""

_PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")
_NO_PROXY_HOSTS = ("127.0.0.1", "localhost", "mockgpt.test")


class MockGPT(_Assertions, _Clients):
    """One test's view of a mock OpenAI server: stubs, clients, journal, strict checks.

    Args:
        server: the server to use; it is shared between tests, and each ``start`` resets it.
        transport: ``socket`` (requests over TCP to ``server``) or ``asgi`` (served in
            process, with no socket; streams arrive in one piece, see ``mockgpt.inprocess``).
        strict: at ``verify``, fail on requests no stub matched (stubs loaded or not, every
            family) and on unused ``expect`` stubs.
        fallback: ``echo`` or ``lorem``: requests no stub matched get that answer (over the
            scenarios' ``fallback``), and are not failures; None: the scenarios' fallback
            answers them (echo unless one says otherwise), and in strict mode each fails.
        scenarios: scenarios loaded for this test, tried before the server's own, in order.
        monkeypatch: where environment changes go (the fixture's ``monkeypatch``); a private
            one, undone by ``close``, when None.
        search_dirs: where relative scenario paths are looked up first.
        cassette: replayed after the other scenarios, or, when it records, the test gets a
            server of its own between ``start`` and ``close`` whose fallback is the upstream
            (``server`` then names it) and requests the upstream answers are not failures.
        seed: makes this test's ids and timestamps reproducible (``mockgpt.ids``); None:
            the first ``seed`` of its scenarios, else the server's.

    Raises:
        ConfigError: ``transport`` is not ``socket`` or ``asgi``, or ``fallback`` is not
            None, ``echo`` or ``lorem``.
        ScenarioError: a scenario is missing or invalid.
    """

    def __init__(
        self,
        server: MockServer,
        *,
        transport: Transport = "socket",
        strict: bool = True,
        fallback: AllowedFallback | None = None,
        scenarios: Iterable[ScenarioSource] = (),
        monkeypatch: pytest.MonkeyPatch | None = None,
        search_dirs: Sequence[Path] = (),
        cassette: Cassette | None = None,
        seed: int | None = None,
    ) -> None:
        if transport not in TRANSPORTS:
            raise ConfigError(
                f"mockgpt transport must be one of {', '.join(TRANSPORTS)}, got {transport!r}"
            )
        self.server = server
        self.transport: Transport = transport
        if fallback not in FALLBACKS:
            raise ConfigError(
                f"mockgpt fallback must be one of {', '.join(map(repr, FALLBACKS))}, "
                f"got {fallback!r}"
            )
        self.strict = strict
        self.seed = seed
        """The seed of this test's ids and timestamps (see ``mockgpt.ids``), or None."""
        """Whether ``verify`` fails on unmatched requests and unused ``expect`` stubs."""
        self.fallback = fallback
        """What answers requests no stub matched, as the test allows; None: nothing may."""
        self._fallback_scenario: Scenario | None = None
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
        fallback = options.get("fallback")
        if fallback not in FALLBACKS:
            raise ConfigError(
                f"@pytest.mark.mockgpt: fallback must be 'echo' or 'lorem', got {fallback!r}"
            )
        seed = options.get("seed")
        if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool)):
            raise ConfigError(f"@pytest.mark.mockgpt: seed must be an integer, got {seed!r}")
        path = _cassette_path(options.get("cassette"), test_file, test_name)
        __tracebackhide__ = True  # a missing cassette is the user's to fix, not a bug here
        return cls(
            server,
            transport=options.get("transport", transport),
            strict=strict,
            fallback=fallback,
            scenarios=_as_list(options.get("scenario")),
            monkeypatch=monkeypatch,
            search_dirs=search_dirs,
            cassette=Cassette(path, record or RecordSettings()) if path is not None else None,
            seed=seed,
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
        base = [*self._scenarios, *self.server.scenarios, *self._replayed]
        if self.fallback is not None:  # first, so its fallback wins; with the next's defaults
            defaults = base[0].defaults if base else Defaults()
            self._fallback_scenario = Scenario(
                name="fallback", fallback=self.fallback, defaults=defaults
            )
            base.insert(0, self._fallback_scenario)
        self.server.engine.registry.replace_base(base)
        self.server.engine.seed_ids(self.seed if self.seed is not None else first_seed(base))
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
        self.server.engine.seed_ids(None)

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
    def scenario(self) -> Scenario | None:
        """The scenario the marker named (the first, if several), or None."""
        return self._scenarios[0] if self._scenarios else None

    @property
    def scenarios(self) -> list[Scenario]:
        """Every scenario loaded, in match order (stubs added in Python first)."""
        loaded = self.server.engine.registry.scenarios
        return [s for s in loaded if s is not self._fallback_scenario]

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
                built-in scenario name, a dict in a scenario file's shape, or a ``Scenario``.

        Raises:
            ScenarioError: not found, or invalid (naming file, line and field).
        """
        loaded = resolve_scenario_source(scenario, self.search_dirs)
        self.server.engine.registry.add(loaded)
        return loaded
