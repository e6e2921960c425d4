"""Official ``openai`` clients bound to a test's mock: the half of ``MockGPT`` that makes them.

``_Clients`` is inherited by ``MockGPT`` (``mockgpt.testing.handle``), which sets up what it
reads (``server``, ``transport``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import openai

    from mockgpt.server import MockServer, Transport

API_KEY = "sk-mockgpt-test"
"""The API key the clients and ``OPENAI_API_KEY`` carry (the mock accepts any)."""


class _Clients:
    """Making clients bound to the mock: the methods ``MockGPT`` inherits from here."""

    server: MockServer
    transport: Transport

    @property
    def base_url(self) -> str:
        """The ``/v1`` base URL clients use: the socket's, or ``http://mockgpt.test/v1``."""
        return self.server.base_url_for(self.transport)

    @property
    def api_key(self) -> str:
        """The API key the clients and ``OPENAI_API_KEY`` carry."""
        return API_KEY

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
