"""Identifiers: each chat completion's own ``id``, and every answer's ``x-request-id``.

Clients and logs key completions by ``id``, and support asks for the ``x-request-id`` of a
request (the official client exposes it as ``_request_id``).
"""

from __future__ import annotations

from conformance.checks._shared import dumps, stream_id
from conformance.context import CheckContext
from conformance.failures import Violation, Violations
from conformance.registry import check


@check(
    id="chat.id-unique",
    feature="chat",
    spec="CreateChatCompletionResponse.id: a unique identifier for the chat completion",
)
def id_unique(ctx: CheckContext) -> None:
    """Each chat completion has its own ``id``: two answers, and a stream, never share one.

    Clients and logs key completions by ``id``; a fixed id makes every answer look like the
    same one.
    """
    first, second = ctx.chat(), ctx.chat(cache=False)
    stream = ctx.chat_stream()
    answers = [
        ("id", first.body.get("id"), first.exchange),
        ("id", second.body.get("id"), second.exchange),
        ("chunks[0].id", stream_id(stream), stream.exchange),
    ]
    seen: dict[str, str] = {}
    for path, value, exchange in answers:
        if not isinstance(value, str) or not value:
            continue  # an id that is missing, empty or not a string: the schema checks' rule
        if value in seen:
            raise Violation(
                path,
                "an id no other completion has",
                f"{dumps(value)}, the id of an earlier completion ({seen[value]})",
                exchange=exchange,
            )
        seen[value] = "the stream" if path.startswith("chunks") else "a non-streamed answer"


@check(
    id="http.request-id",
    feature="chat",
    spec="OpenAI API reference, Debugging requests: every API response includes an "
    "`x-request-id` header, a unique identifier for the request",
    severity="should",
)
def request_id(ctx: CheckContext) -> None:
    """Every answer carries an ``x-request-id`` header.

    A chat completion, a stream, an error and ``GET /models`` (when the server has it): the
    official client exposes it as ``_request_id``, and support asks for it.
    """
    answers = [
        ctx.post("/chat/completions", ctx.chat_body()),
        ctx.post_stream("/chat/completions", ctx.chat_body(stream=True)),
        ctx.post("/chat/completions", ctx.chat_body(messages=[])),
    ]
    models = ctx.get("/models")
    if models.status != 404:
        answers.append(models)
    found = Violations()
    for result in answers:
        if not result.headers.get("x-request-id", "").strip():
            with found.soft():
                raise Violation(
                    "<header x-request-id>",
                    "a request id",
                    f"no x-request-id header (HTTP {result.status})",
                    exchange=result.exchange,
                )
    found.raise_any()
