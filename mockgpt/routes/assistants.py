"""The Assistants API (``/v1/assistants``, ``/v1/threads``, runs and messages)."""

from __future__ import annotations

from starlette.routing import BaseRoute


def routes() -> list[BaseRoute]:
    """The routes of the Assistants API."""
    return []
