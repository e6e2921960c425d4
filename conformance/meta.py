"""What a report records about its run, and hints for a run that cannot tell anything.

``run_meta`` is the JSON report's ``meta``: the suite's and the ``openai`` package's versions,
when the run started, its options (the key left out) and the headers by which the server
says what it is (``server``, ``x-powered-by``, ``via``, ...).

``base_url_hint`` looks at ``GET /models`` once, before any check runs: a base URL without
``/v1`` whose ``/models`` is a 404 while ``/v1/models`` answers gets one hint, instead of
every check reporting "unsupported" for a 404.
"""

from __future__ import annotations

import datetime
import importlib.metadata
from collections.abc import Mapping
from dataclasses import asdict, replace
from typing import Any

from conformance.context import CheckContext, Settings
from conformance.failures import Violation

IDENTIFYING_HEADERS = (
    "server",
    "x-powered-by",
    "via",
    "openai-version",
    "openai-organization",
    "x-litellm-version",
    "x-ollama-version",
)
"""Response headers that name the software answering (kept in ``meta.server_headers``)."""


def _version(package: str) -> str | None:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def server_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """The identifying headers among ``headers`` (lower-case names)."""
    return {k: headers[k] for k in IDENTIFYING_HEADERS if k in headers}


def run_meta(
    settings: Settings,
    *,
    started: datetime.datetime,
    options: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The ``meta`` of a report.

    Args:
        settings: the run's settings (the API key is never recorded).
        started: when the run started (UTC).
        options: the run's other options (features, profile, strict, repeat).
        headers: the headers of one of the server's answers.
    """
    recorded = {k: v for k, v in asdict(settings).items() if k != "api_key"}
    recorded["api_key_given"] = settings.api_key is not None
    return {
        "suite": {"name": "mockgpt-conformance", "version": _version("mockgpt")},
        "openai_version": _version("openai"),
        "started_at": started.astimezone(datetime.timezone.utc).isoformat(timespec="seconds"),
        "settings": recorded,
        "options": dict(options or {}),
        "server_headers": server_headers(headers or {}),
        "hints": [],
    }


def base_url_hint(base_url: str, status: int, v1_status: int | None) -> str | None:
    """A hint when ``base_url`` lacks ``/v1`` and only ``<base_url>/v1`` answers.

    Args:
        base_url: the configured API root.
        status: the status of ``GET <base_url>/models``.
        v1_status: the status of ``GET <base_url>/v1/models`` (None: not asked).
    """
    if status != 404 or base_url.rstrip("/").endswith("/v1"):
        return None
    if v1_status is not None and 200 <= v1_status < 300:
        return (
            f"{base_url}/models is a 404 but {base_url}/v1/models answers: the API root is "
            f"probably {base_url}/v1 (give --base-url with /v1)"
        )
    return (
        f"{base_url}/models is a 404: does --base-url end with the API root (usually /v1)? "
        "Every check would report its endpoint unsupported"
    )


class BaseUrlError(ValueError):
    """The base URL is not the API root, and the API root is known (the message says which)."""


def probe(ctx: CheckContext) -> tuple[dict[str, str], list[str]]:
    """``GET /models`` once: the server's identifying headers, and hints about the base URL.

    Raises:
        BaseUrlError: ``/models`` is a 404 while ``/v1/models`` answers (a missing ``/v1``).
    """
    base_url = ctx.settings.base_url.rstrip("/")
    try:
        result = ctx.get("/models")
    except Violation as violation:
        return {}, [f"GET {base_url}/models failed: {violation.headline()}"]
    v1_status = None
    if result.status == 404 and not base_url.endswith("/v1"):
        exchange = replace(ctx.raw.exchange("GET", "/models"), url=f"{base_url}/v1/models")
        try:
            v1_status = ctx.raw.send(exchange).status
        except Violation:
            v1_status = None
        if v1_status is not None and 200 <= v1_status < 300:
            raise BaseUrlError(str(base_url_hint(base_url, result.status, v1_status)))
    hint = base_url_hint(base_url, result.status, v1_status)
    return server_headers(result.headers), [hint] if hint else []
