"""Client errors get the OpenAI error envelope, the right status and the field in ``param``."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import httpx
import pytest
from openai import AuthenticationError, BadRequestError

from mockgpt import ServerConfig
from mockgpt.server import MockServer
from tests.support import USER, Api, InProcess, assert_envelope, split_sse

CHAT = "/v1/chat/completions"
OK = {"model": "gpt-4o-mini", "messages": USER}


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"{not json", None),
        (b"", None),
        (b'{"model": "m", "messages": [', None),
        (b"\xff\xfe\x00garbage", None),
        (b"[1, 2]", "invalid_type"),
        (b'"a string"', "invalid_type"),
        (b"null", "invalid_type"),
        (b"42", "invalid_type"),
    ],
    ids=["malformed", "empty", "truncated", "binary", "array", "string", "null", "number"],
)
def test_error_body_not_a_json_object(asgi: InProcess, content: bytes, code: str | None) -> None:
    response = asgi.post(CHAT, content=content)

    error = assert_envelope(response, 400, param=None)
    assert error["type"] == "invalid_request_error"
    assert error["code"] == code


@pytest.mark.parametrize(
    ("body", "param", "code"),
    [
        ({"messages": USER}, "model", "missing_required_parameter"),
        ({"model": "m"}, "messages", "missing_required_parameter"),
        ({"model": 1, "messages": USER}, "model", "invalid_type"),
        ({"model": None, "messages": USER}, "model", "invalid_type"),
        ({"model": "m", "messages": "hi"}, "messages", "invalid_type"),
        ({"model": "m", "messages": []}, "messages", "empty_array"),
        ({"model": "m", "messages": [5]}, "messages[0]", "invalid_type"),
        (
            {"model": "m", "messages": [{"content": "x"}]},
            "messages[0].role",
            "missing_required_parameter",
        ),
        (
            {"model": "m", "messages": [{"role": "robot", "content": "x"}]},
            "messages[0].role",
            "invalid_value",
        ),
        (
            {"model": "m", "messages": [{"role": 5, "content": "x"}]},
            "messages[0].role",
            "invalid_type",
        ),
        (
            {"model": "m", "messages": [*USER, {"role": "user"}]},
            "messages[1].content",
            "missing_required_parameter",
        ),
        (
            {"model": "m", "messages": [{"role": "user", "content": 5}]},
            "messages[0].content",
            "invalid_type",
        ),
        (
            {"model": "m", "messages": [{"role": "user", "content": [{"type": "video"}]}]},
            "messages[0].content[0].type",
            "invalid_value",
        ),
        (
            {"model": "m", "messages": [{"role": "tool", "content": "x"}]},
            "messages[0].tool_call_id",
            "missing_required_parameter",
        ),
        ({**OK, "stream": "yes"}, "stream", "invalid_type"),
        ({**OK, "n": True}, "n", "invalid_type"),
        ({**OK, "n": 1.5}, "n", "invalid_type"),
        ({**OK, "max_tokens": 0}, "max_tokens", "integer_below_min_value"),
        ({**OK, "temperature": "hot"}, "temperature", "invalid_type"),
        ({**OK, "temperature": 2.5}, "temperature", "decimal_above_max_value"),
        ({**OK, "stop": 5}, "stop", "invalid_type"),
        ({**OK, "stop": [1]}, "stop[0]", "invalid_type"),
        ({**OK, "stop": ["a", "b", "c", "d", "e"]}, "stop", "array_above_max_length"),
        ({**OK, "logprobs": "yes"}, "logprobs", "invalid_type"),
        ({**OK, "response_format": {"type": "xml"}}, "response_format.type", "invalid_value"),
        (
            {**OK, "tools": [{"type": "function"}]},
            "tools[0].function",
            "missing_required_parameter",
        ),
        ({**OK, "stream": True, "stream_options": 5}, "stream_options", "invalid_type"),
        (
            {**OK, "stream": True, "stream_options": {"include_usage": "x"}},
            "stream_options.include_usage",
            "invalid_type",
        ),
    ],
    ids=[
        "missing-model",
        "missing-messages",
        "model-int",
        "model-null",
        "messages-string",
        "messages-empty",
        "message-not-object",
        "role-missing",
        "role-unknown",
        "role-int",
        "content-missing-second-message",
        "content-int",
        "part-type-unknown",
        "tool-call-id-missing",
        "stream-string",
        "n-bool",
        "n-float",
        "max-tokens-zero",
        "temperature-string",
        "temperature-high",
        "stop-int",
        "stop-item-int",
        "stop-too-many",
        "logprobs-string",
        "response-format-unknown",
        "tool-function-missing",
        "stream-options-int",
        "include-usage-string",
    ],
)
def test_error_chat_field_invalid(
    asgi: InProcess, body: dict[str, object], param: str, code: str
) -> None:
    response = asgi.post(CHAT, body)

    error = assert_envelope(response, 400, param=param, code=code)
    assert error["type"] == "invalid_request_error"


@pytest.mark.parametrize(
    ("extra", "param", "code"),
    [
        ({"n": 0}, "n", "integer_below_min_value"),
        ({"n": 129}, "n", "integer_above_max_value"),
        ({"logprobs": True, "top_logprobs": 21}, "top_logprobs", "integer_above_max_value"),
        ({"logprobs": True, "top_logprobs": -1}, "top_logprobs", "integer_below_min_value"),
        ({"top_logprobs": 2}, "top_logprobs", "invalid_value"),
        ({"stream_options": {"include_usage": True}}, "stream_options", "invalid_value"),
        (
            {"stream": False, "stream_options": {"include_usage": True}},
            "stream_options",
            "invalid_value",
        ),
    ],
    ids=[
        "n-zero",
        "n-129",
        "top-logprobs-21",
        "top-logprobs-negative",
        "top-logprobs-without-logprobs",
        "stream-options-without-stream",
        "stream-options-with-stream-false",
    ],
)
def test_error_chat_value_out_of_range(
    asgi: InProcess, extra: dict[str, object], param: str, code: str
) -> None:
    response = asgi.post(CHAT, {**OK, **extra})

    assert_envelope(response, 400, param=param, code=code)


@pytest.mark.parametrize(
    ("path", "body", "param"),
    [
        ("/v1/completions", {"prompt": "x"}, "model"),
        ("/v1/completions", {"model": "m", "prompt": 5}, "prompt"),
        ("/v1/completions", {"model": "m", "logprobs": 6}, "logprobs"),
        ("/v1/completions", {"model": "m", "n": 2, "best_of": 1}, "best_of"),
        (
            "/v1/completions",
            {"model": "m", "stream_options": {"include_usage": True}},
            "stream_options",
        ),
        ("/v1/embeddings", {"model": "m"}, "input"),
        ("/v1/embeddings", {"model": "m", "input": ""}, "input"),
        (
            "/v1/embeddings",
            {"model": "m", "input": "x", "encoding_format": "hex"},
            "encoding_format",
        ),
        ("/v1/embeddings", {"model": "m", "input": "x", "dimensions": 0}, "dimensions"),
        (
            "/v1/embeddings",
            {"model": "text-embedding-3-small", "input": "x", "dimensions": 1537},
            "dimensions",
        ),
    ],
    ids=[
        "completion-model-missing",
        "completion-prompt-int",
        "completion-logprobs-6",
        "completion-best-of-below-n",
        "completion-stream-options-without-stream",
        "embedding-input-missing",
        "embedding-input-empty",
        "embedding-format-unknown",
        "embedding-dimensions-zero",
        "embedding-dimensions-above-model",
    ],
)
def test_error_other_endpoints_field_invalid(
    asgi: InProcess, path: str, body: dict[str, object], param: str
) -> None:
    response = asgi.post(path, body)

    assert_envelope(response, 400, param=param)


def test_error_unknown_path_is_404(asgi: InProcess) -> None:
    response = asgi.get("/v1/nothing-here")

    error = assert_envelope(response, 404, param=None)
    assert "/v1/nothing-here" in error["message"]


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("GET", CHAT, "POST"),
        ("DELETE", "/v1/embeddings", "POST"),
        ("POST", "/v1/models", "HEAD, GET"),
    ],  # GET routes answer HEAD too
    ids=["get-chat", "delete-embeddings", "post-models"],
)
def test_error_wrong_method_is_405(asgi: InProcess, method: str, path: str, allowed: str) -> None:
    response = asgi.request(method, path)

    error = assert_envelope(response, 405, param=None)
    assert method in error["message"]
    # RFC 9110 15.5.6: a 405 MUST send Allow (the order of the methods does not matter)
    sent = {m.strip() for m in response.headers.get("allow", "").split(",")}
    assert sent == {m.strip() for m in allowed.split(",")}


@pytest.mark.parametrize(
    ("path", "body"),
    [
        (CHAT, {"model": "gpt-4o-mini", "messages": USER}),
        ("/v1/completions", {"model": "gpt-4o-mini", "prompt": "x"}),
        ("/v1/embeddings", {"model": "gpt-4o-mini", "input": "x"}),
    ],
    ids=["chat", "completions", "embeddings"],
)
def test_error_fixed_model_list_refuses_other_models(
    make_asgi: Callable[..., InProcess], path: str, body: dict[str, object]
) -> None:
    fixed = make_asgi(models=("only-model",), strict_models=True)

    response = fixed.post(path, body)

    error = assert_envelope(response, 404, param=None, code="model_not_found")
    assert "gpt-4o-mini" in error["message"]
    assert fixed.post(path, {**body, "model": "only-model"}).status_code == 200


def test_error_official_client_reads_the_envelope(api: Api) -> None:
    with pytest.raises(BadRequestError) as caught:
        api.chat(model="m", messages=[{"role": "robot", "content": "x"}])

    assert caught.value.status_code == 400
    assert caught.value.param == "messages[0].role"
    assert caught.value.code == "invalid_value"
    assert caught.value.type == "invalid_request_error"
    assert caught.value.request_id is not None
    assert caught.value.request_id.startswith("req_")


@pytest.mark.parametrize(
    "content",
    [
        b"[" * 100_000 + b"]" * 100_000,
        b'{"model": "m", "messages": ' + b"[" * 50_000 + b"]" * 50_000 + b"}",
    ],
    ids=["deep-array", "deep-field"],
)
def test_error_deeply_nested_json_is_a_client_error(asgi: InProcess, content: bytes) -> None:
    """JSON nested deeper than the parser's recursion limit is a bad body, not a server bug."""
    response = asgi.post(CHAT, content=content)

    assert_envelope(response, 400, param=None)


# -- the error envelope over a real socket, with special server settings ------------------------


@pytest.fixture(scope="module")
def keyed_server() -> Iterator[MockServer]:
    with MockServer(ServerConfig(port=0, api_key="sk-right")) as server:
        yield server


@pytest.fixture(scope="module")
def keyed(keyed_server: MockServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=keyed_server.url, timeout=30) as http:
        yield http


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"authorization": "Bearer sk-wrong"},
        {"authorization": "sk-right"},
        {"authorization": "Basic sk-right"},
    ],
    ids=["missing", "wrong-key", "no-scheme", "basic"],
)
@pytest.mark.parametrize(
    "path", [CHAT, "/v1/models", "/v1/nothing-here"], ids=["chat", "models", "unknown-path"]
)
def test_error_api_key_required(keyed: httpx.Client, headers: dict[str, str], path: str) -> None:
    response = (
        keyed.post(path, json=OK, headers=headers)
        if path == CHAT
        else keyed.get(path, headers=headers)
    )

    error = assert_envelope(response, 401, param=None, code="invalid_api_key")
    assert "openai-processing-ms" in response.headers
    assert "sk-right" not in error["message"]


@pytest.mark.parametrize("scheme", ["Bearer", "bearer"])
def test_error_api_key_right_key_is_served(keyed: httpx.Client, scheme: str) -> None:
    response = keyed.post(CHAT, json=OK, headers={"authorization": f"{scheme} sk-right"})

    assert response.status_code == 200
    assert response.json()["choices"][0]["message"]["content"] == "blue giraffe"


def test_error_api_key_health_stays_open(keyed: httpx.Client) -> None:
    response = keyed.get("/health")

    assert response.status_code == 200
    assert response.headers["x-request-id"].startswith("req_")


def test_error_api_key_official_client(
    api_for: Callable[..., Api], keyed_server: MockServer
) -> None:
    wrong = api_for(keyed_server, api_key="sk-wrong")
    right = api_for(keyed_server, api_key="sk-right")

    with pytest.raises(AuthenticationError) as caught:
        wrong.chat(model="m", messages=USER)
    assert caught.value.status_code == 401
    assert caught.value.code == "invalid_api_key"
    assert right.chat(model="m", messages=USER).choices[0].message.content == "blue giraffe"


@pytest.fixture(scope="module")
def small_server() -> Iterator[MockServer]:
    with MockServer(ServerConfig(port=0, max_body_bytes=1024)) as server:
        yield server


def _big_body() -> dict[str, object]:
    return {"model": "m", "messages": [{"role": "user", "content": "x" * 2000}]}


@pytest.mark.parametrize(
    "path", [CHAT, "/v1/completions", "/v1/embeddings"], ids=["chat", "completions", "embeddings"]
)
def test_error_body_over_max_body_bytes_is_413(small_server: MockServer, path: str) -> None:
    with httpx.Client(base_url=small_server.url, timeout=30) as http:
        response = http.post(path, json=_big_body())

    assert_envelope(response, 413, param=None, code="request_too_large")
    assert "1024" in response.json()["error"]["message"]


def test_error_chunked_body_over_max_body_bytes_is_413(small_server: MockServer) -> None:
    """Without a Content-Length the limit still holds, counted while reading."""
    payload = httpx.Request("POST", "/", json=_big_body()).content

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(payload), 256):
            yield payload[start : start + 256]

    with httpx.Client(base_url=small_server.url, timeout=30) as http:
        response = http.post(CHAT, content=chunks(), headers={"content-type": "application/json"})

    assert "content-length" not in response.request.headers
    assert_envelope(response, 413, param=None, code="request_too_large")


def test_error_body_under_max_body_bytes_is_served(small_server: MockServer) -> None:
    with httpx.Client(base_url=small_server.url, timeout=30) as http:
        response = http.post(CHAT, json=OK)

    assert response.status_code == 200


# -- lone surrogates: JSON may carry "\ud800", which has no UTF-8 form -------------------------


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
def test_error_lone_surrogate_in_content_is_echoed(asgi: InProcess, stream: bool) -> None:
    body = {"model": "m", "messages": [{"role": "user", "content": "a\ud800b"}], "stream": stream}

    response = asgi.post(CHAT, content=json.dumps(body).encode())

    assert response.status_code == 200, response.text
    if stream:
        chunks = [e.data for e in split_sse(response.content)[:-1]]
        text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks)
    else:
        text = response.json()["choices"][0]["message"]["content"]
    assert text == "a\ud800b"


@pytest.mark.parametrize("path", [CHAT, "/v1/completions"], ids=["chat", "completions"])
def test_error_lone_surrogate_in_model_is_not_a_server_error(asgi: InProcess, path: str) -> None:
    body: dict[str, object] = {"model": "m\udc00"}
    body |= {"messages": USER} if path == CHAT else {"prompt": "x"}

    response = asgi.post(path, content=json.dumps(body).encode())

    assert response.status_code == 200, response.text
    assert response.json()["model"] == "m\udc00"


def test_error_lone_surrogate_in_role_names_the_role(asgi: InProcess) -> None:
    body = {"model": "m", "messages": [{"role": "\ud800", "content": "x"}]}

    response = asgi.post(CHAT, content=json.dumps(body).encode())

    assert_envelope(response, 400, param="messages[0].role", code="invalid_value")
