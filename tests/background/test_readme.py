"""The README's "Background responses and webhooks" section: its stubs do what it says."""

from __future__ import annotations

import re
from pathlib import Path

import openai
import yaml

from mockgpt.scenarios import Scenario
from mockgpt.server import MockServer
from tests.background.conftest import MODEL

README = Path(__file__).resolve().parents[2] / "README.md"
TITLE = "### Background responses and webhooks"


def _yaml_block() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index(f"\n{TITLE}\n")
    section = text[start : text.index("\n## ", start)]
    (block,) = re.findall(r"```yaml\n(.*?)```", section, re.S)
    return block


def test_readme_background_stubs_poll_as_documented(
    server: MockServer, strict_client: openai.OpenAI
) -> None:
    server.engine.registry.add(
        Scenario.model_validate({"name": "readme", **yaml.safe_load(_yaml_block())})
    )

    report = strict_client.responses.create(
        model=MODEL, input="summarise the report", background=True
    )
    statuses = [strict_client.responses.retrieve(report.id).status for _ in range(3)]
    final = strict_client.responses.retrieve(report.id)

    assert [report.status, *statuses] == ["queued", "in_progress", "in_progress", "completed"]
    assert final.output_text == "The report says three things."
