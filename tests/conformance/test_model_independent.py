"""Assertions that hold whatever the model says: a stop word from the model's own answer, too
short to cut is unsupported, cut JSON is not judged, a refused ``tool_choice: required`` makes
the tool checks unsupported, and every request pins ``max_tokens``, ``temperature`` and
``seed``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from conformance import FEATURES, run_suite
from conformance.checks.chat import stop_word
from tests.conformance.conftest import API_KEY, serve_app, serving, settings_for
from tests.conformance.test_suite_mockgpt import Refusing

pytestmark = pytest.mark.timeout(300)


@pytest.mark.parametrize(
    ("content", "word"),
    [
        ("one two three four five six", "four"),
        ("Repeat exactly: alpha bravo charlie delta", "bravo"),
        ("the cat sat on the mat near another", "mat"),
        ("the theme is then there", "then"),  # "the" occurs inside earlier words: skipped
        ("abc eat hal eat hal eat hal", "eat"),  # repeats itself: no new word in the 2nd half
        ("Hi.", None),
        ("ok", None),
    ],
    ids=[
        "numbers",
        "echo",
        "repeated-word",
        "substring-earlier",
        "repetitive",
        "one-word",
        "too-short",
    ],
)
def test_stop_word_comes_from_the_second_half_of_the_answer(content: str, word: str) -> None:
    assert stop_word(content) == word


def scenario(tmp_path: Path, *stubs: dict[str, Any], name: str = "s") -> str:
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump({"name": name, "stubs": list(stubs)}))
    return str(path)


def outcomes(url: str, *check_ids: str) -> dict[str, dict[str, Any]]:
    report = run_suite(settings_for(url, property_examples=0), check_ids=list(check_ids))
    return {r["check_id"]: r for r in report.records}


def test_a_model_too_terse_to_cut_or_stop_is_unsupported_not_failed(tmp_path: Path) -> None:
    terse = scenario(tmp_path, {"match": {"endpoint": "chat.completions"},
                                "respond": {"content": "Hi."}})  # fmt: skip
    with serving(scenarios=(terse,)) as url:
        found = outcomes(url, "chat.max-tokens.length", "chat.stop.sequence")
    assert found["chat.max-tokens.length"]["outcome"] == "unsupported"
    assert found["chat.max-tokens.length"]["reason"].startswith(
        "the answer was not long enough to cut at 5 tokens"
    )
    assert found["chat.stop.sequence"]["outcome"] == "unsupported"
    assert found["chat.stop.sequence"]["reason"].startswith(
        "the answer was not long enough to stop inside"
    )


@pytest.mark.parametrize(("quirks", "outcome"), [((), "passed"), (("stop-ignored",), "failed")])
def test_stop_word_is_taken_from_what_the_model_says(
    tmp_path: Path, quirks: tuple[str, ...], outcome: str
) -> None:
    """A model that does not repeat the prompt (so a fixed word never appears) is still
    caught ignoring `stop`."""
    words = "one two three four five six seven"
    said = scenario(tmp_path, {"match": {"endpoint": "chat.completions"},
                               "respond": {"content": words}})  # fmt: skip
    with serving(scenarios=(said,), quirks=quirks) as url:
        found = outcomes(url, "chat.stop.sequence")
    record = found["chat.stop.sequence"]
    assert record["outcome"] == outcome, record
    if outcome == "failed":
        assert "'four'" in record["violation"]["expected"]
        assert record["violation"]["more"][0]["path"] == "<stream>.content"


@pytest.mark.parametrize(("finish_reason", "outcome"), [("length", "passed"), ("stop", "failed")])
def test_json_object_cut_by_the_budget_is_not_judged(
    tmp_path: Path, finish_reason: str, outcome: str
) -> None:
    cut = scenario(tmp_path, {"match": {"response_format": "json_object"},
                              "respond": {"content": '{"city": "Par',
                                          "finish_reason": finish_reason}})  # fmt: skip
    with serving(scenarios=(cut,)) as url:
        found = outcomes(url, "structured.response-format")
    assert found["structured.response-format"]["outcome"] == outcome


def test_refused_tool_choice_required_makes_the_tool_checks_unsupported() -> None:
    """tool_choice "required" refused with a 400; with auto the echo model calls no tool."""

    def refuse(path: str, body: dict[str, Any]) -> int:
        return 400 if body.get("tool_choice") == "required" else 0

    with serve_app(Refusing(refuse)) as url:
        report = run_suite(settings_for(url, property_examples=0), features=frozenset({"tools"}))
    by_id = {r["check_id"]: r for r in report.records}
    for check_id in ("tools.call-shape", "tools.arguments-json", "tools.stream.index"):
        assert by_id[check_id]["outcome"] == "unsupported", by_id[check_id]
        assert "the model chose not to call a tool" in by_id[check_id]["reason"]
    assert report.ok


def test_every_request_pins_max_tokens_temperature_and_seed(mock_server: str) -> None:
    """Chat and legacy completion requests carry all three, properties included; Responses
    requests carry max_output_tokens and temperature."""
    base = mock_server.removesuffix("/v1")
    auth = {"authorization": f"Bearer {API_KEY}"}
    httpx.post(f"{base}/_mockgpt/reset", headers=auth)
    run_suite(
        settings_for(mock_server, property_examples=3),
        features=frozenset(FEATURES) - {"models", "embeddings", "responses-streaming"},
    )
    journal = httpx.get(f"{base}/_mockgpt/journal", headers=auth).json()["data"]
    bodies = [
        (entry["path"], json.loads(entry["body"]))
        for entry in journal
        if entry["method"] == "POST" and entry.get("body") and not entry["path"].endswith("/files")
    ]
    chat = [b for p, b in bodies if p.endswith(("/chat/completions", "/v1/completions"))]
    responses = [b for p, b in bodies if p.endswith("/responses")]
    assert len(chat) > 20
    assert responses
    unpinned = [
        b
        for b in chat
        if not {"temperature", "seed"} <= b.keys()
        or not {"max_tokens", "max_completion_tokens"} & b.keys()
    ]
    assert not unpinned, unpinned[:3]
    assert all({"max_output_tokens", "temperature"} <= b.keys() for b in responses)


def test_properties_record_every_failing_case_once_per_rule_with_its_curl() -> None:
    """Out-of-range temperatures are accepted: both mutations are reported, each once, each
    with the request that shows it."""
    with serving(quirks=("invalid-temperature-accepted",)) as url:
        found = outcomes(url, "properties.chat.invalid-requests")
    violation = found["properties.chat.invalid-requests"]["violation"]
    cases = [violation, *violation["more"]]
    expected = sorted(c["expected"] for c in cases)
    assert expected == [
        "4xx for an invalid request (temperature above 2)",
        "4xx for an invalid request (temperature below 0)",
    ]
    assert '"temperature": 2.5' in " ".join(c["curl"] for c in cases)
    assert '"temperature": -0.5' in " ".join(c["curl"] for c in cases)
