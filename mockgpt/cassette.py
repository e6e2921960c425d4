"""Cassettes: a test's exchanges with a real upstream, recorded once and replayed offline.

A cassette is a normal scenario file, written by ``mockgpt.recorder.Recorder``: each
request the upstream answered is a stub (its endpoint, model and conversation as ``match``,
the conversation in the request's own fields: ``messages``, ``prompt``, or a Responses
request's ``input`` and ``instructions``; the text, tool calls, finish reason, usage and
chunking as ``respond``), and
``fallback: error``. No header or key is ever written. The ``mockgpt`` fixture uses one
when the marker asks (``@pytest.mark.mockgpt(cassette=True)``), and ``--mockgpt-record``
says whether the test replays it or records it:

- ``none`` (the default): replay; the upstream is never contacted, and a missing cassette
  is an error.
- ``missing``: replay if the file exists, else record it through the upstream.
- ``all``: record afresh through the upstream, rewriting the file.

While a test records, it has a server of its own whose fallback is the upstream (stubs the
test loads still answer first and are not recorded); when it replays, the cassette is
loaded after the test's other scenarios on the session's server, as the upstream was.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from mockgpt.config import ServerConfig
from mockgpt.errors import ConfigError
from mockgpt.recorder import Recorder
from mockgpt.scenarios import Scenario, load_scenario
from mockgpt.server import MockServer

RecordMode = Literal["none", "missing", "all"]
"""``--mockgpt-record``: replay only, record what is missing, or record everything again."""

RECORD_MODES: tuple[RecordMode, ...] = ("none", "missing", "all")

UPSTREAM_API_KEY_ENV = "OPENAI_API_KEY"
"""The environment variable the upstream's key is read from unless another is named."""

CASSETTE_DIR = "cassettes"
"""Default cassettes live in ``<test file's folder>/cassettes/<module stem>/``."""

_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


@dataclass(frozen=True)
class RecordSettings:
    """How this session treats cassettes (the plugin's command-line and ini options).

    Attributes:
        mode: ``none``, ``missing`` or ``all`` (see the module docstring).
        upstream: the OpenAI-compatible ``/v1`` base URL recordings come from.
        upstream_api_key_env: the environment variable holding the upstream's key. It is
            read when a test starts recording, before the fixture points
            ``OPENAI_API_KEY`` at the mock, and only sent upstream.
    """

    mode: RecordMode = "none"
    upstream: str | None = None
    upstream_api_key_env: str = UPSTREAM_API_KEY_ENV

    def __post_init__(self) -> None:
        if self.mode not in RECORD_MODES:
            raise ConfigError(
                f"--mockgpt-record must be one of {', '.join(RECORD_MODES)}, got {self.mode!r}"
            )


def default_cassette_path(test_file: Path, test_name: str) -> Path:
    """A test's cassette unless the marker names one.

    Args:
        test_file: the test's module.
        test_name: the test's name within its module, as in its node id:
            ``test_weather[socket]`` or ``TestApp::test_weather``.

    Returns:
        ``<test file's folder>/cassettes/<module stem>/<name>.yaml``, where ``::`` in the
        name becomes ``.`` and each run of other characters than letters, digits, ``_``,
        ``.`` and ``-`` becomes one ``-`` (``test_weather[a/b]`` -> ``test_weather-a-b``).
    """
    name = _UNSAFE.sub("-", test_name.replace("::", ".")).strip("-.") or "test"
    return test_file.parent / CASSETTE_DIR / test_file.stem / f"{name}.yaml"


class Cassette:
    """One test's cassette: where it is, and whether this run replays or records it.

    Args:
        path: the scenario file.
        settings: the session's record mode and upstream.

    Raises:
        ConfigError: the mode is ``none`` and the file is missing, or the test must record
            and no upstream is configured; the message names the path and what to run.
    """

    def __init__(self, path: Path, settings: RecordSettings) -> None:
        __tracebackhide__ = True  # pytest shows the message, not this frame
        self.path = path
        self.settings = settings
        exists = path.is_file()
        self.recording = settings.mode == "all" or (settings.mode == "missing" and not exists)
        """Whether this run records the cassette (else it replays it)."""
        self._recorder: Recorder | None = None
        if not exists and not self.recording:
            raise ConfigError(
                f"mockgpt: no cassette at {path} (--mockgpt-record=none replays only); "
                "record it with pytest --mockgpt-record=missing --mockgpt-upstream URL"
            )
        if self.recording and not settings.upstream:
            why = "it is missing" if not exists else "--mockgpt-record=all"
            raise ConfigError(
                f"mockgpt: the cassette {path} is to be recorded ({why}), but no upstream is "
                "configured: pass --mockgpt-upstream URL or set the mockgpt_upstream ini option"
            )

    def __repr__(self) -> str:
        action = "record" if self.recording else "replay"
        return f"<Cassette {action} {self.path}>"

    def scenario(self) -> Scenario:
        """The cassette as a scenario, to replay.

        Raises:
            ScenarioError: the file is invalid (naming its line and field).
        """
        return load_scenario(self.path)

    def recording_server(self, scenarios: Iterable[Scenario] = ()) -> MockServer:
        """A server, not started, that answers from the upstream and records to the cassette.

        Args:
            scenarios: the server's own scenarios (the session server's); their stubs answer
                before the upstream, and are not recorded.
        """
        upstream = self.settings.upstream
        assert upstream is not None  # checked at init
        config = ServerConfig(
            port=0,
            log_level="warning",
            upstream=upstream,
            upstream_api_key=os.environ.get(self.settings.upstream_api_key_env) or None,
        )
        server = MockServer(config, scenarios=scenarios)
        # a request sent again is recorded as a sequence, so replay answers in the same order
        self._recorder = Recorder(self.path, upstream=upstream, sequences=True, fresh=True)
        server.engine.recorder = self._recorder
        return server

    def save(self) -> None:
        """Write the cassette now, even with no exchange in it (a test that made none).

        Exchanges are written as each ends; this makes sure a recording test that passed
        without an upstream request leaves a cassette to replay. Does nothing when replaying.
        """
        if self._recorder is not None:
            self._recorder.save()
