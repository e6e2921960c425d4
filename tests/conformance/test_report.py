"""Reports render records: the feature matrix, JSON and Markdown files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from conformance.report import OUTCOMES, fails_run, report_from
from conformance.runner import OUTCOMES as RUNNER_OUTCOMES


def record(check_id: str, feature: str, outcome: str, **extra: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "check_id": check_id,
        "feature": feature,
        "severity": "must",
        "summary": f"{check_id} holds.",
        "spec": "Spec | text",
        "outcome": outcome,
        "reason": "",
        "blocked_by": None,
        "violation": None,
        "duration_s": 0.01,
        "warnings": [],
    }
    base.update(extra)
    return base


VIOLATION = {
    "check_id": "chat.stream.done-sentinel",
    "path": "<stream>",
    "expected": "data: [DONE] as the last event",
    "actual": "the stream ends with: {}",
    "level": "http",
    "spec": "the stream is terminated by a `data: [DONE]` message",
    "curl": "curl -sS -N http://h/v1/chat/completions",
    "note": "",
}
RECORDS = [
    record("models.list.schema", "models", "passed"),
    record("chat.stream.done-sentinel", "chat-streaming", "failed", violation=VIOLATION),
    record("chat.stream.id-stable", "chat-streaming", "blocked", blocked_by="chat.stream.sse",
           root_outcome="failed", reason="blocked by chat.stream.sse, which reports ...",
           violation={**VIOLATION, "path": "<body>", "expected": "server-sent events",
                      "actual": "application/json: {}\n  line two\n  line three"}),
    record("embeddings.base64", "embeddings", "unsupported", reason="no embedding model given"),
]  # fmt: skip


def make_report() -> Any:
    return report_from(RECORDS, base_url="http://h/v1", model="m", duration_s=1.25)


def zeros(**counts: int) -> dict[str, int]:
    return {**dict.fromkeys(OUTCOMES, 0), **counts}


def test_report_matrix_and_totals() -> None:
    report = make_report()
    assert report.matrix() == {
        "models": zeros(passed=1),
        "chat-streaming": zeros(failed=1, blocked=1),
        "embeddings": zeros(unsupported=1),
    }
    assert report.totals() == zeros(passed=1, failed=1, unsupported=1, blocked=1)
    assert not report.ok


def test_report_outcomes_are_the_runners() -> None:
    assert OUTCOMES == RUNNER_OUTCOMES


def test_report_terminal_lines() -> None:
    lines = make_report().terminal_lines()
    assert lines[0].split() == [
        "feature", "pass", "fail", "warn", "unsup", "blocked", "inconcl", "n/a"
    ]  # fmt: skip
    assert lines[2].split() == ["chat-streaming", "0", "1", "0", "0", "1", "0", "0"]
    assert lines[4].split() == ["total", "1", "1", "0", "1", "1", "0", "0"]
    assert lines[5] == (
        "FAILED chat.stream.done-sentinel: <stream>: expected data: [DONE] as the last event, "
        "got the stream ends with: {}"
    )
    assert lines[6] == (
        "BLOCKED chat.stream.id-stable: by chat.stream.sse; its own evidence: <body>: expected "
        "server-sent events, got application/json: {} ... (+2 lines)"
    )


def test_report_names_the_other_violations_a_check_saw() -> None:
    other = {**VIOLATION, "path": "chunks[2].id", "expected": "one id", "actual": "two"}
    violation = {**VIOLATION, "more": [other]}
    report = report_from([record("a.b", "chat", "failed", violation=violation)])
    assert report.terminal_lines()[3].endswith("(and 1 more: chunks[2].id)")
    assert "- and `chunks[2].id`: expected one id, got `two`" in report.to_markdown()


def test_report_warnings_are_shown_apart_and_fail_only_when_strict() -> None:
    records = [
        record("chat.stream.created-stable", "chat-streaming", "warned", severity="should",
               violation=VIOLATION),
        record("chat.stream.x", "chat-streaming", "blocked", root_outcome="warned",
               blocked_by="chat.stream.created-stable", violation=VIOLATION),
    ]  # fmt: skip
    lenient = report_from(records)
    assert lenient.ok
    lines = lenient.terminal_lines()
    assert "warnings (SHOULD rules: they do not fail the run without --strict):" in lines
    assert any(line.startswith("WARN chat.stream.created-stable: <stream>") for line in lines)
    assert "## Warnings (SHOULD rules)" in lenient.to_markdown()
    assert not report_from(records, strict=True).ok


@pytest.mark.parametrize(
    ("outcome", "extra", "fails", "fails_strict"),
    [
        ("passed", {}, False, False),
        ("failed", {}, True, True),
        ("warned", {}, False, True),
        ("blocked", {"root_outcome": "failed"}, True, True),
        ("blocked", {"root_outcome": "warned"}, False, True),
        ("unsupported", {}, False, False),
        ("inconclusive", {}, False, False),
        ("not-applicable", {}, False, False),
        ("failed", {"consulted": True}, False, False),
    ],
    ids=["passed", "failed", "warned", "blocked-by-must", "blocked-by-should", "unsupported",
         "inconclusive", "not-applicable", "consulted-owner"],
)  # fmt: skip
def test_report_which_outcomes_fail_the_run(
    outcome: str, extra: dict[str, Any], fails: bool, fails_strict: bool
) -> None:
    one = record("a.b", "chat", outcome, **extra)
    assert (fails_run(one), fails_run(one, strict=True)) == (fails, fails_strict)


def test_report_lists_flaky_and_consulted_checks_and_hints() -> None:
    records = [
        record("a.flaky", "chat", "passed", flaky=["passed", "failed"]),
        record("chat.stream.sse", "chat-streaming", "failed", consulted=True, violation=VIOLATION),
    ]
    report = report_from(records, meta={"hints": ["give --base-url with /v1"]})
    lines = report.terminal_lines()
    assert "HINT give --base-url with /v1" in lines
    assert "FLAKY a.flaky: outcomes passed, failed" in lines
    assert (
        "CONSULTED chat.stream.sse (chat-streaming, not selected): failed, as the owner of a "
        "rule other checks broke" in lines
    )
    markdown = report.to_markdown()
    assert "## Flaky (the outcome changed between repetitions)" in markdown
    assert (
        "### `chat.stream.sse` (chat-streaming, MUST, not selected: consulted as the owner of "
        "another check's rule)" in markdown
    )


def test_report_json_keeps_every_record() -> None:
    data = json.loads(make_report().to_json())
    assert data["server"] == {"base_url": "http://h/v1", "model": "m"}
    assert data["totals"]["failed"] == 1
    assert data["ok"] is False
    assert data["checks"][1]["violation"]["curl"] == "curl -sS -N http://h/v1/chat/completions"


def test_report_markdown_sections() -> None:
    text = make_report().to_markdown()
    assert "| feature | pass | fail | warn | unsup | blocked | inconcl | n/a |" in text
    assert "| chat-streaming | 0 | 1 | 0 | 0 | 1 | 0 | 0 |" in text
    assert "### `chat.stream.done-sentinel` (chat-streaming, MUST)" in text
    assert "- spec: Spec \\| text" in text
    assert "```sh\ncurl -sS -N http://h/v1/chat/completions\n```" in text
    assert "## Unsupported (not offered; not a failure)" in text
    assert "- `embeddings.base64`: no embedding model given" in text
    assert "its own evidence: <body>: expected server-sent events" in text


@pytest.mark.parametrize("name", ["out", "out.json", "out.md"])
def test_report_write_makes_json_and_markdown(tmp_path: Path, name: str) -> None:
    written = make_report().write(tmp_path / "sub" / name)
    assert written == [tmp_path / "sub" / "out.json", tmp_path / "sub" / "out.md"]
    assert json.loads(written[0].read_text())["schema_version"] == 2


def test_report_from_deduplicates_by_check_id() -> None:
    report = report_from([*RECORDS, record("models.list.schema", "models", "failed")])
    assert len(report.records) == 4
    assert report.records[0]["outcome"] == "failed"
