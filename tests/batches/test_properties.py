"""Property: a batch line is answered exactly as the same request sent alone (ids and times
aside): same status, same body, for valid and invalid requests alike. Served in process."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.batches.conftest import CHAT, MODEL
from tests.support import InProcess, examples

BOUNDARY = "mockgpt-test-boundary"

_text = st.text(max_size=60)
_message = st.fixed_dictionaries(
    {"role": st.sampled_from(["user", "assistant", "system"]), "content": _text}
)
chat_bodies = st.fixed_dictionaries(
    {"model": st.just(MODEL), "messages": st.lists(_message, min_size=1, max_size=4)},
    optional={
        "max_tokens": st.integers(min_value=0, max_value=30),
        "n": st.integers(min_value=1, max_value=3),
        "stop": st.lists(st.text(min_size=1, max_size=3), max_size=2),
        "temperature": st.floats(min_value=-1, max_value=3, allow_nan=False),
        "seed": st.integers(min_value=0, max_value=2**31),
        "logprobs": st.booleans(),
    },
)
embedding_bodies = st.fixed_dictionaries(
    {
        "model": st.just("text-embedding-3-small"),
        "input": st.one_of(st.text(max_size=40), st.lists(st.text(max_size=20), max_size=3)),
    },
    optional={"dimensions": st.integers(min_value=0, max_value=8)},
)


def upload(asgi: InProcess, content: bytes) -> str:
    form = (
        (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nbatch\r\n'
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="in.jsonl"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{BOUNDARY}--\r\n".encode()
    )
    headers = {"content-type": f"multipart/form-data; boundary={BOUNDARY}"}
    response = asgi.request("POST", "/v1/files", content=form, headers=headers)
    assert response.status_code == 200, response.text
    file_id: str = response.json()["id"]
    return file_id


def batch_answer(asgi: InProcess, endpoint: str, body: dict[str, Any]) -> tuple[int, Any]:
    line = {"custom_id": "only", "method": "POST", "url": endpoint, "body": body}
    batch = asgi.post(
        "/v1/batches",
        {
            "input_file_id": upload(asgi, json.dumps(line).encode()),
            "endpoint": endpoint,
            "completion_window": "24h",
        },
    ).json()
    done = asgi.get(f"/v1/batches/{batch['id']}").json()
    assert done["status"] == "completed", done
    file_id = done["output_file_id"] or done["error_file_id"]
    (out,) = [json.loads(x) for x in asgi.get(f"/v1/files/{file_id}/content").content.splitlines()]
    assert out["custom_id"] == "only"
    return out["response"]["status_code"], out["response"]["body"]


def without_ids(body: Any) -> Any:
    if isinstance(body, dict):
        return {k: v for k, v in body.items() if k not in ("id", "created")}
    return body


def assert_same(asgi: InProcess, endpoint: str, body: dict[str, Any]) -> None:
    alone = asgi.post(endpoint, body)
    status, answer = batch_answer(asgi, endpoint, body)

    assert status == alone.status_code
    assert without_ids(answer) == without_ids(alone.json())


@settings(
    max_examples=examples(40),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(body=chat_bodies)
def test_batches_chat_line_answers_as_alone(asgi: InProcess, body: dict[str, Any]) -> None:
    assert_same(asgi, CHAT, body)


@settings(
    max_examples=examples(25),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(body=embedding_bodies)
def test_batches_embeddings_line_answers_as_alone(asgi: InProcess, body: dict[str, Any]) -> None:
    assert_same(asgi, "/v1/embeddings", body)
