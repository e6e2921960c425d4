"""Strict wire models: field-by-field violations, attributed to the check that owns the rule."""

from __future__ import annotations

from typing import Any

import pytest

from conformance.failures import Violation
from conformance.validation import validate
from conformance.wire import ChatCompletion, ChatCompletionChunk, ErrorResponse


def chunk(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 1700000000,
        "model": "m",
        "choices": [{"index": 0, "delta": {"content": "hi"}, "finish_reason": None}],
    }
    base.update(changes)
    return base


def test_validate_accepts_a_chunk_with_extra_fields() -> None:
    validate(ChatCompletionChunk, chunk(obfuscation="abc", usage=None))


@pytest.mark.parametrize(
    ("changes", "path", "expected", "actual"),
    [
        ({"created": 1.5}, "chunks[2].created", "an integer", "1.5"),
        (
            {"object": "chat.completion"},
            "chunks[2].object",
            "one of 'chat.completion.chunk'",
            '"chat.completion"',
        ),
        (
            {"choices": [{"index": 0, "delta": {}, "finish_reason": "eos_token"}]},
            "chunks[2].choices[0].finish_reason",
            "one of 'stop', 'length', 'tool_calls', 'content_filter' or 'function_call'",
            '"eos_token"',
        ),
        (
            {"choices": [{"index": 0, "delta": {}}]},
            "chunks[2].choices[0].finish_reason",
            "the key to be present",
            "no such key",
        ),
    ],
    ids=["created-float", "object", "finish-enum", "finish-key-missing"],
)
def test_validate_names_path_expected_and_actual(
    changes: dict[str, Any], path: str, expected: str, actual: str
) -> None:
    data = chunk(**changes)
    with pytest.raises(Violation) as info:
        validate(ChatCompletionChunk, data, prefix="chunks[2]")
    assert (info.value.path, info.value.expected, info.value.actual) == (path, expected, actual)
    assert info.value.owner is None


def test_validate_hands_a_rule_to_its_owner_and_prefers_its_own_rules() -> None:
    owners = [("created", "chat.response.schema"), ("choices[*].finish_reason=null", "x.finish")]
    with pytest.raises(Violation) as info:
        validate(ChatCompletionChunk, chunk(created=1.5), owners=owners)
    assert info.value.owner == "chat.response.schema"
    with pytest.raises(Violation) as info:
        validate(ChatCompletionChunk, chunk(created=1.5, model=3), owners=owners)
    assert (info.value.path, info.value.owner) == ("model", None)


def test_validate_null_condition_of_an_owner_pattern() -> None:
    owners = [("choices[*].finish_reason=null", "chat.stream.finish-reason-present")]
    body: dict[str, Any] = {
        "id": "x",
        "object": "chat.completion",
        "created": 1,
        "model": "m",
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": "", "refusal": None},
             "finish_reason": None, "logprobs": None}
        ],
    }  # fmt: skip
    with pytest.raises(Violation) as info:
        validate(ChatCompletion, body, owners=owners)
    assert info.value.owner == "chat.stream.finish-reason-present"
    body["choices"][0]["finish_reason"] = "eos"
    with pytest.raises(Violation) as info:
        validate(ChatCompletion, body, owners=owners)
    assert info.value.owner is None


def test_validate_error_envelope_code_must_be_a_string_or_null() -> None:
    validate(ErrorResponse, {"error": {"message": "m", "type": "t", "param": None, "code": None}})
    with pytest.raises(Violation) as info:
        validate(
            ErrorResponse, {"error": {"message": "m", "type": "t", "param": None, "code": 400}}
        )
    assert info.value.path == "error.code"
