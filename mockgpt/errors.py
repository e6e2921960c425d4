"""Exceptions raised by mockgpt.

::

    MockgptError                     raised to code that uses mockgpt
      ScenarioError                  .path .line .field .message
      ConfigError                    a bad CLI / ini / env setting, naming its source
      ServerStartError               the server was not listening within start_timeout_s
    RequestRejected(status, message, *, type, param=None, code=None)
                                     raised while handling an HTTP request; rendered by
                                     ``mockgpt.app`` as the OpenAI error envelope
"""

from __future__ import annotations

from collections.abc import Mapping

from mockgpt.types import JSONObject


class MockgptError(Exception):
    """Base class of the errors mockgpt raises to the code that uses it."""


class ScenarioError(MockgptError):
    """A scenario file is invalid.

    Attributes:
        path: the file, or ``"<inline>"`` for stubs given in Python.
        line: 1-based line of the offending value, or None when unknown.
        field: dotted path of the field, e.g. ``stubs[2].match.regex``.
        message: what is wrong.
    """

    def __init__(self, path: str, line: int | None, field: str, message: str) -> None:
        self.path = path
        self.line = line
        self.field = field
        self.message = message
        where = f"{path}:{line}" if line is not None else path
        super().__init__(f"{where}: {field}: {message}" if field else f"{where}: {message}")


class ConfigError(MockgptError):
    """A bad setting; the message names where it came from (flag, env var, ini)."""


class ServerStartError(MockgptError):
    """The server did not start listening in time, or could not bind its port."""


class RequestRejected(Exception):
    """An HTTP request that gets an OpenAI error envelope instead of an answer.

    The app renders it as ``{"error": {"message", "type", "param", "code"}}`` with ``status``
    (spec: ``components.schemas.ErrorResponse``).

    Args:
        status: HTTP status, 4xx for client errors.
        message: human-readable reason.
        type: ``error.type``, e.g. ``invalid_request_error``.
        param: the request field at fault, e.g. ``messages[0].role``.
        code: machine-readable ``error.code``, e.g. ``invalid_api_key``.
        headers: extra response headers (``retry-after`` and the like).
    """

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        param: str | None = None,
        code: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code
        self.headers = dict(headers or {})
        self.quirks: frozenset[str] = frozenset()
        """Quirks of the stub that answered with this error (applied to its envelope)."""

    def envelope(self) -> JSONObject:
        """The error body: ``{"error": {"message", "type", "param", "code"}}``."""
        return {
            "error": {
                "message": self.message,
                "type": self.type,
                "param": self.param,
                "code": self.code,
            }
        }
