"""The leak guard's rule: which URLs are guarded, and which of the mock's paths each maps to.

Pure data, no patching (that is ``mockgpt.testing.guard``). ``guarded_bases`` lists the
guarded base URLs; ``Rule.route`` says, for one request, whether it is none of the guard's
business, goes to the mock (``Redirect``) or is stopped (``StoppedRequest``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import SplitResult, parse_qsl, urlencode, urlsplit

OPENAI_API_HOST = "api.openai.com"
"""The real OpenAI API's host: every URL on it is guarded; ``/v1`` maps onto the mock's."""

AZURE_HOST_SUFFIX = ".openai.azure.com"
"""Hosts ``<resource>.openai.azure.com``: every URL on them is guarded, with Azure's paths."""

BASE_URL_VARIABLES = ("OPENAI_BASE_URL", "OPENAI_API_BASE")
"""Environment variables whose value when the test starts is a guarded base URL."""

AZURE_ENDPOINT_VARIABLE = "AZURE_OPENAI_ENDPOINT"
"""Environment variable whose value when the test starts is a guarded Azure endpoint."""

FIX = (
    "Its client was probably built before the mockgpt fixture set OPENAI_BASE_URL (a "
    "module-level `client = OpenAI()`, say), or was given that URL. Build the client when "
    "the code under test runs, or pass it base_url=mockgpt.base_url. A test that means to "
    "reach the real server says so with @pytest.mark.mockgpt(real_api=True)."
)
"""How to fix a stopped request: the end of every guard message."""

_DEFAULT_PORTS = {"http": 80, "https": 443}

_HINTS = {
    "/v1/traces/ingest": "the OpenAI Agents SDK's trace export: turn tracing off in tests "
    "(OPENAI_AGENTS_DISABLE_TRACING=1, or RunConfig(tracing_disabled=True))",
}
"""Paths the mock does not serve that a library sends on its own, and what to do."""


@dataclass(frozen=True)
class GuardedBase:
    """One guarded base URL, and how its paths map onto the mock's.

    Attributes:
        scheme: ``http`` or ``https``.
        host: the host, lower case; with ``host_suffix``, the suffix hosts end with.
        port: the port (the scheme's default when the URL names none).
        path: the path prefix the client's paths start with, without a trailing ``/``.
        azure: paths are Azure OpenAI's (``/openai/deployments/{d}/...``).
        host_suffix: ``host`` is a suffix (``.openai.azure.com``), not a whole name.
        whole_host: every URL on the host is guarded, whatever its scheme, port and path
            (the real API's hosts); a path outside ``path`` has no equivalent on the mock.
    """

    scheme: str
    host: str
    port: int
    path: str
    azure: bool = False
    host_suffix: bool = False
    whole_host: bool = False

    @classmethod
    def parse(cls, url: str, *, azure: bool = False) -> GuardedBase | None:
        """The guarded base for ``url``; None when it is not an http(s) URL with a host."""
        parts = urlsplit(url.strip())
        if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
            return None
        try:
            port = parts.port or _DEFAULT_PORTS[parts.scheme]
        except ValueError:  # a port that is not a number
            return None
        return cls(parts.scheme, parts.hostname.lower(), port, parts.path.rstrip("/"), azure)

    def covers(self, parts: SplitResult) -> bool:
        """Whether a request URL (split) is guarded by this base."""
        host = (parts.hostname or "").lower()
        if self.host_suffix:
            if not host.endswith(self.host) or len(host) == len(self.host):
                return False
        elif host != self.host:
            return False
        if self.whole_host:
            return True
        if parts.scheme != self.scheme:
            return False
        if (parts.port or _DEFAULT_PORTS.get(parts.scheme)) != self.port:
            return False
        return self._below(parts.path)

    def _below(self, path: str) -> bool:
        return path == self.path or path.startswith(self.path + "/")

    def mock_path(self, path: str) -> str | None:
        """The mock's path for a covered request path; None when there is no equivalent.

        The path below the base goes under ``/v1``. Azure's ``/openai/deployments/{d}/X``,
        ``/openai/v1/X`` and ``/openai/X`` all become ``/v1/X``.
        """
        if not self._below(path):
            return None
        rest = path[len(self.path) :]
        if not self.azure:
            return "/v1" + rest
        if not rest.startswith("/openai/"):
            return None
        head, _, tail = rest.removeprefix("/openai/").partition("/")
        if head == "deployments":
            _, _, operation = tail.partition("/")
            return "/v1/" + operation if operation else None
        if head == "v1":
            return "/v1/" + tail if tail else None
        return "/v1" + rest.removeprefix("/openai")

    def mock_query(self, query: str) -> str:
        """The query sent to the mock: Azure's ``api-version`` is dropped."""
        if not self.azure or not query:
            return query
        kept = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k != "api-version"]
        return urlencode(kept)


def guarded_bases(environ: Mapping[str, str], upstream: str | None = None) -> list[GuardedBase]:
    """The guarded base URLs: the real API's hosts, and the base URLs ``environ`` names.

    Args:
        environ: where ``OPENAI_BASE_URL``, ``OPENAI_API_BASE`` and ``AZURE_OPENAI_ENDPOINT``
            are read; a value that is not an http(s) URL is left out.
        upstream: the cassette upstream's base URL, if one is configured.
    """
    bases = [
        GuardedBase("https", OPENAI_API_HOST, 443, "/v1", whole_host=True),
        GuardedBase(
            "https", AZURE_HOST_SUFFIX, 443, "", azure=True, host_suffix=True, whole_host=True
        ),
    ]
    urls = [(environ.get(name, ""), False) for name in BASE_URL_VARIABLES]
    urls += [(environ.get(AZURE_ENDPOINT_VARIABLE, ""), True), (upstream or "", False)]
    for url, azure in urls:
        base = GuardedBase.parse(url, azure=azure)
        if base is not None and base not in bases:
            bases.append(base)
    return bases


@dataclass(frozen=True)
class StoppedRequest:
    """A guarded request the mock does not serve.

    Attributes:
        method: HTTP method.
        url: the URL the client meant, without its query.
        client: which client sent it, e.g. ``httpx2 sync client``.
        reason: why it could not go to the mock.
    """

    method: str
    url: str
    client: str
    reason: str

    def line(self) -> str:
        """One line for a failure message."""
        return f"{self.method} {self.url} ({self.client}): {self.reason}"

    def message(self) -> str:
        """What the client is told: what happened and how to fix it."""
        return f"mockgpt stopped a request meant for the real OpenAI API: {self.line()}. {FIX}"


@dataclass(frozen=True)
class Redirect:
    """Where a guarded request goes on the mock.

    Attributes:
        path: the mock's path, e.g. ``/v1/chat/completions``.
        query: the query string to send, without ``?``.
        meant: the URL the client meant, without its query.
    """

    path: str
    query: str
    meant: str

    def target(self, origin: str) -> str:
        """The URL on the mock at ``origin`` (``http://host:port``)."""
        return f"{origin}{self.path}?{self.query}" if self.query else f"{origin}{self.path}"


class Rule:
    """Routes requests by the guarded bases; the first base that covers a URL decides.

    Args:
        bases: the guarded base URLs, as ``guarded_bases`` gives them.
        served: ``served(method, path)``: whether the mock answers that request.
    """

    def __init__(self, bases: list[GuardedBase], served: Callable[[str, str], bool]) -> None:
        self.bases = bases
        self.served = served
        self._hosts = frozenset(b.host for b in bases if not b.host_suffix)
        self._suffixes = tuple(b.host for b in bases if b.host_suffix)

    def watches(self, host: str) -> bool:
        """Whether a request to ``host`` (lower case) may be guarded; cheap, for every request."""
        return host in self._hosts or host.endswith(self._suffixes)

    def route(self, method: str, url: str, client: str) -> Redirect | StoppedRequest | None:
        """Redirect the request to the mock, stop it, or (None) leave it alone.

        Args:
            method: HTTP method, upper case.
            url: the request's absolute URL.
            client: which client sends it, for the message (``httpx2 sync client``).
        """
        parts = urlsplit(url)
        for base in self.bases:
            if not base.covers(parts):
                continue
            meant = parts._replace(query="", fragment="").geturl()
            path = base.mock_path(parts.path)
            if path is None:
                reason = "mockgpt has no equivalent of this path"
            elif path.startswith("/v1/") and self.served(method, path):
                return Redirect(path, base.mock_query(parts.query), meant)
            else:
                reason = f"mockgpt serves no {method} {path}"
                if path in _HINTS:
                    reason += f" ({_HINTS[path]})"
            return StoppedRequest(method, meant, client, reason)
        return None
