"""``mockgpt serve --upstream URL`` passes the conformance suite exactly as its upstream does.

The suite runs twice with the same settings, against an upstream mockgpt and against a proxy
mockgpt in front of it, and every check must have the same outcome: passed where the
upstream passes, unsupported where the upstream refuses a feature.

The proxy re-frames what it relays (it turns upstream streams into events and renders them
anew), so an upstream's framing quirks are not passed through: the upstreams here are plain
mockgpt, as the suite's own tests set it up (``tests/conformance/conftest.py``), with some
endpoints or request fields refused with a clean 4xx.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from conformance import Report, run_suite
from mockgpt import ServerConfig
from mockgpt.app import create_app
from mockgpt.server import MockServer
from tests.conformance.conftest import API_KEY, mock_config, serve_app, settings_for

pytestmark = pytest.mark.timeout(600)  # the whole suite runs twice: minutes on a loaded machine

Refuse = Callable[[str, dict[str, Any]], int]
"""(path, JSON body) -> the status refusing the request, 0 to answer it."""


class Refusing:
    """An ASGI app that refuses some POSTs with a clean 4xx envelope and passes the rest on."""

    def __init__(self, app: ASGIApp, refuse: Refuse) -> None:
        self.app = app
        self.refuse = refuse

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        body = await Request(scope, receive).body()
        try:
            decoded = json.loads(body) if body else {}
        except ValueError:  # a multipart upload (/v1/files)
            decoded = {}
        status = self.refuse(scope["path"], decoded if isinstance(decoded, dict) else {})
        if status:
            error = {"message": "not offered here", "type": "invalid_request_error"}
            refused = JSONResponse({"error": {**error, "param": None, "code": None}}, status)
            await refused(scope, receive, send)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()  # the client going away
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


def answers_everything(path: str, body: dict[str, Any]) -> int:
    return 0


def without_endpoints(path: str, body: dict[str, Any]) -> int:
    """No embeddings, legacy completions or Responses API."""
    return 404 if path in ("/v1/embeddings", "/v1/completions", "/v1/responses") else 0


def without_request_fields(path: str, body: dict[str, Any]) -> int:
    """No tools, structured output or logprobs."""
    refused = ("tools", "response_format", "logprobs", "top_logprobs", "text")
    return 400 if any(key in body for key in refused) else 0


@contextmanager
def upstream_mockgpt(refuse: Refuse) -> Iterator[str]:
    """Base URL of mockgpt set up for the suite, refusing what ``refuse`` says."""
    app = create_app(mock_config())
    with serve_app(Refusing(app, refuse)) as url:
        yield url
    assert not app.state.engine.errors


@contextmanager
def proxy_of(upstream: str) -> Iterator[MockServer]:
    """mockgpt answering from ``upstream``, with the key the suite sends."""
    config = ServerConfig(
        port=0, api_key=API_KEY, upstream=upstream, upstream_api_key=API_KEY, log_level="warning"
    )
    with MockServer(config) as server:
        yield server


def outcomes(report: Report) -> dict[str, str]:
    return {r["check_id"]: r["outcome"] for r in report.records}


def differences(upstream: Report, proxy: Report) -> str:
    """One line per check whose outcome differs, with what the proxy's run said."""
    expected, got = outcomes(upstream), outcomes(proxy)
    why = {r["check_id"]: r.get("violation") or r.get("reason") or "" for r in proxy.records}
    return "\n".join(
        f"{check_id}: upstream {expected.get(check_id)}, proxy {got.get(check_id)}: "
        f"{why.get(check_id, '')}"
        for check_id in sorted(expected.keys() | got.keys())
        if expected.get(check_id) != got.get(check_id)
    )


@pytest.mark.parametrize(
    "refuse",
    [answers_everything, without_endpoints, without_request_fields],
    ids=["plain", "without-endpoints", "without-request-fields"],
)
def test_proxy_conformance_outcomes_equal_the_upstream_ones(refuse: Refuse) -> None:
    with upstream_mockgpt(refuse) as upstream, proxy_of(upstream) as proxy:
        upstream_report = run_suite(settings_for(upstream))
        proxy_report = run_suite(settings_for(proxy.base_url))

    expected = outcomes(upstream_report)
    unsupported = {c for c, o in expected.items() if o == "unsupported"}
    if refuse is answers_everything:
        assert not unsupported, "the settings should let every check run"
    else:
        assert unsupported, f"{refuse.__name__} should make some checks unsupported"
    got = outcomes(proxy_report)
    assert got == expected, differences(upstream_report, proxy_report)
    assert not proxy.engine.errors
