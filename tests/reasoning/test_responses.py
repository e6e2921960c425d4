"""Reasoning in the Responses API, through the official client: the ``reasoning`` item, its
summary, ``encrypted_content`` on ``include``, ``reasoning_tokens``, and reasoning items sent
back on the next turn."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import httpx
import openai
import pytest

from mockgpt.backends.reasoning import ECHO_REASONING
from mockgpt.server import MockServer
from mockgpt.tokens import count_tokens
from tests.reasoning.conftest import PLAIN_MODEL, REASONING_MODEL
from tests.responses.clients import ResponsesApi

ASK = {"reasoning": {"effort": "low", "summary": "auto"}}
ENCRYPTED = ["reasoning.encrypted_content"]
SUMMARY = ECHO_REASONING.format(words=3)


def test_reasoning_model_answers_with_a_reasoning_item_first(rapi: ResponsesApi) -> None:
    response = rapi.call(
        "responses.create", model=REASONING_MODEL, input="blue green giraffe", **ASK
    )

    reasoning, message = response.output
    assert reasoning.type == "reasoning"
    assert reasoning.id.startswith("rs_")
    assert [(s.type, s.text) for s in reasoning.summary] == [("summary_text", SUMMARY)]
    assert reasoning.encrypted_content is None
    assert reasoning.status == "completed"
    assert message.type == "message"
    assert response.output_text == "blue green giraffe"
    assert response.reasoning.effort == "low"
    assert response.reasoning.summary == "auto"
    details = response.usage.output_tokens_details
    assert details.reasoning_tokens == count_tokens(SUMMARY)
    assert response.usage.output_tokens == count_tokens(SUMMARY) + count_tokens(
        "blue green giraffe"
    )
    assert response.usage.total_tokens == response.usage.input_tokens + response.usage.output_tokens


def test_reasoning_without_summary_is_an_item_with_no_summary_but_its_tokens(
    rapi: ResponsesApi,
) -> None:
    response = rapi.call(
        "responses.create",
        model=REASONING_MODEL,
        input="blue green giraffe",
        reasoning={"effort": "high"},
    )

    reasoning, _ = response.output
    assert reasoning.type == "reasoning"
    assert reasoning.summary == []
    assert response.reasoning.summary is None
    assert response.usage.output_tokens_details.reasoning_tokens == count_tokens(SUMMARY)


@pytest.mark.parametrize(
    ("model", "settings"),
    [
        (PLAIN_MODEL, ASK),
        (REASONING_MODEL, {}),
        (REASONING_MODEL, {"reasoning": {"effort": "none"}}),
    ],
    ids=["not-a-reasoning-model", "not-asked", "effort-none"],
)
def test_no_reasoning_unless_a_reasoning_model_is_asked_to(
    rapi: ResponsesApi, model: str, settings: dict[str, Any]
) -> None:
    response = rapi.call("responses.create", model=model, input="hi there", **settings)

    assert [item.type for item in response.output] == ["message"]
    assert response.usage.output_tokens_details.reasoning_tokens == 0


def test_include_encrypted_content_adds_an_opaque_base64_string(rapi: ResponsesApi) -> None:
    first = rapi.call(
        "responses.create", model=REASONING_MODEL, input="hi there", include=ENCRYPTED, **ASK
    )
    again = rapi.call(
        "responses.create", model=REASONING_MODEL, input="hi there", include=ENCRYPTED, **ASK
    )

    content = first.output[0].encrypted_content
    assert isinstance(content, str)
    assert base64.b64decode(content, validate=True)
    assert again.output[0].encrypted_content != content  # another item, another content


def test_stream_helper_parses_the_reasoning_summary_events(rapi: ResponsesApi) -> None:
    events, final = rapi.helper(
        model=REASONING_MODEL, input="blue green giraffe", include=ENCRYPTED, **ASK
    )

    kinds = [e.type for e in events]
    first_text = kinds.index("response.output_text.delta")
    reasoning_kinds = [k for k in kinds[:first_text] if "reasoning" in k or "output_item" in k]
    deltas = [e.delta for e in events if e.type == "response.reasoning_summary_text.delta"]
    assert reasoning_kinds == [
        "response.output_item.added",
        "response.reasoning_summary_part.added",
        *["response.reasoning_summary_text.delta"] * len(deltas),
        "response.reasoning_summary_text.done",
        "response.reasoning_summary_part.done",
        "response.output_item.done",
        "response.output_item.added",
    ]
    assert "".join(deltas) == SUMMARY
    assert len(deltas) > 1
    done = next(e for e in events if e.type == "response.reasoning_summary_text.done")
    assert (done.text, done.summary_index, done.output_index) == (SUMMARY, 0, 0)
    [item_done] = [
        e for e in events if e.type == "response.output_item.done" and e.item.type == "reasoning"
    ]
    assert item_done.item.encrypted_content
    reasoning = final.output[0]
    assert reasoning.summary[0].text == SUMMARY
    assert reasoning.encrypted_content == item_done.item.encrypted_content
    assert final.output_text == "blue green giraffe"
    assert final.usage.output_tokens_details.reasoning_tokens == count_tokens(SUMMARY)


def test_scripted_reasoning_summary_parts_and_tokens(
    rapi: ResponsesApi, stub: Callable[..., None]
) -> None:
    stub(
        {
            "match": {"last_user": {"contains": "plan"}},
            "respond": {
                "content": "Done.",
                "reasoning": {
                    "summary": ["First, {{ last_user }}.", "Then answer."],
                    "tokens": 120,
                },
            },
        }
    )

    response = rapi.call("responses.create", model=PLAIN_MODEL, input="plan a trip")
    events, final = rapi.helper(model=PLAIN_MODEL, input="plan a trip")

    summary = [s.text for s in response.output[0].summary]
    assert summary == ["First, plan a trip.", "Then answer."]
    assert response.usage.output_tokens_details.reasoning_tokens == 120
    assert response.usage.output_tokens == 120 + count_tokens("Done.")
    parts = [e.summary_index for e in events if e.type == "response.reasoning_summary_part.added"]
    assert parts == [0, 1]
    assert [s.text for s in final.output[0].summary] == summary
    assert final.usage.output_tokens == response.usage.output_tokens


def test_reasoning_items_sent_back_are_kept_in_the_chain(rapi: ResponsesApi) -> None:
    first = rapi.call(
        "responses.create", model=REASONING_MODEL, input="one", include=ENCRYPTED, **ASK
    )
    sent_back = [item.model_dump(exclude_none=True) for item in first.output]

    explicit = rapi.call(
        "responses.create",
        model=REASONING_MODEL,
        input=[{"role": "user", "content": "one"}, *sent_back, {"role": "user", "content": "two"}],
    )
    chained = rapi.call(
        "responses.create",
        model=REASONING_MODEL,
        input="two",
        previous_response_id=first.id,
    )

    assert explicit.output_text == chained.output_text == "two"
    # the reasoning item is no message: it adds no text, so no tokens
    assert explicit.usage.input_tokens == chained.usage.input_tokens
    items = rapi.collect("responses.input_items.list", explicit.id)
    [kept] = [i for i in items if i.type == "reasoning"]
    assert kept.id == first.output[0].id
    assert kept.summary[0].text == first.output[0].summary[0].text
    assert kept.encrypted_content == first.output[0].encrypted_content
    third = rapi.call(
        "responses.create", model=REASONING_MODEL, input="three", previous_response_id=explicit.id
    )
    assert third.output_text == "three"


@pytest.mark.parametrize(
    ("item", "param"),
    [
        ({"type": "reasoning", "summary": []}, "input[0].id"),
        ({"type": "reasoning", "id": "rs_1"}, "input[0].summary"),
        (
            {"type": "reasoning", "id": "rs_1", "summary": [{"text": "x"}]},
            "input[0].summary[0].type",
        ),
        (
            {"type": "reasoning", "id": "rs_1", "summary": [{"type": "summary_text"}]},
            "input[0].summary[0].text",
        ),
        (
            {"type": "reasoning", "id": "rs_1", "summary": [], "encrypted_content": 7},
            "input[0].encrypted_content",
        ),
    ],
    ids=["no-id", "no-summary", "part-type", "part-text", "encrypted-not-string"],
)
def test_malformed_reasoning_input_item_is_a_400_naming_the_field(
    server: MockServer, item: dict[str, Any], param: str
) -> None:
    with (
        openai.OpenAI(base_url=server.base_url, api_key="x", max_retries=0) as client,
        pytest.raises(openai.BadRequestError) as caught,
    ):
        client.responses.create(
            model=REASONING_MODEL, input=[item, {"role": "user", "content": "hi"}]
        )

    assert caught.value.status_code == 400
    assert caught.value.param == param


@pytest.mark.parametrize(
    ("field", "value"),
    [("reasoning", {"effort": "enormous"}), ("include", ["reasoning.everything"])],
    ids=["effort", "include"],
)
def test_unknown_reasoning_setting_is_a_400(server: MockServer, field: str, value: Any) -> None:
    body = {"model": REASONING_MODEL, "input": "hi", field: value}
    with httpx.Client(base_url=server.url, timeout=30) as http:
        answer = http.post("/v1/responses", json=body)

    assert answer.status_code == 400
    assert answer.json()["error"]["param"].startswith(field)
