"""Backends: where answers come from. Each yields canonical events (``mockgpt.events``)."""

from mockgpt.backends.base import Backend
from mockgpt.backends.echo import EchoBackend

__all__ = ["Backend", "EchoBackend"]
