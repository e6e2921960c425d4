"""The README's "Reasoning models" snippets, run as written: its scenario and its client code."""

from __future__ import annotations

import re
from pathlib import Path

import openai
import yaml

from mockgpt.scenarios import Scenario
from mockgpt.server import MockServer

README = Path(__file__).resolve().parents[2] / "README.md"


def _blocks(language: str) -> list[str]:
    text = README.read_text(encoding="utf-8")
    section = re.split(r"\n#{2,3} ", text.split("### Reasoning models", 1)[1], maxsplit=1)[0]
    return re.findall(rf"```{language}\n(.*?)```", section, flags=re.DOTALL)


def test_readme_reasoning_scenario_scripts_the_summary_and_tokens(server: MockServer) -> None:
    [scenario] = _blocks("yaml")
    server.engine.registry.add(Scenario.model_validate(yaml.safe_load(scenario)))

    with openai.OpenAI(base_url=server.base_url, api_key="x", max_retries=0) as client:
        response = client.responses.create(model="gpt-4o-mini", input="plan a trip")

    reasoning, _ = response.output
    assert reasoning.type == "reasoning"
    assert [s.text for s in reasoning.summary] == [
        "The user wants to travel: plan a trip.",
        "The early train is fastest.",
    ]
    assert response.output_text == "Take the 9:14 train."
    assert response.usage.output_tokens_details.reasoning_tokens == 256


def test_readme_reasoning_client_snippet_runs(server: MockServer) -> None:
    [snippet] = _blocks("python")

    with openai.OpenAI(base_url=server.base_url, api_key="x", max_retries=0) as client:
        exec(compile(snippet, "README.md", "exec"), {"client": client})
