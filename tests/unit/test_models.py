"""``mockgpt.models``: request validation and the ``param`` path of each error."""

from __future__ import annotations

from typing import Any

import pytest

from mockgpt.errors import RequestRejected
from mockgpt.models import (
    CreateChatCompletionRequest,
    CreateCompletionRequest,
    CreateEmbeddingRequest,
    validate_request,
)
from mockgpt.models.chat import content_text
from mockgpt.models.common import json_type_name, param_path

USER = [{"role": "user", "content": "hi"}]
CHAT = {"model": "m", "messages": USER}


@pytest.mark.parametrize(
    ("loc", "param"),
    [
        (("model",), "model"),
        (("messages", 0, "role"), "messages[0].role"),
        (("messages", 2, "role:user", "content", "str"), "messages[2].content"),
        (
            (
                "messages",
                0,
                "role:user",
                "content",
                "list[tagged-union[...]]",
                1,
                "part:text",
                "text",
            ),
            "messages[0].content[1].text",
        ),
        (("stop", "list[str]", 3), "stop[3]"),
        (("stream_options", "include_usage"), "stream_options.include_usage"),
        (("logit_bias", "50256"), "logit_bias.50256"),
        ((), ""),
    ],
    ids=[
        "top",
        "role",
        "union-member",
        "content-part",
        "list-member",
        "nested",
        "dict-key-digits",
        "root",
    ],
)
def test_param_path_drops_union_labels(loc: tuple[Any, ...], param: str) -> None:
    assert param_path(loc) == param


@pytest.mark.parametrize(
    ("value", "name"),
    [
        (None, "null"),
        (True, "a boolean"),
        (1, "an integer"),
        (1.5, "a number"),
        ("s", "a string"),
        ([], "an array"),
        ({}, "an object"),
    ],
    ids=["null", "bool", "int", "float", "str", "list", "dict"],
)
def test_json_type_name(value: object, name: str) -> None:
    assert json_type_name(value) == name


@pytest.mark.parametrize(
    ("body", "param", "code"),
    [
        ([], None, "invalid_type"),
        ({"model": "m"}, "messages", "missing_required_parameter"),
        ({"messages": USER}, "model", "missing_required_parameter"),
        (
            {**CHAT, "messages": [{"role": "user", "content": "x", "name": 5}]},
            "messages[0].name",
            "invalid_type",
        ),
        (
            {
                **CHAT,
                "messages": [
                    {"role": "assistant", "tool_calls": [{"id": "c", "type": "function"}]}
                ],
            },
            "messages[0].tool_calls[0].function",
            "missing_required_parameter",
        ),
        (
            {
                **CHAT,
                "messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {}}]}],
            },
            "messages[0].content[0].image_url.url",
            "missing_required_parameter",
        ),
        (
            {**CHAT, "messages": [{"role": "user", "content": [{"text": "x"}]}]},
            "messages[0].content[0].type",
            "missing_required_parameter",
        ),
        (
            {**CHAT, "messages": [{"role": "user", "content": [{"type": 1}]}]},
            "messages[0].content[0].type",
            "invalid_type",
        ),
        (
            {**CHAT, "messages": [{"role": "user", "content": ["x"]}]},
            "messages[0].content[0]",
            "invalid_type",
        ),
        ({**CHAT, "logit_bias": {"1": 101}}, "logit_bias.1", "integer_above_max_value"),
        ({**CHAT, "top_p": -0.5}, "top_p", "decimal_below_min_value"),
        (
            {**CHAT, "tool_choice": {"type": "function"}},
            "tool_choice.function",
            "missing_required_parameter",
        ),
        ({**CHAT, "tool_choice": {"type": "bogus"}}, "tool_choice.type", "invalid_value"),
        ({**CHAT, "tool_choice": "sometimes"}, "tool_choice", "invalid_value"),
        ({**CHAT, "tool_choice": 5}, "tool_choice", "invalid_value"),
        (
            {**CHAT, "tools": [{"type": "function", "function": {"name": "has space"}}]},
            "tools[0].function.name",
            "invalid_value",
        ),
        (
            {**CHAT, "response_format": {"type": "json_schema", "json_schema": {}}},
            "response_format.json_schema.name",
            "missing_required_parameter",
        ),
        ({**CHAT, "metadata": {"k": 1}}, "metadata.k", "invalid_type"),
    ],
    ids=[
        "not-object",
        "messages-missing",
        "model-missing",
        "name-int",
        "tool-call-function-missing",
        "image-url-missing",
        "part-type-missing",
        "part-type-int",
        "part-not-object",
        "logit-bias-high",
        "top-p-negative",
        "tool-choice-function-missing",
        "tool-choice-type-unknown",
        "tool-choice-string-unknown",
        "tool-choice-int",
        "tool-name-pattern",
        "json-schema-name-missing",
        "metadata-value-int",
    ],
)
def test_validate_chat_request_names_the_param(body: object, param: str | None, code: str) -> None:
    with pytest.raises(RequestRejected) as caught:
        validate_request(CreateChatCompletionRequest, body)

    error = caught.value
    assert (error.status, error.type) == (400, "invalid_request_error")
    assert (error.param, error.code) == (param, code)
    assert error.envelope() == {
        "error": {"message": error.message, "type": error.type, "param": param, "code": code}
    }


def test_validate_chat_request_accepts_every_message_role() -> None:
    messages = [
        {"role": "system", "content": "s"},
        {"role": "developer", "content": [{"type": "text", "text": "d"}]},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "u"},
                {"type": "image_url", "image_url": {"url": "data:,"}},
            ],
        },
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
            ],
        },
        {"role": "tool", "content": "42", "tool_call_id": "c1"},
        {"role": "function", "content": None, "name": "f"},
        {"role": "assistant", "refusal": "no", "content": [{"type": "refusal", "refusal": "no"}]},
    ]

    request = validate_request(
        CreateChatCompletionRequest, {**CHAT, "messages": messages, "vendor_extra": 1}
    )

    assert [m.role for m in request.messages] == [m["role"] for m in messages]
    assert request.model_extra == {"vendor_extra": 1}


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({}, (1, None, (), False)),
        ({"n": 3, "max_tokens": 5}, (3, 5, (), False)),
        ({"max_tokens": 5, "max_completion_tokens": 7}, (1, 7, (), False)),
        ({"stop": "x"}, (1, None, ("x",), False)),
        ({"stop": ["a", "", "b"]}, (1, None, ("a", "b"), False)),
        ({"stream": True, "stream_options": {"include_usage": True}}, (1, None, (), True)),
    ],
    ids=[
        "defaults",
        "n-and-max",
        "max-completion-wins",
        "stop-string",
        "stop-drops-empty",
        "include-usage",
    ],
)
def test_chat_request_properties(body: dict[str, Any], expected: tuple[Any, ...]) -> None:
    request = validate_request(CreateChatCompletionRequest, {**CHAT, **body})

    assert (
        request.choice_count,
        request.token_limit,
        request.stop_sequences,
        request.include_usage,
    ) == expected


@pytest.mark.parametrize(
    ("content", "text"),
    [
        (None, ""),
        ("plain", "plain"),
        ([{"type": "text", "text": "a"}, {"type": "text", "text": "b"}], "ab"),
    ],
    ids=["none", "string", "parts"],
)
def test_content_text(content: object, text: str) -> None:
    if isinstance(content, list):
        message = validate_request(
            CreateChatCompletionRequest,
            {**CHAT, "messages": [{"role": "user", "content": content}]},
        )
        content = message.messages[0].content
    assert content_text(content) == text


@pytest.mark.parametrize(
    ("prompt", "prompts"),
    [
        ("one", ["one"]),
        (["a", "b"], ["a", "b"]),
        ([1, 2, 3], ["1 2 3"]),
        ([[1, 2], [3]], ["1 2", "3"]),
        (None, [""]),
    ],
    ids=["string", "strings", "token-ids", "token-id-lists", "null"],
)
def test_completion_request_prompts(prompt: object, prompts: list[str]) -> None:
    request = validate_request(CreateCompletionRequest, {"model": "m", "prompt": prompt})

    assert request.prompts == prompts


def test_completion_request_defaults() -> None:
    request = validate_request(CreateCompletionRequest, {"model": "m", "prompt": "x"})

    assert (request.max_tokens, request.choice_count, request.echo) == (16, 1, None)


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"model": "m", "prompt": []}, "prompt"),
        ({"model": "m", "prompt": "x", "n": 2, "best_of": 1}, "best_of"),
        ({"model": "m", "prompt": "x", "stream": True, "best_of": 2}, "best_of"),
        ({"model": "m", "prompt": "x", "max_tokens": -1}, "max_tokens"),
    ],
    ids=["prompt-empty-list", "best-of-below-n", "best-of-with-stream", "max-tokens-negative"],
)
def test_validate_completion_request_names_the_param(body: dict[str, Any], param: str) -> None:
    with pytest.raises(RequestRejected) as caught:
        validate_request(CreateCompletionRequest, body)

    assert (caught.value.status, caught.value.param) == (400, param)


@pytest.mark.parametrize(
    ("value", "texts"),
    [("a", ["a"]), (["a", "b"], ["a", "b"]), ([5, 6], ["5 6"]), ([[5], [6, 7]], ["5", "6 7"])],
    ids=["string", "strings", "token-ids", "token-id-lists"],
)
def test_embedding_request_texts(value: object, texts: list[str]) -> None:
    request = validate_request(CreateEmbeddingRequest, {"model": "m", "input": value})

    assert request.texts == texts
    assert request.encoding_format == "float"


@pytest.mark.parametrize(
    ("value", "param"),
    [("", "input"), ([], "input"), ([""], "input[0]"), ([[]], "input[0]"), (["a"] * 2049, "input")],
    ids=["empty-string", "empty-list", "empty-item", "empty-token-list", "too-many"],
)
def test_validate_embedding_request_rejects_empty_or_too_many_inputs(
    value: object, param: str
) -> None:
    with pytest.raises(RequestRejected) as caught:
        validate_request(CreateEmbeddingRequest, {"model": "m", "input": value})

    assert (caught.value.status, caught.value.param) == (400, param)


def test_validate_embedding_request_accepts_a_long_token_id_input() -> None:
    """2048 limits the number of inputs, not the tokens of one token-id input."""
    request = validate_request(CreateEmbeddingRequest, {"model": "m", "input": list(range(3000))})

    assert len(request.texts) == 1
