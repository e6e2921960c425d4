"""``POST /v1/moderations`` through the official client over a socket (sync and async)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import openai
import pytest

from mockgpt.render.moderations import CATEGORIES, KEYWORDS
from mockgpt.server import MockServer
from mockgpt.testing.calls import Call


def _check_shape(result: dict[str, Any], *, omni: bool) -> None:
    assert list(result["categories"]) == list(CATEGORIES)
    assert list(result["category_scores"]) == list(CATEGORIES)
    assert all(0 <= s <= 1 for s in result["category_scores"].values())
    assert result["flagged"] == any(result["categories"].values())
    assert ("category_applied_input_types" in result) == omni


def test_moderations_keywords_flag_one_result_per_input(call: Callable[..., Any]) -> None:
    answer = call(
        lambda c: c.moderations.create(input=["They will KILL him", "a sunny day", "gore"])
    )

    raw = answer.model_dump(by_alias=True)
    assert answer.id.startswith("modr-")
    assert answer.model == "omni-moderation-latest"
    assert len(answer.results) == 3
    for result in raw["results"]:
        _check_shape(result, omni=True)
    first, second, third = raw["results"]
    assert [c for c, on in first["categories"].items() if on] == ["violence"]
    assert first["category_scores"]["violence"] == 0.9
    assert first["category_applied_input_types"]["violence"] == ["text"]
    assert not second["flagged"]
    assert all(s < 0.01 for s in second["category_scores"].values())
    assert third["categories"]["violence/graphic"]
    assert third["flagged"]


def test_moderations_every_keyword_flags_its_category(client: openai.OpenAI) -> None:
    texts = [words[0] for words in KEYWORDS.values()]
    answer = client.moderations.create(input=texts)

    for category, result in zip(KEYWORDS, answer.model_dump(by_alias=True)["results"], strict=True):
        assert result["categories"][category], (category, result["categories"])


def test_moderations_multimodal_input_is_one_result_with_image_types(
    call: Callable[..., Any],
) -> None:
    parts = [
        {"type": "text", "text": "a murder scene"},
        {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}},
    ]
    answer = call(lambda c: c.moderations.create(input=parts))

    [result] = answer.model_dump(by_alias=True)["results"]
    _check_shape(result, omni=True)
    types = result["category_applied_input_types"]
    assert types["violence"] == ["text", "image"]
    assert types["hate"] == ["text"]
    assert result["categories"]["violence"]


def test_moderations_text_model_has_no_applied_input_types(server: MockServer) -> None:
    body = {"input": "hello", "model": "text-moderation-latest"}
    answer = httpx.post(f"{server.base_url}/moderations", json=body).json()

    assert answer["model"] == "text-moderation-latest"
    _check_shape(answer["results"][0], omni=False)


def test_moderations_stub_flags_categories_with_scores(
    stub: Callable[..., None], call: Callable[..., Any], entries: Callable[[], list[Call]]
) -> None:
    stub(
        {
            "id": "gate",
            "match": {"endpoint": "moderations", "last_user": {"contains": "second"}},
            "respond": {
                "moderation": {
                    "categories": ["harassment/threatening", "illicit/violent"],
                    "scores": {"illicit/violent": 0.75, "hate": 0.2},
                }
            },
        }
    )
    answer = call(lambda c: c.moderations.create(input=["first", "second"]))

    for result in answer.model_dump(by_alias=True)["results"]:
        _check_shape(result, omni=True)
        flagged = [c for c, on in result["categories"].items() if on]
        assert flagged == ["harassment/threatening", "illicit/violent"]
        assert result["category_scores"]["illicit/violent"] == 0.75
        assert result["category_scores"]["harassment/threatening"] == 0.9
        assert result["category_scores"]["hate"] == 0.2
    [entry] = entries()
    assert (entry.endpoint, entry.entry.stub) == ("moderations", "gate")


def test_moderations_stub_flags_per_input(stub: Callable[..., None], client: openai.OpenAI) -> None:
    stub(
        {
            "match": {"endpoint": "moderations"},
            "respond": {"moderation": {"inputs": [[], ["sexual"]]}},
        }
    )
    answer = client.moderations.create(input=["kill", "b", "c"])

    assert [r.flagged for r in answer.results] == [False, True, False]
    assert answer.results[1].categories.sexual


def test_moderations_stub_for_another_endpoint_does_not_answer(
    stub: Callable[..., None], client: openai.OpenAI
) -> None:
    stub({"match": {"endpoint": "chat.completions"}, "respond": {"error": {"status": 418}}})

    assert client.moderations.create(input="hello").results[0].flagged is False


def test_moderations_stub_error_and_fault(
    stub: Callable[..., None], call: Callable[..., Any]
) -> None:
    stub(
        {
            "match": {"endpoint": "moderations", "last_user": "down"},
            "respond": {"error": {"status": 503, "message": "moderation is down"}},
        },
        {"match": {"endpoint": "moderations", "last_user": "reset"}, "fault": {"reset": True}},
    )

    with pytest.raises(openai.InternalServerError, match="moderation is down") as caught:
        call(lambda c: c.moderations.create(input="down"))
    assert caught.value.status_code == 503
    with pytest.raises(openai.APIConnectionError):
        call(lambda c: c.moderations.create(input="reset"))


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"input": 5}, "input"),
        ({"input": []}, "input"),
        ({"input": "x", "model": 3}, "model"),
        ({"input": [{"type": "audio", "x": 1}]}, "input"),
    ],
)
def test_moderations_invalid_body_is_400(
    server: MockServer, body: dict[str, Any], param: str
) -> None:
    response = httpx.post(f"{server.base_url}/moderations", json=body)

    assert response.status_code == 400
    assert response.json()["error"]["param"].startswith(param)


def test_moderations_same_request_same_results(client: openai.OpenAI) -> None:
    first = client.moderations.create(input=["a loser", "calm"])
    second = client.moderations.create(input=["a loser", "calm"])

    assert first.results == second.results
    assert first.id != second.id
