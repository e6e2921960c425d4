"""Property: for any valid Responses request, the streamed and the non-streamed answers agree
(output, status, usage), and the stream keeps the lifecycle (RS1-RS9). Served in process."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.responses.conftest import MODEL
from tests.responses.wire import assert_lifecycle, assert_response, split_frames, without_ids
from tests.support import InProcess

_text = st.text(max_size=80)
_message = st.fixed_dictionaries(
    {
        "role": st.sampled_from(["user", "assistant", "developer"]),
        "content": st.one_of(
            _text,
            st.lists(
                _text.map(lambda t: {"type": "input_text", "text": t}), min_size=1, max_size=3
            ),
        ),
    }
)

requests = st.fixed_dictionaries(
    {
        "model": st.just(MODEL),
        "input": st.one_of(_text, st.lists(_message, min_size=1, max_size=4)),
    },
    optional={
        "instructions": _text,
        "max_output_tokens": st.integers(min_value=16, max_value=40),
        "metadata": st.dictionaries(
            st.text(min_size=1, max_size=8), st.text(max_size=8), max_size=3
        ),
    },
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=requests)
def test_property_stream_and_create_agree(asgi: InProcess, body: dict[str, Any]) -> None:
    created = asgi.post("/v1/responses", body)
    streamed = asgi.post("/v1/responses", {**body, "stream": True})

    assert created.status_code == 200, created.text
    assert streamed.status_code == 200, streamed.text
    response = created.json()
    status = response["status"]
    assert_response(response, status=status)
    final = assert_lifecycle(split_frames(streamed.content))
    assert without_ids(final) == without_ids(response)
    if status == "incomplete":
        assert response["usage"]["output_tokens"] == body["max_output_tokens"]
    else:
        assert status == "completed"
        limit = body.get("max_output_tokens")
        assert limit is None or response["usage"]["output_tokens"] <= limit
