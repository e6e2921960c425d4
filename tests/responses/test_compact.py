"""``POST /v1/responses/compact``: a conversation as its user messages and one compaction item,
which a later request sends back to continue the same conversation.

The client here is not strict: the SDK types ``CompactedResponse.output`` as output items, whose
messages must be the assistant's, while the spec (``CompactResource.output``: ``ItemField``) and
the SDK's own docstring list the user messages there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import openai
import pytest

from mockgpt.server import MockServer
from tests.responses.conftest import MODEL


@pytest.fixture
def client(server: MockServer) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=server.base_url, api_key="x", max_retries=0) as client:
        yield client


def test_compact_lists_the_user_messages_then_one_compaction_item(
    client: openai.OpenAI,
) -> None:
    first = client.responses.create(model=MODEL, input="my name is Ada")
    compacted = client.responses.compact(
        model=MODEL, input="what is my name?", previous_response_id=first.id
    )
    counted = client.responses.input_tokens.count(
        model=MODEL, input="what is my name?", previous_response_id=first.id
    )

    assert compacted.object == "response.compaction"
    *kept, item = compacted.output
    assert [(m.type, m.role, m.content[0].text) for m in kept] == [  # type: ignore[union-attr]
        ("message", "user", "my name is Ada"),
        ("message", "user", "what is my name?"),
    ]
    assert item.type == "compaction"
    assert item.encrypted_content  # type: ignore[union-attr]
    assert compacted.usage.input_tokens == counted.input_tokens
    assert compacted.usage.total_tokens == compacted.usage.input_tokens


def test_compacted_output_sent_as_input_continues_the_conversation(
    client: openai.OpenAI, http: httpx.Client, stub: Callable[..., None]
) -> None:
    stub(
        {
            "id": "remembers",
            "match": {"any_message": {"contains": "my name is Ada"}, "last_user": "and now?"},
            "respond": {"content": "You are Ada."},
        }
    )
    first = client.responses.create(model=MODEL, input="my name is Ada")
    compacted = http.post(
        "/v1/responses/compact",
        json={"model": MODEL, "input": "hello", "previous_response_id": first.id},
    )
    items = compacted.json()["output"]  # as the application keeps them: the JSON it got
    follow_up = [*items, {"role": "user", "content": "and now?"}]

    answer = client.responses.create(model=MODEL, input=follow_up)  # type: ignore[arg-type]
    from_compaction = client.responses.input_tokens.count(model=MODEL, input=follow_up)  # type: ignore[arg-type]
    from_chain = client.responses.input_tokens.count(
        model=MODEL,
        input=[{"role": "user", "content": "hello"}, {"role": "user", "content": "and now?"}],
        previous_response_id=first.id,
    )

    assert answer.output_text == "You are Ada."
    # the compaction stands for the same conversation: the same messages, the same count
    assert from_compaction.input_tokens == from_chain.input_tokens


def test_compact_bad_requests_get_the_error_envelope(http: httpx.Client) -> None:
    no_model = http.post("/v1/responses/compact", json={"input": "hi"})
    unknown = http.post(
        "/v1/responses/compact",
        json={"model": MODEL, "input": "hi", "previous_response_id": "resp_nope"},
    )

    assert no_model.status_code == 400
    assert no_model.json()["error"]["param"] == "model"
    assert unknown.status_code == 404
    assert unknown.json()["error"]["param"] == "previous_response_id"
