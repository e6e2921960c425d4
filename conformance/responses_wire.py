"""Strict models of the Responses API's wire objects, written from the OpenAPI description.

As in ``conformance.wire``: required keys are required (nullable ones too), types are strict,
enums are closed, unknown keys are allowed. Output items are validated by their ``type``;
item types these checks do not ask for (reasoning, web search, ...) are not judged.

Spec: ``components.schemas`` ``Response`` (required: id, object, created_at, error,
incomplete_details, instructions, model, tools, output, parallel_tool_calls, metadata,
tool_choice, temperature, top_p), ``ResponseUsage``, ``OutputMessage``, ``OutputTextContent``,
``RefusalContent``, ``FunctionToolCall``, ``ResponseErrorEvent``.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel

from conformance.failures import Level, Violation
from conformance.http import Exchange
from conformance.validation import Owners, validate
from conformance.wire import _Wire

ItemStatus = Literal["in_progress", "completed", "incomplete"]
ResponseStatus = Literal["completed", "failed", "in_progress", "cancelled", "queued", "incomplete"]


class InputTokensDetails(_Wire):
    """``ResponseUsage.input_tokens_details``."""

    cached_tokens: int
    cache_write_tokens: int


class OutputTokensDetails(_Wire):
    """``ResponseUsage.output_tokens_details``."""

    reasoning_tokens: int


class ResponseUsage(_Wire):
    """``ResponseUsage``: every field is required."""

    input_tokens: int
    input_tokens_details: InputTokensDetails
    output_tokens: int
    output_tokens_details: OutputTokensDetails
    total_tokens: int


class IncompleteDetails(_Wire):
    """``Response.incomplete_details`` when set."""

    reason: Literal["max_output_tokens", "content_filter"]


class ResponseError(_Wire):
    """``ResponseError`` when set."""

    code: str
    message: str


class Response(_Wire):
    """``Response``; ``output`` items are validated one by one (``validate_response``)."""

    id: str
    object: Literal["response"]
    created_at: int | float
    status: ResponseStatus | None = None
    error: ResponseError | None
    incomplete_details: IncompleteDetails | None
    instructions: str | list[Any] | None
    model: str
    tools: list[Any]
    output: list[dict[str, Any]]
    parallel_tool_calls: bool
    metadata: dict[str, Any] | None
    tool_choice: str | dict[str, Any]
    temperature: int | float | None
    top_p: int | float | None
    previous_response_id: str | None = None
    usage: ResponseUsage | None = None


class OutputText(_Wire):
    """``OutputTextContent``."""

    type: Literal["output_text"]
    text: str
    annotations: list[Any]
    logprobs: list[Any]


class RefusalContent(_Wire):
    """``RefusalContent``."""

    type: Literal["refusal"]
    refusal: str


class OutputMessage(_Wire):
    """``OutputMessage``; ``content`` parts are validated by their ``type``."""

    id: str
    type: Literal["message"]
    role: Literal["assistant"]
    content: list[dict[str, Any]]
    status: ItemStatus


class FunctionToolCall(_Wire):
    """``FunctionToolCall``: ``arguments`` is a JSON **string**."""

    type: Literal["function_call"]
    call_id: str
    name: str
    arguments: str
    id: str | None = None
    status: ItemStatus | None = None


class ErrorEvent(_Wire):
    """``ResponseErrorEvent``: code, message, param at the top level."""

    type: Literal["error"]
    code: str | None
    message: str
    param: str | None
    sequence_number: int


_ITEMS: dict[str, type[BaseModel]] = {"message": OutputMessage, "function_call": FunctionToolCall}
_PARTS: dict[str, type[BaseModel]] = {"output_text": OutputText, "refusal": RefusalContent}


def validate_item(
    item: Any,
    *,
    exchange: Exchange | None,
    prefix: str,
    owners: Owners = (),
    level: Level = "http",
) -> None:
    """Validate one output item (a message with its parts, or a function call) by its type.

    Raises:
        Violation: the first broken rule, as ``conformance.validation.validate`` reports it.
    """
    kind = item.get("type") if isinstance(item, dict) else None
    model = _ITEMS.get(str(kind))
    if model is None:
        if not isinstance(kind, str):
            raise Violation(
                f"{prefix}.type", "a string", repr(kind), level=level, exchange=exchange
            )
        return
    validate(model, item, exchange=exchange, prefix=prefix, owners=owners, level=level)
    if model is OutputMessage:
        for position, part in enumerate(item["content"]):
            part_model = _PARTS.get(str(part.get("type")))
            if part_model is not None:
                validate(
                    part_model,
                    part,
                    exchange=exchange,
                    prefix=f"{prefix}.content[{position}]",
                    level=level,
                )


def validate_response(
    data: Any,
    *,
    exchange: Exchange | None,
    prefix: str = "",
    owners: Owners = (),
    level: Level = "http",
) -> None:
    """Validate a ``Response`` and each of its output items.

    Args:
        data: the decoded JSON.
        exchange: the request that got it.
        prefix: where ``data`` sits in the answer (``events[7].response``).
        owners: which checks own which fields (paths relative to ``data``).
        level: where it was seen.

    Raises:
        Violation: the first broken rule.
    """
    validate(Response, data, exchange=exchange, prefix=prefix, owners=owners, level=level)
    head = "output[*]."
    item_owners = [(p[len(head) :], o) for p, o in owners if p.startswith(head)]
    for position, item in enumerate(data["output"]):
        where = f"output[{position}]"
        validate_item(
            item,
            exchange=exchange,
            prefix=f"{prefix}.{where}" if prefix else where,
            owners=item_owners,
            level=level,
        )
