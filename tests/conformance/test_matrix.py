"""One matrix across servers: the servers file, a run per model, the matrix and its merges."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from conformance.matrix import Matrix, combine_records, merge_files
from conformance.report import report_from
from conformance.servers import MatrixConfigError, ServerEntry, load_servers
from mockgpt.cli import main
from tests.conformance.conftest import API_KEY, EMBEDDING_MODEL, MODEL, serving
from tests.conformance.test_report import VIOLATION, record

pytestmark = pytest.mark.timeout(300)


def write(tmp_path: Path, servers: Any) -> Path:
    path = tmp_path / "servers.yaml"
    path.write_text(yaml.safe_dump({"servers": servers}))
    return path


def test_load_servers_reads_every_field_and_the_key_from_the_environment(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        [
            {"name": "a", "base_url": "http://a/v1/", "api_key_env": "A_KEY", "profile": "proxy",
             "models": {"chat": "m", "embeddings": "e"}, "features": ["chat", "tools"],
             "rate_limit_model": "r", "stream_error_model": "s"},
            {"name": "b", "base_url": "http://b/v1", "models": {"chat": "m"}},
        ],
    )  # fmt: skip
    a, b = load_servers(path, environ={"A_KEY": "sk-a"})
    assert a == ServerEntry(
        name="a", base_url="http://a/v1", api_key="sk-a", profile="proxy",
        models={"chat": "m", "embeddings": "e"}, features=frozenset({"chat", "tools"}),
        rate_limit_model="r", stream_error_model="s",
    )  # fmt: skip
    assert (b.api_key, b.profile, b.features) == (None, "inference", None)


@pytest.mark.parametrize(
    ("servers", "message"),
    [
        ([], "servers: a non-empty list of servers is required"),
        ([{"name": "a", "base_url": "u"}], "servers[0].models.chat: the chat model is required"),
        ([{"name": "a", "base_url": "u", "models": {"chat": "m"}, "colour": 1}],
         "servers[0].colour: unknown key"),
        ([{"name": "a", "base_url": "u", "models": {"chat": "m"}, "profile": "toy"}],
         "servers[0].profile: one of inference, proxy, fixture-mock"),
        ([{"name": "a", "base_url": "u", "models": {"chat": "m", "vision": "v"}}],
         "servers[0].models.vision: one of"),
        ([{"name": "a", "base_url": "u", "models": {"chat": "m"}, "features": ["weather"]}],
         "servers[0].features: unknown 'weather'"),
        ([{"name": "a", "base_url": "u", "models": {"chat": "m"}, "api_key_env": "NOPE"}],
         "servers[0].api_key_env: NOPE is not set"),
        ([{"name": "a", "base_url": "u", "models": {"chat": "m"}}] * 2,
         "servers[1].name: 'a' is used twice"),
    ],
    ids=["empty", "no-chat-model", "unknown-key", "unknown-profile", "unknown-role",
         "unknown-feature", "unset-env", "duplicate-name"],
)  # fmt: skip
def test_load_servers_names_the_file_and_the_field(
    tmp_path: Path, servers: Any, message: str
) -> None:
    path = write(tmp_path, servers)
    with pytest.raises(MatrixConfigError) as caught:
        load_servers(path, environ={})
    assert str(caught.value).startswith(f"{path}: {message}")


def test_server_runs_once_per_distinct_model_with_that_models_features() -> None:
    entry = ServerEntry("s", "u", None, "inference", {"chat": "c", "tools": "t", "json": "c"})
    runs = dict(entry.runs())
    assert set(runs) == {"c", "t"}
    assert runs["t"] == {"tools"}
    assert {"chat", "structured-output", "responses", "embeddings"} <= runs["c"]
    only = ServerEntry("s", "u", None, "inference", {"chat": "c", "tools": "t"},
                       features=frozenset({"tools"}))  # fmt: skip
    assert only.runs() == [("t", frozenset({"tools"}))]


def make_matrix() -> Matrix:
    good = report_from(
        [record("chat.usage", "chat", "passed"), record("models.list.schema", "models", "passed")],
        base_url="http://good/v1",
    )
    bad = report_from(
        [record("chat.usage", "chat", "failed", violation=VIOLATION),
         record("tools.parallel", "tools", "unsupported", reason="no tools")],
        base_url="http://bad/v1", meta={"hints": ["try /v1"]},
    )  # fmt: skip
    return Matrix({"good": good, "bad": bad})


def test_matrix_table_in_the_terminal_markdown_and_json() -> None:
    matrix = make_matrix()
    assert matrix.check_ids() == ["models.list.schema", "chat.usage", "tools.parallel"]
    lines = matrix.terminal_lines()
    assert lines[0].split() == ["check", "good", "bad"]
    assert lines[1].split() == ["models.list.schema", "pass", "-"]
    assert lines[2].split() == ["chat.usage", "pass", "fail"]
    assert lines[3].split() == ["tools.parallel", "-", "unsup"]
    assert "bad: http://bad/v1: 1 fail, 1 unsup" in lines
    assert "  HINT try /v1" in lines
    assert any(line.startswith("  FAILED chat.usage: <stream>: ") for line in lines)
    markdown = matrix.to_markdown()
    assert "| check | `good` | `bad` |" in markdown
    assert "| `chat.usage` | pass | fail |" in markdown
    assert "- FAILED chat.usage: <stream>: expected data: [DONE]" in markdown
    data = json.loads(matrix.to_json())
    assert data["checks"]["chat.usage"] == {"good": "passed", "bad": "failed"}
    assert data["servers"]["bad"]["ok"] is False
    assert data["reports"]["good"]["checks"][0]["check_id"] == "chat.usage"
    assert not matrix.ok()


def test_matrix_merges_separate_runs_by_server(tmp_path: Path) -> None:
    matrix = make_matrix()
    first = tmp_path / "first"
    matrix.write(first)
    later = report_from(
        [record("chat.usage", "chat", "passed"), record("embeddings.base64", "embeddings",
                                                        "passed")],
        base_url="http://bad/v1", meta={"server_name": "bad"},
    )  # fmt: skip
    (tmp_path / "later.json").write_text(later.to_json())
    merged = merge_files([tmp_path / "first.json", tmp_path / "later.json"])
    assert list(merged.reports) == ["good", "bad"]
    assert merged.cell("bad", "chat.usage") == "passed"
    assert merged.cell("bad", "tools.parallel") == "unsupported"
    assert merged.cell("bad", "embeddings.base64") == "passed"
    assert merged.ok()


def test_matrix_load_names_a_report_by_its_base_url_and_refuses_other_json(
    tmp_path: Path,
) -> None:
    (tmp_path / "r.json").write_text(report_from([], base_url="http://x/v1").to_json())
    assert list(Matrix.load(tmp_path / "r.json").reports) == ["http://x/v1"]
    (tmp_path / "other.json").write_text("{}")
    with pytest.raises(ValueError, match="neither a conformance report nor a matrix"):
        Matrix.load(tmp_path / "other.json")


def test_combine_records_keeps_a_selected_record_over_a_consulted_one() -> None:
    selected = record("chat.stream.sse", "chat-streaming", "passed")
    consulted = record("chat.stream.sse", "chat-streaming", "failed", consulted=True)
    assert combine_records([[selected], [consulted]])[0]["outcome"] == "passed"
    assert combine_records([[consulted], [selected]])[0]["outcome"] == "passed"
    again = record("chat.stream.sse", "chat-streaming", "failed")
    assert combine_records([[selected], [again]])[0]["outcome"] == "failed"


def test_cli_servers_file_runs_every_server_into_one_matrix(tmp_path: Path) -> None:
    with serving() as good, serving(quirks=("chunk-id-changes",)) as bad:
        servers = [
            {"name": name, "base_url": url, "api_key": API_KEY, "profile": "fixture-mock",
             "models": {"chat": MODEL, "embeddings": EMBEDDING_MODEL},
             "features": ["models", "chat-streaming"]}
            for name, url in (("plain", good), ("broken", bad))
        ]  # fmt: skip
        path = write(tmp_path, servers)
        result = CliRunner().invoke(
            main, ["conformance", "--servers", str(path), "--report", str(tmp_path / "m")]
        )
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["check", "plain", "broken"]
    assert any(line.split() == ["chat.stream.id-stable", "pass", "fail"] for line in lines)
    data = json.loads((tmp_path / "m.json").read_text())
    assert data["checks"]["chat.stream.id-stable"] == {"plain": "passed", "broken": "failed"}
    assert data["reports"]["broken"]["meta"]["server_name"] == "broken"
    merged = CliRunner().invoke(main, ["conformance", "--merge", str(tmp_path / "m.json")])
    assert merged.exit_code == 1
    assert merged.output.splitlines()[0].split() == ["check", "plain", "broken"]


def test_cli_servers_file_errors_are_usage_errors(tmp_path: Path) -> None:
    path = write(tmp_path, [{"name": "a", "base_url": "u"}])
    result = CliRunner().invoke(main, ["conformance", "--servers", str(path)])
    assert result.exit_code == 2
    assert "servers[0].models.chat: the chat model is required" in result.output
