"""The README's "Files and Batches" scenario does what the README says it does."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from mockgpt.scenarios import Scenario
from mockgpt.server import MockServer
from tests.batches.conftest import CHAT, FilesApi, chat_line, jsonl, read_jsonl

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_scenario() -> dict:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("### Files and Batches") :]
    block = re.search(r"```yaml\n(.*?)```", section, re.DOTALL)
    assert block is not None
    loaded: dict = yaml.safe_load(block.group(1))
    return loaded


def test_batches_readme_scenario(server: MockServer, files_api: FilesApi) -> None:
    server.engine.registry.add(Scenario.model_validate({"name": "readme", **readme_scenario()}))
    source = files_api.upload(jsonl([chat_line("a", "hello"), chat_line("b", "a refund please")]))
    created = files_api(
        "batches.create", input_file_id=source.id, endpoint=CHAT, completion_window="24h"
    )

    seen = [files_api("batches.retrieve", created.id) for _ in range(3)]

    assert [created.status, *(b.status for b in seen)] == [
        "validating",
        "in_progress",
        "in_progress",
        "completed",
    ]
    errors = read_jsonl(files_api("files.content", seen[-1].error_file_id))
    assert [(e["custom_id"], e["response"]["status_code"]) for e in errors] == [("b", 429)]
