"""The inspector page: ``GET /_mockgpt/`` and its files, ``GET /_mockgpt/static/{file}``.

The page is a few files of ``mockgpt/static/`` (HTML, plain ES modules, CSS) served as they
are: no build step, nothing fetched from elsewhere (a ``Content-Security-Policy`` of ``'self'``
keeps it so), so it works offline. The files hold no data and no secret: everything the page
shows it reads from the admin API (``/_mockgpt/journal``, ``/_mockgpt/stubs``, ...) with the
admin token the user types in, sent as ``Authorization: Bearer``.
"""

from __future__ import annotations

import html
from functools import lru_cache
from importlib import resources

from starlette.requests import Request
from starlette.responses import Response

from mockgpt.config import ServerConfig
from mockgpt.errors import RequestRejected
from mockgpt.routes.common import engine_of

PAGE = "inspector.html"
"""The file served at ``/_mockgpt/``."""
DEFAULT_TEST_HEADER: str = ServerConfig.test_header
"""The test id header the page's file names; the page served names the server's own."""
_TEST_HEADER_META = f'name="mockgpt-test-header" content="{DEFAULT_TEST_HEADER}"'.encode()

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}
"""The static files served, by suffix; any other file of the folder is not served."""

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
"""The page loads and calls nothing but this server, and is never framed by another page."""


async def page(request: Request) -> Response:
    """The inspector page (``text/html``).

    Its ``mockgpt-test-header`` meta tag names the server's test id header (``--test-header``),
    which the page sends when it acts for a test id.
    """
    content = _static_files()[PAGE]
    header = engine_of(request).config.test_header
    if header != DEFAULT_TEST_HEADER:
        named = f'name="mockgpt-test-header" content="{html.escape(header)}"'
        content = content.replace(_TEST_HEADER_META, named.encode())
    return _response(PAGE, content)


async def static_file(request: Request) -> Response:
    """One file of the page (``/_mockgpt/static/inspector.js``, ``.css``, ...).

    Raises:
        RequestRejected: 404 for a name that is not one of the page's files.
    """
    name: str = request.path_params["file"]
    content = _static_files().get(name)
    if content is None:
        raise RequestRejected(
            404,
            f"The inspector has no file {name!r} (its files: "
            f"{', '.join(sorted(_static_files()))}).",
            code="not_found",
        )
    return _response(name, content)


def _response(name: str, content: bytes) -> Response:
    headers = {
        "cache-control": "no-cache",
        "x-content-type-options": "nosniff",
        "referrer-policy": "no-referrer",
        "content-security-policy": CONTENT_SECURITY_POLICY,
    }
    suffix = name[name.rfind(".") :]
    return Response(content, media_type=CONTENT_TYPES[suffix], headers=headers)


@lru_cache(maxsize=1)
def _static_files() -> dict[str, bytes]:
    """The page's files by name, read from the package once (they are a few kilobytes)."""
    folder = resources.files("mockgpt") / "static"
    return {
        item.name: item.read_bytes()
        for item in folder.iterdir()
        if item.is_file() and item.name[item.name.rfind(".") :] in CONTENT_TYPES
    }
