"""The leak guard: requests meant for the real OpenAI API reach the mock or fail the test.

The fixture points ``OPENAI_BASE_URL`` at the mock, but a client built before it did (a
module-level ``client = OpenAI()``, imported when pytest collected the tests) keeps the URL
it read then. So while a ``mockgpt`` fixture is active, every request sent to a guarded URL
(``mockgpt.testing.guard_rule``):

- ``https://api.openai.com/v1``, and any ``https://*.openai.azure.com`` (``AzureOpenAI``);
- the base URLs the environment named when the test started (``OPENAI_BASE_URL``,
  ``OPENAI_API_BASE``, and ``AZURE_OPENAI_ENDPOINT`` with Azure's paths), and the cassette
  upstream (``--mockgpt-upstream``);

is sent to the mock instead when the mock serves its path, and stopped otherwise:

- *Sent to the mock*: the path below the base URL goes under the mock's ``/v1``
  (``/v1/chat/completions`` stays itself; Azure's
  ``/openai/deployments/{d}/chat/completions`` becomes ``/v1/chat/completions``, without the
  ``api-version`` query). ``Host`` names the mock, the credentials become the mock's key (a
  real key never reaches the mock), and ``x-mockgpt-redirected-from`` holds the URL the
  client meant (without its query). The journal shows the request like any other.
- *Stopped*: an httpx client gets a 421 error envelope that says what happened and how to
  fix it, with ``x-should-retry: false`` (the openai client does not retry it); an aiohttp
  client gets ``aiohttp.ClientConnectionError``. Either way the test fails at teardown with
  ``RealAPIRequest``, even if the application swallowed the error.

What is patched: ``HTTPTransport.handle_request`` and
``AsyncHTTPTransport.handle_async_request`` of httpx2 and httpx (the default transports of
the openai clients, LangChain's ``ChatOpenAI`` and LiteLLM's sync calls), and
``aiohttp.ClientSession._request`` (LiteLLM's async calls go through aiohttp). Over the
socket, a redirected request goes to the mock's socket. In process (``transport="asgi"``),
an httpx request is served in process and an aiohttp one goes to the same app over its
socket. Clients on other libraries (requests, urllib3) and httpx clients with a transport of
their own (``httpx.MockTransport``) are not guarded; nor is anything sent after the test (the
Agents SDK exports traces on a timer: turn tracing off in tests). respx mocks httpcore, below
the guard: a test that mocks a guarded URL with respx turns the guard off.

Requests that mockgpt itself sends (``mockgpt.inprocess.SERVING``: the proxy backend, a
cassette recorded from the real API) go out as they are.
``@pytest.mark.mockgpt(real_api=True)`` turns the guard off for a test.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
from collections.abc import Callable, Iterable, Mapping
from types import ModuleType
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from mockgpt.config import IN_PROCESS_HOST
from mockgpt.errors import ConfigError
from mockgpt.inprocess import SERVING, _libraries
from mockgpt.testing.guard_rule import FIX, Redirect, Rule, StoppedRequest, guarded_bases

if TYPE_CHECKING:
    from mockgpt.testing.handle import MockGPT

logger = logging.getLogger(__name__)

REDIRECTED_HEADER = "x-mockgpt-redirected-from"
"""Request header of a redirected request: the URL the client meant, without its query."""

STOPPED_STATUS = 421
"""Status of the answer to a stopped request (Misdirected Request); not retried."""

_DROPPED_HEADERS = ("authorization", "api-key", "host")


class RealAPIRequest(AssertionError):
    """Requests meant for the real OpenAI API that mockgpt could not answer in its place.

    Raised at the teardown of the ``mockgpt`` fixture; the message lists each stopped
    request (method, URL, client library, sync or async) and how to fix it.
    """

    __module__ = "mockgpt.testing"  # where users import it; failures show this name


def real_api_requested(markers: Iterable[Any], param: Any = None) -> bool:
    """Whether the test turned the guard off: ``real_api=True`` on its closest marker.

    Args:
        markers: the test's ``mockgpt`` markers, closest first (``node.iter_markers``).
        param: the fixture's indirect parameter; a dict of marker arguments wins.

    Raises:
        ConfigError: ``real_api`` is not True or False.
    """
    __tracebackhide__ = True  # a wrong value is the user's to fix, not a bug here
    value: Any = False
    for marker in reversed(list(markers)):
        value = marker.kwargs.get("real_api", value)
    if isinstance(param, Mapping):
        value = param.get("real_api", value)
    if not isinstance(value, bool):
        raise ConfigError(f"@pytest.mark.mockgpt: real_api must be True or False, got {value!r}")
    return value


class Guard:
    """Sends requests meant for the real OpenAI API to one test's mock, or stops them.

    ``install`` patches the HTTP libraries, ``uninstall`` restores them, ``verify`` fails on
    the requests stopped in between.

    Args:
        environ: read now, before the fixture points ``OPENAI_BASE_URL`` at the mock, for
            the base URLs the test configured.
        upstream: the cassette upstream's base URL, if one is configured.
    """

    def __init__(
        self, environ: Mapping[str, str] = os.environ, upstream: str | None = None
    ) -> None:
        self.bases = guarded_bases(environ, upstream)
        """The guarded base URLs (``install`` leaves out the mock's own)."""
        self.stopped: list[StoppedRequest] = []
        """The requests stopped so far, in order."""
        self._mock: MockGPT | None = None
        self._rule = Rule([], self._served)
        self._undo: list[tuple[type[Any], str, Any]] = []
        self._own_transports: dict[str, Any] = {}

    # -- life cycle ------------------------------------------------------------------------

    def install(self, mock: MockGPT) -> None:
        """Patch httpx2, httpx and aiohttp (those installed) to guard requests for ``mock``.

        Call it after ``mock.start()``: in process, redirected requests go on to the
        transports that ``start`` patched. A base URL that is the mock's own is not guarded.
        """
        self._mock = mock
        own = {(mock.server.config.host, mock.server.port), (IN_PROCESS_HOST, 80)}
        self.bases = [b for b in self.bases if b.whole_host or (b.host, b.port) not in own]
        self._rule = Rule(self.bases, self._served)
        for lib in _libraries():
            self._patch(lib.HTTPTransport, "handle_request", self._sync_handler(lib))
            self._patch(lib.AsyncHTTPTransport, "handle_async_request", self._async_handler(lib))
        try:
            aiohttp = importlib.import_module("aiohttp")
        except ImportError:
            return
        self._patch(aiohttp.ClientSession, "_request", self._aiohttp_handler(aiohttp))

    def uninstall(self) -> None:
        """Undo the patches (the last first) and close the guard's own connections."""
        while self._undo:
            target, name, value = self._undo.pop()
            setattr(target, name, value)
        for key, transport in self._own_transports.items():
            if key.endswith(".sync"):
                transport.close()
        self._own_transports.clear()

    def verify(self) -> None:
        """Fail if a request was stopped.

        Raises:
            RealAPIRequest: listing each stopped request and how to fix it.
        """
        __tracebackhide__ = True
        if not self.stopped:
            return
        many = len(self.stopped) > 1
        lines = [
            f"mockgpt stopped {len(self.stopped)} request{'s' if many else ''} meant for the "
            f"real OpenAI API: the mock does not serve {'their paths' if many else 'its path'}.",
            *(f"  {stopped.line()}" for stopped in self.stopped),
            FIX,
        ]
        raise RealAPIRequest("\n".join(lines))

    def _patch(self, target: type[Any], name: str, value: Callable[..., Any]) -> None:
        self._undo.append((target, name, target.__dict__[name]))
        setattr(target, name, value)

    # -- routing ---------------------------------------------------------------------------

    def route(self, method: str, url: Any, client: str) -> Redirect | StoppedRequest | None:
        """What to do with one request (``guard_rule.Rule.route``); notes a stopped one.

        Args:
            method: HTTP method.
            url: the request's URL: an httpx or yarl ``URL`` (``.host``), or a string.
            client: which client sends it, e.g. ``httpx2 sync client``.

        Returns:
            None for a request the guard leaves alone, and for every request mockgpt
            itself sends (``SERVING``).
        """
        host = url.host if hasattr(url, "host") else urlsplit(str(url)).hostname
        if not self._rule.watches((host or "").lower()) or SERVING.get():
            return None
        outcome = self._rule.route(method.upper(), str(url), client)
        if isinstance(outcome, StoppedRequest):
            self.stopped.append(outcome)
            logger.warning("mockgpt stopped %s", outcome.line())
        return outcome

    def _served(self, method: str, path: str) -> bool:
        assert self._mock is not None
        methods, _ = self._mock.server.app.routes.find(path)
        return methods is not None and method in methods

    def _origin(self, in_process: bool) -> str:
        """The mock's origin: ``http://mockgpt.test`` in process, else its socket."""
        assert self._mock is not None
        if in_process and self._mock.transport == "asgi":
            return f"http://{IN_PROCESS_HOST}"
        return self._mock.server.url

    def _headers(self, headers: Iterable[tuple[str, str]], origin: str, meant: str) -> Any:
        """The redirected request's headers: the mock's host and key, and where it was going."""
        assert self._mock is not None
        return [
            ("host", origin.partition("://")[2]),
            *((k, v) for k, v in headers if k.lower() not in _DROPPED_HEADERS),
            ("authorization", f"Bearer {self._mock.api_key}"),
            (REDIRECTED_HEADER, meant),
        ]

    # -- httpx2 and httpx ------------------------------------------------------------------

    def _redirected(self, lib: ModuleType, request: Any, redirect: Redirect) -> Any:
        origin = self._origin(in_process=True)
        return lib.Request(
            request.method,
            redirect.target(origin),
            headers=self._headers(request.headers.multi_items(), origin, redirect.meant),
            stream=request.stream,
            extensions=request.extensions,
        )

    @staticmethod
    def _stopped_response(lib: ModuleType, request: Any, stopped: StoppedRequest) -> Any:
        error = {"message": stopped.message(), "type": "invalid_request_error"}
        body = {"error": {**error, "param": None, "code": "real_api_request"}}
        return lib.Response(
            STOPPED_STATUS,
            headers={"content-type": "application/json", "x-should-retry": "false"},
            content=json.dumps(body).encode(),
            request=request,
        )

    def _transport(self, lib: ModuleType, kind: str, transport: Any) -> Any:
        """The transport a redirected request goes through.

        In process, the client's own (``start``'s patch serves ``mockgpt.test``). Over the
        socket, the guard's own: no proxy, and (async) no idle connection, so a client
        built at import time and used on many tests' event loops never reuses a dead one.
        """
        assert self._mock is not None
        if self._mock.transport == "asgi":
            return transport
        key = f"{lib.__name__}.{kind}"
        own = self._own_transports.get(key)
        if own is None:
            if kind == "sync":
                own = lib.HTTPTransport(verify=False)
            else:
                limits = lib.Limits(max_keepalive_connections=0)
                own = lib.AsyncHTTPTransport(verify=False, limits=limits)
            self._own_transports[key] = own
        return own

    def _sync_handler(self, lib: ModuleType) -> Callable[..., Any]:
        original = lib.HTTPTransport.handle_request
        client = f"{lib.__name__} sync client"

        def handle_request(transport: Any, request: Any) -> Any:
            outcome = self.route(request.method, request.url, client)
            if outcome is None:
                return original(transport, request)
            if isinstance(outcome, StoppedRequest):
                return self._stopped_response(lib, request, outcome)
            redirected = self._redirected(lib, request, outcome)
            return original(self._transport(lib, "sync", transport), redirected)

        return handle_request

    def _async_handler(self, lib: ModuleType) -> Callable[..., Any]:
        original = lib.AsyncHTTPTransport.handle_async_request
        client = f"{lib.__name__} async client"

        async def handle_async_request(transport: Any, request: Any) -> Any:
            outcome = self.route(request.method, request.url, client)
            if outcome is None:
                return await original(transport, request)
            if isinstance(outcome, StoppedRequest):
                return self._stopped_response(lib, request, outcome)
            redirected = self._redirected(lib, request, outcome)
            return await original(self._transport(lib, "async", transport), redirected)

        return handle_async_request

    # -- aiohttp ---------------------------------------------------------------------------

    def _aiohttp_handler(self, aiohttp: ModuleType) -> Callable[..., Any]:
        original = aiohttp.ClientSession._request

        async def _request(session: Any, method: str, str_or_url: Any, **options: Any) -> Any:
            url = session._build_url(str_or_url)
            outcome = self.route(method, url, "aiohttp async client")
            if outcome is None:
                return await original(session, method, str_or_url, **options)
            if isinstance(outcome, StoppedRequest):
                raise aiohttp.ClientConnectionError(outcome.message())
            origin = self._origin(in_process=False)  # aiohttp cannot be served in process
            headers = options.pop("headers", None) or {}
            items = headers.items() if hasattr(headers, "items") else headers
            options["headers"] = self._headers(items, origin, outcome.meant)
            options.pop("proxy", None)  # straight to the mock
            return await original(session, method, outcome.target(origin), **options)

        return _request
