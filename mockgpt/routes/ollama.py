"""Ollama's native API (``/api/chat``, ``/api/generate``, ``/api/tags``, ...)."""

from __future__ import annotations

from starlette.routing import BaseRoute


def routes() -> list[BaseRoute]:
    """The routes of Ollama's native API."""
    return []
