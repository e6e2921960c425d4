"""Departures seen on real servers, pinned so the suite keeps reporting each of them.

LiteLLM 1.108 (`litellm --config docs/conformance/litellm.config.yaml`) proxying to mockgpt
streams ``n: 2`` with a role delta for choice 0 only and no finish_reason chunk for choice 1
(docs/conformance/matrix-2026-12.md). ``chat.n.choices`` stopped at the first of the two, so
the missing finish reason was hidden; it must report both.

LiteLLM's ``mock_response`` models answer the Responses API with their fixed text whatever
``tool_choice`` says. Judged as a fixture mock (``--profile fixture-mock``), whether an answer
calls a tool is the fixture's decision (``tools.choice-required`` is n/a), so
``responses.function-call`` must be inconclusive there, not failed; under ``inference`` it
still fails.
"""

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
from mockgpt.app import create_app
from tests.conformance.conftest import mock_config, serve_app, settings_for

pytestmark = pytest.mark.timeout(300)


def litellm_n_stream(body: bytes) -> bytes:
    """mockgpt's ``n: 2`` stream as LiteLLM's proxy re-emits it."""
    out: list[bytes] = []
    role_sent = False
    for event in body.split(b"\n\n"):
        if not event.startswith(b"data: {"):
            out.append(event)
            continue
        chunk = json.loads(event[len(b"data: ") :])
        for choice in chunk.get("choices", []):
            if choice["delta"].get("role"):
                if role_sent:
                    del choice["delta"]["role"]
                role_sent = True
        if any(c["index"] == 1 and c.get("finish_reason") for c in chunk.get("choices", [])):
            continue  # LiteLLM drops the last chunk of choice 1
        out.append(b"data: " + json.dumps(chunk).encode())
    return b"\n\n".join(out)


def litellm_like_proxy(*, responses_ignore_tools: bool = False) -> Starlette:
    inner = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(mock_config())), base_url="http://mock"
    )

    async def forward(request: Request) -> Response:
        body = await request.body()
        data: Any = json.loads(body) if body else None
        if responses_ignore_tools and request.url.path == "/v1/responses" and data:
            data = {k: v for k, v in data.items() if k not in ("tools", "tool_choice")}
            body = json.dumps(data).encode()
        answer = await inner.request(
            request.method, request.url.path, content=body, headers=dict(request.headers)
        )
        content = answer.content
        if isinstance(data, dict) and data.get("stream") is True and data.get("n") == 2:
            content = litellm_n_stream(content)
        headers = {"content-type": answer.headers.get("content-type", "application/json")}
        return Response(content, answer.status_code, headers=headers)

    return Starlette(routes=[Route("/v1/{path:path}", forward, methods=["GET", "POST"])])


def test_n_choices_reports_the_missing_role_and_the_missing_finish_reason() -> None:
    with serve_app(litellm_like_proxy()) as url:
        report = run_suite(
            settings_for(url, property_examples=0),
            check_ids=["chat.n.choices", "chat.stream.role-first"],
        )
    by_id = {r["check_id"]: r for r in report.records}
    assert by_id["chat.stream.role-first"]["outcome"] == "passed"
    record = by_id["chat.n.choices"]
    assert (record["outcome"], record["blocked_by"]) == ("failed", None)
    violation = record["violation"]
    paths = [violation["path"], *(m["path"] for m in violation["more"])]
    assert paths[:2] == ["<choice 1>.delta.role", "<choice 1>.finish_reason"]
    assert all(m["curl"] for m in violation["more"])


@pytest.mark.parametrize(
    ("profile", "outcomes"),
    [
        ("fixture-mock", {"responses.function-call": ("inconclusive", "tools.choice-required")}),
        ("inference", {"responses.function-call": ("failed", None)}),
    ],
)
def test_a_mock_that_never_calls_a_tool_is_inconclusive_only_as_a_fixture_mock(
    profile: str, outcomes: dict[str, tuple[str, str | None]]
) -> None:
    with serve_app(litellm_like_proxy(responses_ignore_tools=True)) as url:
        report = run_suite(
            settings_for(url, property_examples=0, profile=profile),
            check_ids=["responses.function-call", "responses.function-call-output"],
        )
    by_id = {r["check_id"]: r for r in report.records}
    for check_id, (outcome, blocked_by) in outcomes.items():
        assert (by_id[check_id]["outcome"], by_id[check_id]["blocked_by"]) == (outcome, blocked_by)
    tools_owner = by_id["tools.choice-required"]
    assert tools_owner["consulted"]
    assert tools_owner["outcome"] == ("not-applicable" if profile == "fixture-mock" else "passed")
    output = by_id["responses.function-call-output"]
    assert output["blocked_by"] == "responses.function-call"
    assert output["outcome"] == ("inconclusive" if profile == "fixture-mock" else "blocked")
    assert report.ok == (profile == "fixture-mock")
