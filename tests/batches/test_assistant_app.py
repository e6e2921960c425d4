"""``examples/assistant_app``'s batch grading (``Assistant.grade_all``) against mockgpt, with
the official client over the socket and no network."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import openai
import pytest

from mockgpt.server import MockServer

APP = Path(__file__).resolve().parents[2] / "examples" / "assistant_app" / "assistant_app.py"


def load_app() -> ModuleType:
    spec = importlib.util.spec_from_file_location("assistant_app", APP)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["assistant_app"] = module  # its dataclass reads its module's namespace
    spec.loader.exec_module(module)
    return module


def test_assistant_app_grades_a_batch(server: MockServer, stub: Callable[..., None]) -> None:
    stub(
        {"match": {"endpoint": "batches"}, "respond": {"lifecycle": {"polls": 2}}},
        {"match": {"last_user": {"contains": "Paris"}}, "respond": {"content": "A"}},
        {"match": {"last_user": {"contains": "Lyon"}}, "respond": {"content": "C"}},
    )
    with openai.OpenAI(base_url=server.base_url, api_key="x", max_retries=0) as client:
        assistant = load_app().Assistant(client)

        grades = assistant.grade_all({"q1": "Paris is the capital", "q2": "Lyon is the capital"})

    assert grades == {"q1": "A", "q2": "C"}
    polls = [
        e for e in server.engine.journal.entries() if e.method == "GET" and "batches" in e.path
    ]
    assert len(polls) == 2


def test_assistant_app_batch_that_fails_raises(
    server: MockServer, stub: Callable[..., None]
) -> None:
    stub({"match": {"endpoint": "batches"}, "respond": {"lifecycle": {"end": "expired"}}})
    with openai.OpenAI(base_url=server.base_url, api_key="x", max_retries=0) as client:
        assistant = load_app().Assistant(client)

        with pytest.raises(RuntimeError, match="ended expired"):
            assistant.grade_all({"q1": "anything"})
