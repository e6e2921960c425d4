"""Property: any malformed request gets a 4xx error envelope, never a 5xx or another body."""

from __future__ import annotations

import json
import math
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from tests.support import USER, InProcess, examples, is_envelope

ENDPOINTS = {
    "/v1/chat/completions": {"model": "gpt-4o-mini", "messages": USER},
    "/v1/completions": {"model": "gpt-3.5-turbo-instruct", "prompt": "blue giraffe"},
    "/v1/embeddings": {"model": "text-embedding-3-small", "input": "blue giraffe"},
}

_any_text = st.text(alphabet=st.characters() | st.characters(categories=["Cs"]), max_size=20)
_scalars = st.none() | st.booleans() | st.integers() | st.floats() | _any_text
json_values = st.recursive(
    _scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(_any_text, children, max_size=4)
    ),
    max_leaves=12,
)

_not_str = json_values.filter(lambda v: not isinstance(v, str))
_not_bool = json_values.filter(lambda v: not isinstance(v, bool) and v is not None)
_not_int = json_values.filter(
    lambda v: v is not None and (isinstance(v, bool) or not isinstance(v, int))
)
_not_number = json_values.filter(
    lambda v: v is not None and (isinstance(v, bool) or not isinstance(v, (int, float)))
)
_not_object = json_values.filter(lambda v: v is not None and not isinstance(v, dict))


def _outside(low: float, high: float) -> st.SearchStrategy[float]:
    return (
        st.floats(max_value=low, exclude_max=True)
        | st.floats(min_value=high, exclude_min=True)
        | st.just(math.nan)
    )


# (endpoint, dotted field, strategy of bad values): each field corrupted on its own.
CORRUPTIONS: list[tuple[str, str, st.SearchStrategy[Any]]] = [
    ("/v1/chat/completions", "model", _not_str),
    (
        "/v1/chat/completions",
        "messages",
        _not_object.filter(lambda v: not isinstance(v, list)) | st.just([]),
    ),
    ("/v1/chat/completions", "messages", st.lists(_not_object, min_size=1, max_size=2)),
    (
        "/v1/chat/completions",
        "messages.0.role",
        _not_str
        | _any_text.filter(
            lambda r: r not in {"system", "developer", "user", "assistant", "tool", "function"}
        ),
    ),
    (
        "/v1/chat/completions",
        "messages.0.content",
        _not_str.filter(lambda v: v is not None and not isinstance(v, list)) | st.just([]),
    ),
    ("/v1/chat/completions", "n", st.integers(max_value=0) | st.integers(min_value=129) | _not_int),
    ("/v1/chat/completions", "max_tokens", st.integers(max_value=0) | _not_int),
    ("/v1/chat/completions", "max_completion_tokens", st.integers(max_value=0) | _not_int),
    ("/v1/chat/completions", "temperature", _outside(0, 2) | _not_number),
    ("/v1/chat/completions", "top_p", _outside(0, 1) | _not_number),
    ("/v1/chat/completions", "presence_penalty", _outside(-2, 2) | _not_number),
    ("/v1/chat/completions", "stream", _not_bool),
    ("/v1/chat/completions", "stream_options", json_values.filter(lambda v: v is not None)),
    ("/v1/chat/completions", "logprobs", _not_bool),
    ("/v1/chat/completions", "top_logprobs", st.integers(min_value=0, max_value=20)),
    (
        "/v1/chat/completions",
        "stop",
        _not_str.filter(lambda v: v is not None and not isinstance(v, list)),
    ),
    (
        "/v1/chat/completions",
        "stop",
        st.lists(_not_str, min_size=1, max_size=3) | st.lists(st.text(), min_size=5, max_size=6),
    ),
    (
        "/v1/chat/completions",
        "tools",
        _not_object.filter(lambda v: not isinstance(v, list))
        | st.lists(_not_object, min_size=1, max_size=2),
    ),
    (
        "/v1/chat/completions",
        "tool_choice",
        _any_text.filter(lambda v: v not in {"none", "auto", "required"}),
    ),
    (
        "/v1/chat/completions",
        "response_format",
        _not_object
        | st.fixed_dictionaries(
            {"type": _any_text.filter(lambda t: t not in {"text", "json_object", "json_schema"})}
        ),
    ),
    (
        "/v1/chat/completions",
        "logit_bias",
        st.dictionaries(
            st.text(max_size=5), st.integers(min_value=101) | _not_int, min_size=1, max_size=2
        ),
    ),
    ("/v1/chat/completions", "seed", _not_int),
    (
        "/v1/chat/completions",
        "metadata",
        st.dictionaries(st.text(max_size=5), _not_str, min_size=1, max_size=2),
    ),
    (
        "/v1/completions",
        "prompt",
        st.just([])
        | st.lists(
            _not_str.filter(lambda v: not isinstance(v, (int, list))), min_size=1, max_size=2
        ),
    ),
    ("/v1/completions", "max_tokens", st.integers(max_value=-1) | _not_int),
    ("/v1/completions", "logprobs", st.integers(min_value=6) | st.integers(max_value=-1)),
    ("/v1/completions", "echo", _not_bool),
    ("/v1/completions", "best_of", st.integers(min_value=21) | st.integers(max_value=-1)),
    (
        "/v1/embeddings",
        "input",
        st.just("")
        | st.just([])
        | st.just([""])
        | _not_str.filter(lambda v: v is not None and not isinstance(v, list)),
    ),
    (
        "/v1/embeddings",
        "encoding_format",
        _any_text.filter(lambda v: v not in {"float", "base64"})
        | _not_str.filter(lambda v: v is not None),
    ),
    (
        "/v1/embeddings",
        "dimensions",
        st.integers(max_value=0) | st.integers(min_value=1537) | _not_int,
    ),
]


def _corrupt(body: dict[str, Any], field: str, value: object) -> dict[str, Any]:
    body = json.loads(json.dumps(body))
    *parents, last = field.split(".")
    target: Any = body
    for key in parents:
        target = target[int(key)] if isinstance(target, list) else target[key]
    target[int(last) if isinstance(target, list) else last] = value
    if field == "top_logprobs":
        body.pop("logprobs", None)  # top_logprobs without logprobs: true is refused
    if field == "stream_options":
        body.pop("stream", None)  # stream_options without stream: true is refused
    return body


@st.composite
def corrupted_requests(draw: st.DrawFn) -> tuple[str, str, dict[str, Any]]:
    path, field, bad = draw(st.sampled_from(CORRUPTIONS))
    return path, field, _corrupt(ENDPOINTS[path], field, draw(bad))


def _assert_client_error(response: Any) -> dict[str, Any]:
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:300])
    body = response.json()
    assert is_envelope(body), body
    assert response.headers["x-request-id"].startswith("req_")
    error: dict[str, Any] = body["error"]
    return error


@settings(max_examples=examples(100), deadline=None)
@given(corrupted_requests())
def test_property_one_corrupted_field_is_a_400_naming_it(
    asgi: InProcess, case: tuple[str, str, dict[str, Any]]
) -> None:
    path, field, body = case

    response = asgi.post(path, content=json.dumps(body).encode())

    error = _assert_client_error(response)
    assert response.status_code == 400
    root = field.split(".")[0]
    assert error["param"] is not None, error
    assert error["param"].split(".")[0].split("[")[0] == root, (field, error)


@settings(max_examples=examples(80), deadline=None)
@given(st.sampled_from(sorted(ENDPOINTS)), json_values)
@example(
    "/v1/chat/completions",
    {"model": "m", "messages": [{"role": "user", "content": "\ud800"}], "n": "x"},
)
def test_property_any_json_value_is_a_client_error(
    asgi: InProcess, path: str, value: object
) -> None:
    response = asgi.post(path, content=json.dumps(value).encode())

    _assert_client_error(response)


@settings(max_examples=examples(80), deadline=None)
@given(st.sampled_from(sorted(ENDPOINTS)), st.binary(max_size=200))
@example("/v1/chat/completions", b'{"model": "m", "messages": [{"role": "user", "content": "x"}]')
@example("/v1/chat/completions", b"\xef\xbb\xbf{}")
def test_property_any_bytes_are_a_client_error(asgi: InProcess, path: str, content: bytes) -> None:
    response = asgi.post(path, content=content)

    _assert_client_error(response)
