"""Reports render records: the feature matrix, JSON and Markdown files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from conformance.report import report_from


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
           reason="blocked by chat.stream.sse, which fails: ..."),
    record("embeddings.base64", "embeddings", "unsupported", reason="no embedding model given"),
]  # fmt: skip


def make_report() -> Any:
    return report_from(RECORDS, base_url="http://h/v1", model="m", duration_s=1.25)


def test_report_matrix_and_totals() -> None:
    report = make_report()
    assert report.matrix() == {
        "models": {"passed": 1, "failed": 0, "unsupported": 0, "blocked": 0},
        "chat-streaming": {"passed": 0, "failed": 1, "unsupported": 0, "blocked": 1},
        "embeddings": {"passed": 0, "failed": 0, "unsupported": 1, "blocked": 0},
    }
    assert report.totals() == {"passed": 1, "failed": 1, "unsupported": 1, "blocked": 1}
    assert not report.ok


def test_report_terminal_lines() -> None:
    lines = make_report().terminal_lines()
    assert lines[0].split() == ["feature", "passed", "failed", "unsupported", "blocked"]
    assert lines[2].split() == ["chat-streaming", "0", "1", "0", "1"]
    assert lines[4].split() == ["total", "1", "1", "1", "1"]
    assert lines[5] == (
        "FAILED chat.stream.done-sentinel: <stream>: expected data: [DONE] as the last event, "
        "got the stream ends with: {}"
    )
    assert lines[6] == "BLOCKED chat.stream.id-stable: by chat.stream.sse"


def test_report_json_keeps_every_record() -> None:
    data = json.loads(make_report().to_json())
    assert data["server"] == {"base_url": "http://h/v1", "model": "m"}
    assert data["totals"]["failed"] == 1
    assert data["checks"][1]["violation"]["curl"] == "curl -sS -N http://h/v1/chat/completions"


def test_report_markdown_sections() -> None:
    text = make_report().to_markdown()
    assert "| chat-streaming | 0 | 1 | 0 | 1 |" in text
    assert "### `chat.stream.done-sentinel` (chat-streaming, MUST)" in text
    assert "- spec: Spec \\| text" in text
    assert "```sh\ncurl -sS -N http://h/v1/chat/completions\n```" in text
    assert "## Unsupported (not offered; not a failure)" in text
    assert "- `embeddings.base64`: no embedding model given" in text


@pytest.mark.parametrize("name", ["out", "out.json", "out.md"])
def test_report_write_makes_json_and_markdown(tmp_path: Path, name: str) -> None:
    written = make_report().write(tmp_path / "sub" / name)
    assert written == [tmp_path / "sub" / "out.json", tmp_path / "sub" / "out.md"]
    assert json.loads(written[0].read_text())["schema_version"] == 1


def test_report_from_deduplicates_by_check_id() -> None:
    report = report_from([*RECORDS, record("models.list.schema", "models", "failed")])
    assert len(report.records) == 4
    assert report.records[0]["outcome"] == "failed"
