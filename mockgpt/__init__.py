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

__version__ = "0.1.0"

__all__ = [
    "ConfigError",
    "Engine",
    "Journal",
    "JournalEntry",
    "MockgptError",
    "RequestRejected",
    "ScenarioError",
    "ServerConfig",
    "ServerStartError",
    "__version__",
    "create_app",
]
