"""mockgpt: a mock OpenAI-compatible server, a pytest plugin and a conformance suite."""

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
from mockgpt.testing import MockGPT, UnmatchedRequest, UnusedStub

__version__ = "0.1.0"

__all__ = [
    "ConfigError",
    "Engine",
    "Journal",
    "JournalEntry",
    "MockGPT",
    "MockServer",
    "MockgptError",
    "RequestRejected",
    "ScenarioError",
    "ServerConfig",
    "ServerStartError",
    "UnmatchedRequest",
    "UnusedStub",
    "__version__",
    "create_app",
]
