"""Blocking names the true cause, end to end: a server whose chat completions lack the
nullable `refusal` key (a SHOULD: no client reads it) and which answers `json_schema` with a
500. The 500 is `structured.response-format`'s own failure, not hidden behind a block."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from conformance import run_suite
from conformance.validation import nullable_key
from conformance.wire import ChatCompletion, ErrorResponse
from mockgpt.app import create_app
from tests.conformance.conftest import mock_config, serve_app, settings_for

pytestmark = pytest.mark.timeout(300)


def no_refusal_and_json_schema_500() -> Starlette:
    inner = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(mock_config())), base_url="http://mock"
    )

    async def forward(request: Request) -> Response:
        body = await request.body()
        data: Any = json.loads(body) if body else None
        if isinstance(data, dict) and (data.get("response_format") or {}).get("type") == (
            "json_schema"
        ):
            error = {"message": "boom", "type": "server_error", "param": None, "code": None}
            return Response(json.dumps({"error": error}), 500, media_type="application/json")
        answer = await inner.request(
            request.method, request.url.path, content=body, headers=dict(request.headers)
        )
        content = answer.content
        if answer.headers.get("content-type", "").startswith("application/json"):
            decoded = answer.json()
            for choice in decoded.get("choices", []) if isinstance(decoded, dict) else []:
                if isinstance(choice.get("message"), dict):
                    choice["message"].pop("refusal", None)
            content = json.dumps(decoded).encode()
        headers = {"content-type": answer.headers.get("content-type", "application/json")}
        return Response(content, answer.status_code, headers=headers)

    return Starlette(
        routes=[Route("/v1/{path:path}", forward, methods=["GET", "POST"])],
    )


def test_a_500_on_a_checks_own_request_is_its_failure_while_the_owner_only_warns() -> None:
    with serve_app(no_refusal_and_json_schema_500()) as url:
        report = run_suite(
            settings_for(url, property_examples=0),
            features=frozenset({"chat", "structured-output"}),
        )
    by_id = {r["check_id"]: r for r in report.records}
    schema = by_id["chat.response.schema"]
    assert schema["outcome"] == "warned"
    assert schema["violation"]["path"] == "choices[0].message.refusal"
    assert schema["violation"]["severity"] == "should"
    structured = by_id["structured.response-format"]
    assert (structured["outcome"], structured["blocked_by"]) == ("failed", None)
    assert structured["violation"]["actual"].startswith("500 ")
    assert not report.by_outcome("blocked")
    assert not report.ok
    assert any(
        line.startswith("FAILED structured.response-format: <status>: expected 200, got 500 ")
        for line in report.terminal_lines()
    )


@pytest.mark.parametrize(
    ("model", "loc", "nullable"),
    [
        (ChatCompletion, ("choices", 0, "message", "refusal"), True),
        (ChatCompletion, ("choices", 0, "logprobs"), True),
        (ChatCompletion, ("choices", 0, "message", "role"), False),
        (ChatCompletion, ("id",), False),
        (ChatCompletion, ("choices", 0, "no_such_key"), False),
        (ErrorResponse, ("error", "param"), True),
    ],
    ids=["refusal", "logprobs", "role", "id", "unknown", "error-param"],
)
def test_nullable_key(model: Any, loc: tuple[Any, ...], nullable: bool) -> None:
    assert nullable_key(model, loc) is nullable
