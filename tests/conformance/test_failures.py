"""Failures are data: a Violation's fields, its rendering, and the curl line of an Exchange."""

from __future__ import annotations

from conformance.failures import Violation
from conformance.http import Exchange

URL = "http://127.0.0.1:8000/v1/chat/completions"


def test_exchange_curl_hides_the_configured_key_and_quotes_the_body() -> None:
    exchange = Exchange("POST", URL, {"model": "m", "messages": [{"content": "it's"}]})
    assert exchange.curl() == (
        f"curl -sS -X POST {URL} "
        '-H "Authorization: Bearer $OPENAI_API_KEY" '
        "-H 'Content-Type: application/json' "
        """-d '{"model": "m", "messages": [{"content": "it'"'"'s"}]}'"""
    )


def test_exchange_curl_of_a_stream_a_literal_key_and_no_key() -> None:
    stream = Exchange("POST", URL, {}, auth="literal", key="sk-wrong", stream=True)
    assert stream.curl().startswith("curl -sS -N -X POST ")
    assert "-H 'Authorization: Bearer sk-wrong'" in stream.curl()
    plain = Exchange("GET", "http://h/v1/models", auth="none")
    assert plain.curl() == "curl -sS http://h/v1/models"


def test_violation_carries_and_renders_its_fields() -> None:
    exchange = Exchange("GET", "http://h/v1/models", auth="none")
    violation = Violation("data[0].created", "an integer", "1.5", exchange=exchange, note="why")
    violation.check_id = "models.list.schema"
    violation.spec = "Model.created: integer"
    assert violation.to_dict() == {
        "check_id": "models.list.schema",
        "path": "data[0].created",
        "expected": "an integer",
        "actual": "1.5",
        "level": "http",
        "spec": "Model.created: integer",
        "curl": "curl -sS http://h/v1/models",
        "note": "why",
        "owner": None,
        "severity": None,
        "more": [],
    }
    assert str(violation).splitlines() == [
        "models.list.schema [http] data[0].created",
        "  expected: an integer",
        "  actual:   1.5",
        "  note:     why",
        "  spec:     Model.created: integer",
        "  repro:    curl -sS http://h/v1/models",
    ]


def test_violation_shortens_long_actual_values() -> None:
    violation = Violation("<body>", "JSON", "x" * 1000)
    assert len(violation.actual) == 300
    assert violation.actual.endswith("(1000 chars)")
