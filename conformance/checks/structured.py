"""Structured output: ``response_format`` json_object / json_schema honoured, or refused."""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from conformance.answers import ChatAnswer
from conformance.checks._shared import dumps
from conformance.context import CheckContext
from conformance.failures import Unsupported, Violation
from conformance.http import Exchange
from conformance.registry import check


class WeatherReport(BaseModel):
    """The structured answer asked for with ``json_schema`` (and with ``.parse()``)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    city: str
    temperature_c: float
    conditions: Literal["sunny", "cloudy", "rain", "snow"]


WEATHER_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "city": {"type": "string"},
        "temperature_c": {"type": "number"},
        "conditions": {"type": "string", "enum": ["sunny", "cloudy", "rain", "snow"]},
    },
    "required": ["city", "temperature_c", "conditions"],
    "additionalProperties": False,
}
PROMPT = (
    "Report the weather in Paris as JSON with the keys city, temperature_c and conditions "
    "(one of sunny, cloudy, rain, snow). Example: "
    '{"city": "Paris", "temperature_c": 21.5, "conditions": "sunny"}'
)


def require_weather_report(value: Any, where: str, exchange: Exchange) -> None:
    """Raise unless ``value`` (decoded JSON) is an instance of ``WEATHER_SCHEMA``.

    Raises:
        Violation: at the first field that breaks the schema, ``where`` being the text's path.
    """
    try:
        WeatherReport.model_validate(value)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise Violation(
            where + "".join(f".{p}" for p in first["loc"]),
            f"an instance of the json_schema ({first['msg']})",
            dumps(value)[:200],
            exchange=exchange,
        ) from None


JSON_MAX_TOKENS = 256
"""The budget of a structured answer: enough for the small object asked for."""


def _cut(answer: ChatAnswer, kind: str, not_judged: list[str]) -> bool:
    """Whether ``answer`` was cut by its budget (then noted in ``not_judged``)."""
    if answer.choices[0].get("finish_reason") != "length":
        return False
    not_judged.append(f"{kind}: the answer was cut at max_tokens {JSON_MAX_TOKENS}, not judged")
    return True


def _messages() -> list[dict[str, str]]:
    return [
        {"role": "system", "content": "You reply with JSON only."},
        {"role": "user", "content": PROMPT},
    ]


def _content(answer: ChatAnswer, kind: str) -> Any:
    content = answer.message().get("content")
    if not isinstance(content, str):
        raise Violation(
            "choices[0].message.content",
            f"JSON text ({kind})",
            dumps(content),
            exchange=answer.exchange,
        )
    try:
        return json.loads(content)
    except ValueError:
        raise Violation(
            "choices[0].message.content",
            f"valid JSON ({kind}: the format was accepted, so it must be honoured)",
            dumps(content)[:200],
            exchange=answer.exchange,
            note="a server that cannot honour response_format should refuse it with a 400",
        ) from None


@check(
    id="structured.response-format",
    feature="structured-output",
    spec="ResponseFormatJsonObject: the message the model generates is valid JSON; "
    "ResponseFormatJsonSchema: it follows the supplied JSON schema. Unsupported: 400, "
    "never ignored",
)
def response_format(ctx: CheckContext) -> None:
    """``response_format`` json_object and json_schema are honoured, or refused with a 4xx.

    Accepted json_object gives a JSON object; accepted json_schema (``strict: true``) gives
    an instance of the schema, which the official ``.parse()`` helper turns into the model.
    A format that is accepted and then ignored (free text, fenced JSON) fails. The answers
    get a budget of 256 tokens, and an answer cut by it (``finish_reason: length``) is not
    judged: cut JSON is not the server's departure.
    """
    refused: list[str] = []
    try:
        answer = ctx.chat(
            optional="response_format json_object",
            messages=_messages(),
            response_format={"type": "json_object"},
            max_tokens=JSON_MAX_TOKENS,
        )
    except Unsupported as exc:
        refused.append(exc.reason)
    else:
        if _cut(answer, "json_object", refused):
            pass
        elif not isinstance(_content(answer, "json_object"), dict):
            raise Violation(
                "choices[0].message.content",
                "a JSON object (json_object)",
                dumps(answer.message().get("content"))[:200],
                exchange=answer.exchange,
            )
    schema_format = {
        "type": "json_schema",
        "json_schema": {"name": "weather_report", "schema": WEATHER_SCHEMA, "strict": True},
    }
    try:
        answer = ctx.chat(
            optional="response_format json_schema",
            messages=_messages(),
            response_format=schema_format,
            max_tokens=JSON_MAX_TOKENS,
        )
    except Unsupported as exc:
        refused.append(exc.reason)
    else:
        if _cut(answer, "json_schema", refused):
            if len(refused) == 2:
                raise Unsupported("; ".join(refused))
            return
        value = _content(answer, "json_schema")
        require_weather_report(value, "choices[0].message.content", answer.exchange)
        _parse_helper(ctx, answer)
    if len(refused) == 2:
        raise Unsupported("; ".join(refused))


def _parse_helper(ctx: CheckContext, answer: ChatAnswer) -> None:
    with ctx.client_step("helper", answer.exchange, ".parse(response_format=WeatherReport)"):
        completion = ctx.helpers().parse(
            **ctx.chat_body(messages=_messages(), max_tokens=JSON_MAX_TOKENS),
            response_format=WeatherReport,
        )
    parsed = completion.choices[0].message.parsed
    if not isinstance(parsed, WeatherReport):
        raise Violation(
            "<helper>.choices[0].message.parsed",
            "a WeatherReport",
            repr(parsed)[:120],
            level="helper",
            exchange=answer.exchange,
        )
