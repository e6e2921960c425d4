"""mockgpt: a mock OpenAI-compatible server, a pytest plugin and a conformance suite.

The public names load lazily (PEP 562): ``import mockgpt`` imports none of the server,
Starlette, uvicorn, httpx or pydantic until one of them is used, so the ``pytest11`` entry
point ``mockgpt.pytest_plugin`` costs a test run that never asks for a mockgpt fixture
almost nothing.
"""

import importlib as _importlib
import typing as _typing

if _typing.TYPE_CHECKING:
    from mockgpt.app import create_app
    from mockgpt.config import ServerConfig
    from mockgpt.engine import Engine
    from mockgpt.errors import (
        ConfigError,
        MockgptError,
        RequestRejected,
        ScenarioError,
        ServerStartError,
    )
    from mockgpt.journal import Journal, JournalEntry
    from mockgpt.server import MockServer
    from mockgpt.testing import MockGPT, RealAPIRequest, UnmatchedRequest, UnusedStub

__version__ = "0.1.0"

__all__ = [
    "ConfigError",
    "Engine",
    "Journal",
    "JournalEntry",
    "MockGPT",
    "MockServer",
    "MockgptError",
    "RealAPIRequest",
    "RequestRejected",
    "ScenarioError",
    "ServerConfig",
    "ServerStartError",
    "UnmatchedRequest",
    "UnusedStub",
    "__version__",
    "create_app",
]

_SOURCES = {
    "ConfigError": "mockgpt.errors",
    "Engine": "mockgpt.engine",
    "Journal": "mockgpt.journal",
    "JournalEntry": "mockgpt.journal",
    "MockGPT": "mockgpt.testing",
    "MockServer": "mockgpt.server",
    "MockgptError": "mockgpt.errors",
    "RealAPIRequest": "mockgpt.testing",
    "RequestRejected": "mockgpt.errors",
    "ScenarioError": "mockgpt.errors",
    "ServerConfig": "mockgpt.config",
    "ServerStartError": "mockgpt.errors",
    "UnmatchedRequest": "mockgpt.testing",
    "UnusedStub": "mockgpt.testing",
    "create_app": "mockgpt.app",
}
"""Each lazily loaded public name -> the module it is imported from."""


def __getattr__(name: str) -> object:
    """Import public name ``name`` from its module on first use, then keep it here."""
    source = _SOURCES.get(name)
    if source is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(_importlib.import_module(source), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
