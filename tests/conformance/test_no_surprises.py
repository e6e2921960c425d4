"""No surprises: one hint for a base URL without /v1, SSE where JSON was expected said so,
multi-line bodies on one line, the proxy caveat on retrieve checks, and the report's meta."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, StreamingResponse
from starlette.routing import Route

from conformance import run_suite
from conformance.failures import Violation, one_line
from conformance.http import SSE_INSTEAD_OF_JSON
from conformance.meta import BaseUrlError, base_url_hint
from conformance.registry import PROXY_CAVEAT
from tests.conformance.conftest import cli_options, serve_app, serving, settings_for
from tests.conformance.test_plugin import INI

pytestmark = pytest.mark.timeout(300)


async def _models(request: Request) -> JSONResponse:
    return JSONResponse({"object": "list", "data": []})


async def _sse(request: Request) -> StreamingResponse:
    async def events() -> AsyncIterator[bytes]:
        yield b'data: {"id": "x", "object": "chat.completion.chunk"}\n\n'
        yield b"data: [DONE]\n\n"

    return StreamingResponse(events(), media_type="text/event-stream")


V1_ONLY = Starlette(
    routes=[
        Route("/v1/models", _models),
        Route("/v1/chat/completions", _sse, methods=["POST"]),
    ]
)
"""A server that serves its API under /v1 only, and streams every chat answer."""


def test_base_url_without_v1_gets_one_hint_not_every_check_unsupported() -> None:
    with serve_app(V1_ONLY) as url:
        root = url.removesuffix("/v1")
        with pytest.raises(BaseUrlError) as caught:
            run_suite(settings_for(root))
    assert str(caught.value) == (
        f"{root}/models is a 404 but {root}/v1/models answers: the API root is probably "
        f"{root}/v1 (give --base-url with /v1)"
    )


def test_base_url_without_v1_is_a_usage_error_of_the_plugin(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI)
    with serve_app(V1_ONLY) as url:
        options = cli_options(url.removesuffix("/v1"))
        result = pytester.runpytest("--pyargs", "conformance", *options)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*the API root is probably http://127.0.0.1:*/v1*"])


@pytest.mark.parametrize(
    ("base_url", "status", "v1_status", "hint"),
    [
        ("http://h/v1", 404, None, None),
        ("http://h", 200, None, None),
        ("http://h", 404, 404, "http://h/models is a 404: does --base-url end with the API "
                               "root (usually /v1)? Every check would report its endpoint "
                               "unsupported"),
    ],
    ids=["has-v1", "answers", "neither-answers"],
)  # fmt: skip
def test_base_url_hint(base_url: str, status: int, v1_status: int | None, hint: str) -> None:
    assert base_url_hint(base_url, status, v1_status) == hint


def test_sse_where_json_was_expected_says_so() -> None:
    with serve_app(V1_ONLY) as url:
        report = run_suite(settings_for(url), check_ids=["chat.response.schema"])
    (record,) = report.records
    assert record["outcome"] == "failed"
    assert record["violation"]["actual"].startswith(SSE_INSTEAD_OF_JSON + ": data: {")


def test_multi_line_bodies_are_cut_in_the_one_line_summary() -> None:
    body = "Traceback (most recent call last):\n  File x\n  File y\nValueError: boom"
    assert one_line(body) == "Traceback (most recent call last): ... (+3 lines)"
    violation = Violation("<status>", "200", f"500 {body}")
    assert "\n" not in violation.headline()
    assert violation.actual == f"500 {body}"  # the full text stays in the record


def test_retrieve_checks_carry_the_proxy_caveat_when_they_fail() -> None:
    with serving(quirks=("model-retrieve-404",)) as url:
        report = run_suite(settings_for(url), features=frozenset({"models"}))
    by_id = {r["check_id"]: r for r in report.records}
    assert by_id["models.retrieve"]["outcome"] == "warned"
    assert by_id["models.retrieve"]["notes"] == [PROXY_CAVEAT]
    assert by_id["models.list.schema"]["notes"] == []
    assert f"NOTE models.retrieve: {PROXY_CAVEAT}" in report.terminal_lines()


def test_report_meta_names_versions_time_options_and_the_server(mock_server: str) -> None:
    report = run_suite(settings_for(mock_server), features=frozenset({"models"}), repeat=2)
    meta = json.loads(report.to_json())["meta"]
    assert meta["suite"]["name"] == "mockgpt-conformance"
    assert meta["suite"]["version"]
    assert meta["openai_version"]
    assert meta["started_at"].endswith("+00:00")
    assert meta["options"]["repeat"] == 2
    assert meta["settings"]["api_key_given"] is True
    assert "api_key" not in meta["settings"]
    assert meta["server_headers"].get("server") == "uvicorn"


def test_repeat_reports_a_check_whose_outcome_changes_as_flaky() -> None:
    """The model list loses `owned_by` from the fourth request on: the first run passes, the
    second fails."""
    calls: list[int] = []

    async def changing(request: Request) -> JSONResponse:
        calls.append(1)
        model: dict[str, object] = {"id": "gpt-4o-mini", "object": "model", "created": 1}
        if len(calls) <= 3:
            model["owned_by"] = "me"
        return JSONResponse({"object": "list", "data": [model]})

    app = Starlette(routes=[Route("/v1/models", changing)])
    with serve_app(app) as url:
        report = run_suite(settings_for(url), check_ids=["models.list.schema"], repeat=2)
    (record,) = report.records
    assert record["flaky"] == ["passed", "failed"]
    assert "FLAKY models.list.schema: outcomes passed, failed" in report.terminal_lines()
