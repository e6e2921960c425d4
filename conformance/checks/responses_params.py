"""The Responses API, not streamed: what the request's parameters ask of a ``Response``.

Truncation by ``max_output_tokens``, chaining by ``previous_response_id``, retrieval of a
stored response, and structured output through ``text.format``.

A server without ``/v1/responses`` reports every check here as unsupported.
"""

from __future__ import annotations

import json
from typing import Any

from conformance.checks import _responses as rs
from conformance.checks._shared import dumps
from conformance.checks.structured import (
    WEATHER_SCHEMA,
    WeatherReport,
    require_weather_report,
)
from conformance.context import CheckContext
from conformance.failures import Unsupported, Violation
from conformance.registry import PROXY_CAVEAT, check

STRUCTURED_PROMPT = (
    "Report the weather in Paris as JSON with the keys city, temperature_c and conditions "
    "(one of sunny, cloudy, rain, snow)."
)
STRUCTURED_INSTRUCTIONS = "You reply with JSON only."


@check(
    id="responses.incomplete",
    feature="responses",
    spec="Response.status `incomplete` with incomplete_details.reason `max_output_tokens` when "
    "max_output_tokens cuts the answer; streamed, the terminal event is response.incomplete",
)
def incomplete(ctx: CheckContext) -> None:
    """An answer cut by ``max_output_tokens`` is ``incomplete``, not ``completed``.

    ``incomplete_details.reason`` is ``max_output_tokens``; a stream ends with
    ``response.incomplete`` (vLLM answered ``completed``). An answer that ends by itself
    before the limit is not judged.
    """
    answer = rs.create(ctx, rs.long_body(ctx))
    response = answer.response
    if response.get("status") != "incomplete":
        usage = response.get("usage")
        used = usage.get("output_tokens") if isinstance(usage, dict) else None
        if isinstance(used, int) and used < rs.TRUNCATED_MAX_OUTPUT_TOKENS:
            raise Unsupported(
                f"the answer ended after {used} tokens, before max_output_tokens "
                f"{rs.TRUNCATED_MAX_OUTPUT_TOKENS}: nothing was cut",
                exchange=answer.exchange,
            )
        raise Violation(
            "status",
            f"incomplete (max_output_tokens {rs.TRUNCATED_MAX_OUTPUT_TOKENS} cut the answer)",
            f"{dumps(response.get('status'))}, {used} output tokens",
            exchange=answer.exchange,
        )
    details = response.get("incomplete_details")
    if not isinstance(details, dict) or details.get("reason") != "max_output_tokens":
        raise Violation(
            "incomplete_details",
            '{"reason": "max_output_tokens"}',
            dumps(details),
            exchange=answer.exchange,
        )
    stream = rs.stream(ctx, rs.long_body(ctx))
    terminal = stream.terminal()
    if terminal.type != "response.incomplete":
        raise Violation(
            f"events[{terminal.position}].type",
            "response.incomplete",
            terminal.type,
            exchange=stream.exchange,
        )


@check(
    id="responses.previous-response-id",
    feature="responses",
    spec="CreateResponse.previous_response_id: the unique ID of the previous response, to "
    "create multi-turn conversations; Response.previous_response_id",
)
def previous_response_id(ctx: CheckContext) -> None:
    """A stored response is continued with ``previous_response_id``, which the answer names.

    A server that does not keep responses refuses the parameter with a 4xx (unsupported).
    Whether the earlier turn reached the model is not visible on the wire and not judged.
    """
    first = rs.create(ctx, rs.body(ctx, store=True))
    previous = first.response.get("id")
    second = rs.create(
        ctx,
        rs.body(ctx, input="Say it once more.", previous_response_id=previous),
        optional="previous_response_id",
        cache=False,
    )
    if second.response.get("previous_response_id") != previous:
        raise Violation(
            "previous_response_id",
            dumps(previous),
            dumps(second.response.get("previous_response_id")),
            exchange=second.exchange,
        )
    if second.response.get("id") == previous:
        raise Violation(
            "id", f"a new id (not {previous})", dumps(previous), exchange=second.exchange
        )


@check(
    id="responses.retrieve",
    feature="responses",
    spec="GET /responses/{response_id} (getResponse): the stored Response; an unknown id is a "
    "404 error",
    caveat=PROXY_CAVEAT,
)
def retrieve(ctx: CheckContext) -> None:
    """``GET /responses/{id}`` returns the stored response as it finished.

    The same id, status and output as ``POST /responses`` answered; an unknown id is a 404
    error envelope. A server that does not store responses (404 for the new id) reports
    unsupported.
    """
    answer = rs.create(ctx, rs.body(ctx, store=True))
    response_id = answer.response.get("id")
    result = ctx.get(f"/responses/{response_id}")
    if result.status in (404, 405, 501):
        raise Unsupported(
            f"GET /responses/{{id}}: HTTP {result.status}: responses are not stored",
            exchange=result.exchange,
        )
    ctx.expect_ok(result, optional=None, owner=None)
    stored = rs.outline(result.json_or_none(), result.exchange)
    for key in ("id", "status"):
        if stored.get(key) != answer.response.get(key):
            raise Violation(
                key,
                f"{dumps(answer.response.get(key))}, as created",
                dumps(stored.get(key)),
                exchange=result.exchange,
            )
    created = [
        (i.get("type"), i.get("id")) for i in answer.response["output"] if isinstance(i, dict)
    ]
    got = [(i.get("type"), i.get("id")) for i in stored["output"] if isinstance(i, dict)]
    as_stored = rs.ResponseAnswer(result, stored)
    if created != got or rs.output_text(as_stored) != rs.output_text(answer):
        raise Violation(
            "output",
            f"the output as created: {dumps(answer.response['output'])[:120]}",
            dumps(stored["output"])[:120],
            exchange=result.exchange,
        )
    unknown = ctx.get("/responses/resp_conformance_no_such_response")
    if unknown.status != 404:
        raise Violation(
            "<status>", "404 for an unknown id", str(unknown.status), exchange=unknown.exchange
        )
    ctx.error_of(unknown)


def _structured_request(ctx: CheckContext) -> dict[str, Any]:
    text_format = {
        "type": "json_schema",
        "name": "weather_report",
        "schema": WEATHER_SCHEMA,
        "strict": True,
    }
    return rs.body(
        ctx,
        input=STRUCTURED_PROMPT,
        instructions=STRUCTURED_INSTRUCTIONS,
        max_output_tokens=128,
        text={"format": text_format},
    )


@check(
    id="responses.text-format",
    feature="responses",
    spec="CreateResponse.text.format: TextResponseFormatJsonSchema: the output follows the "
    "supplied JSON schema. Unsupported: 400, never ignored",
)
def text_format(ctx: CheckContext) -> None:
    """``text.format`` json_schema is honoured, or refused with a 4xx.

    The official ``responses.parse()`` helper turns the answer into the model. A format that is
    accepted and then ignored (free text) fails.
    """
    answer = rs.create(ctx, _structured_request(ctx), optional="text.format json_schema")
    text = rs.output_text(answer)
    try:
        value = json.loads(text)
    except ValueError:
        raise Violation(
            "output[*].content[*].text",
            "JSON (text.format json_schema was accepted, so it must be honoured)",
            dumps(text)[:200],
            exchange=answer.exchange,
            note="a server that cannot honour text.format should refuse it with a 400",
        ) from None
    require_weather_report(value, "output[*].content[*].text", answer.exchange)
    with ctx.client_step("helper", answer.exchange, "responses.parse(text_format=WeatherReport)"):
        parsed = (
            ctx.client()
            .responses.parse(
                model=ctx.model,
                input=STRUCTURED_PROMPT,
                instructions=STRUCTURED_INSTRUCTIONS,
                max_output_tokens=128,
                temperature=0,
                text_format=WeatherReport,
            )
            .output_parsed
        )
    if not isinstance(parsed, WeatherReport):
        raise Violation(
            "<helper>.output_parsed",
            "a WeatherReport",
            repr(parsed)[:120],
            level="helper",
            exchange=answer.exchange,
        )
