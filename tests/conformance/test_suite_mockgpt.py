"""mockgpt passes every check; what a server does not offer is unsupported, not a failure."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, StreamingResponse
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from conformance import Report, run_suite
from conformance.registry import REGISTRY, load_checks
from mockgpt.app import create_app
from tests.conformance.conftest import mock_config, serve_app, settings_for

pytestmark = pytest.mark.timeout(300)  # whole suite runs: minutes on a loaded machine

load_checks()


@pytest.fixture(scope="module")
def mock_report(mock_server: str) -> Report:
    return run_suite(settings_for(mock_server))


@pytest.mark.parametrize("check_id", REGISTRY.ids())
def test_mockgpt_passes_check(mock_report: Report, check_id: str) -> None:
    (record,) = [r for r in mock_report.records if r["check_id"] == check_id]
    assert record["outcome"] == "passed", record["violation"] or record["reason"]


def test_suite_without_optional_settings_reports_unsupported(mock_server: str) -> None:
    settings = settings_for(
        mock_server, embedding_model=None, rate_limit_model=None, stream_error_model=None
    )
    report = run_suite(settings, features=frozenset({"embeddings", "errors"}))
    outcomes = {r["check_id"]: r["outcome"] for r in report.records}
    assert {k for k, v in outcomes.items() if v == "unsupported"} == {
        "embeddings.response.schema",
        "embeddings.base64",
        "embeddings.input-order",
        "embeddings.dimensions",
        "errors.rate-limit",
        "errors.stream-error",
    }
    assert {v for k, v in outcomes.items() if k.startswith("errors.")} <= {"passed", "unsupported"}
    assert report.ok


class Refusing:
    """mockgpt, but refusing some requests with a clean 4xx (``refuse(path, body) -> status``)."""

    def __init__(self, refuse: Any) -> None:
        self.app = create_app(mock_config())
        self.refuse = refuse

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
            request = Request(scope, receive)
            body = await request.body()
            try:
                decoded = json.loads(body) if body else {}
            except ValueError:  # a multipart upload (/v1/files)
                decoded = {}
            status = self.refuse(scope["path"], decoded)
            if status:
                error = {"message": "not offered here", "type": "invalid_request_error"}
                response = JSONResponse({"error": {**error, "param": None, "code": None}}, status)
                await response(scope, receive, send)
                return

            sent: list[bool] = []

            async def replay() -> dict[str, Any]:
                if sent:  # the client stays connected: block until cancelled
                    await asyncio.Event().wait()
                sent.append(True)
                return {"type": "http.request", "body": body, "more_body": False}

            receive = replay
        await self.app(scope, receive, send)


def test_suite_feature_refused_with_a_clean_4xx_is_unsupported_not_failed() -> None:
    def refuse(path: str, body: dict[str, Any]) -> int:
        if path == "/v1/embeddings":
            return 404
        if "response_format" in body or "tools" in body or "logprobs" in body:
            return 400
        return 0

    with serve_app(Refusing(refuse)) as url:
        report = run_suite(settings_for(url, property_examples=0))
    by_outcome: dict[str, set[str]] = {}
    for r in report.records:
        by_outcome.setdefault(r["outcome"], set()).add(r["check_id"])
    assert {c for c in by_outcome["unsupported"] if c.startswith(("tools.", "embeddings."))} == {
        c for c in REGISTRY.ids() if c.startswith(("tools.", "embeddings."))
    }
    assert {"structured.response-format", "logprobs.shape"} <= by_outcome["unsupported"]
    assert {"responses.function-call", "responses.function-call-output"} <= by_outcome[
        "unsupported"
    ]
    assert report.ok, by_outcome


async def _endless(request: Request) -> StreamingResponse:
    async def keep_alive() -> AsyncIterator[bytes]:
        yield b'data: {"id":"x","object":"chat.completion.chunk","created":1,"model":"m",'
        yield b'"choices":[{"index":0,"delta":{"role":"assistant"},"finish_reason":null}]}\n\n'
        while True:
            await asyncio.sleep(0.02)
            yield b": keep-alive\n\n"

    return StreamingResponse(keep_alive(), media_type="text/event-stream")


async def _stalled(request: Request) -> StreamingResponse:
    async def stall() -> AsyncIterator[bytes]:
        yield b": hello\n\n"
        await asyncio.sleep(3600)

    return StreamingResponse(stall(), media_type="text/event-stream")


@pytest.mark.parametrize(
    ("endpoint", "timeouts", "path", "expected"),
    [
        (_endless, (5.0, 0.5), "<stream>", "the stream ends within 0.5 s"),
        (_stalled, (0.3, 5.0), "<timeout>", "an answer, each byte within 0.3 s"),
    ],
    ids=["keep-alives-forever", "stalled"],
)
def test_suite_stream_that_never_ends_fails_with_a_clear_message(
    endpoint: Any, timeouts: tuple[float, float], path: str, expected: str
) -> None:
    app = Starlette(routes=[Route("/v1/chat/completions", endpoint, methods=["POST"])])
    with serve_app(app) as url:
        settings = settings_for(url, timeout_s=timeouts[0], stream_timeout_s=timeouts[1])
        report = run_suite(settings, check_ids=["chat.stream.sse"])
    (record,) = report.records
    assert record["outcome"] == "failed"
    assert (record["violation"]["path"], record["violation"]["expected"]) == (path, expected)
