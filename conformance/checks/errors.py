"""Errors: the envelope, statuses (400, 401, 404, 429) and errors in the middle of a stream."""

from __future__ import annotations

import json
import secrets
from typing import Any

from conformance.answers import STREAM_DATA, STREAM_SSE
from conformance.checks._shared import dumps
from conformance.context import CheckContext
from conformance.failures import NOT_A_STREAM, Unsupported, Violation
from conformance.http import HttpResult
from conformance.registry import check

BAD_REQUESTS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("messages: []", {"messages": []}),
    ("no messages", {"messages": None}),
    ("messages[0].role: robot", {"messages": [{"role": "robot", "content": "hi"}]}),
    ("messages: a string", {"messages": "hi"}),
)
"""Requests every server must refuse (``CreateChatCompletionRequest``: messages minItems 1,
role enum, messages an array)."""


def _error_answers(ctx: CheckContext) -> list[HttpResult]:
    answers = [ctx.post("/chat/completions", ctx.chat_body(messages=[]))]
    unknown = ctx.get(f"/models/conformance-no-such-model-{secrets.token_hex(4)}")
    if unknown.status >= 400:
        answers.append(unknown)
    return answers


@check(
    id="errors.envelope",
    feature="errors",
    spec="ErrorResponse {error: Error}; Error (required: message, type, param, code)",
)
def error_envelope(ctx: CheckContext) -> None:
    """Error answers are JSON ``{"error": {"message", "type", "param", "code"}}``.

    As ``Content-Type: application/json``, for a 400 (empty ``messages``) and a 404 (an
    unknown model); without the ``error`` wrapper the official Node client shows no message.
    """
    for result in _error_answers(ctx):
        if result.status < 400:
            continue
        if result.content_type != "application/json":
            raise Violation(
                "<header content-type>",
                "application/json",
                result.headers.get("content-type", "<none>"),
                exchange=result.exchange,
            )
        ctx.error_of(result, types=False)


@check(
    id="errors.field-types",
    feature="errors",
    spec="Error: message (string), type (string), param (string or null), code (string or null)",
)
def error_field_types(ctx: CheckContext) -> None:
    """``error.code`` and ``error.param`` are strings or null, never numbers.

    ``message`` and ``type`` are strings.
    """
    for result in _error_answers(ctx):
        if result.status >= 400:
            ctx.error_of(result)


@check(
    id="errors.bad-request",
    feature="errors",
    spec="CreateChatCompletionRequest constraints (messages: array, minItems 1; role enum); "
    "invalid requests get 400 invalid_request_error (not 422, not 5xx)",
    severity="should",
)
def bad_request(ctx: CheckContext) -> None:
    """Invalid chat requests get 400 with the envelope, never 422, 5xx or 200.

    The official client raises ``BadRequestError``. (A 5xx would also be retried by the
    official client, three times.)
    """
    import openai

    for label, overrides in BAD_REQUESTS:
        body = ctx.chat_body(**overrides)
        result = ctx.post("/chat/completions", body)
        if result.status != 400:
            raise Violation(
                "<status>",
                f"400 for an invalid request ({label})",
                f"{result.status} {result.text(160)}",
                exchange=result.exchange,
            )
        ctx.error_of(result)
    body = ctx.chat_body(messages=[])
    exchange = ctx.exchange("POST", "/chat/completions", body)
    try:
        ctx.client().chat.completions.create(**body)
    except openai.BadRequestError:
        return
    except Exception as exc:
        raise Violation(
            "<client>",
            "BadRequestError",
            f"{type(exc).__name__}: {exc}",
            level="client",
            exchange=exchange,
        ) from exc
    raise Violation("<client>", "BadRequestError", "no error", level="client", exchange=exchange)


@check(
    id="errors.unknown-model",
    feature="errors",
    spec="A model that does not exist: 404 with error.code `model_not_found` (servers that "
    "answer any model name report this unsupported)",
    severity="should",
)
def unknown_model(ctx: CheckContext) -> None:
    """A chat request for a model the server does not have gets a 404 envelope.

    A server that answers any model name has nothing to check here (unsupported).
    """
    name = f"conformance-no-such-model-{secrets.token_hex(4)}"
    result = ctx.post("/chat/completions", ctx.chat_body(model=name))
    if 200 <= result.status < 300:
        raise Unsupported(f"the server answers any model name (200 for {name!r})")
    if result.status != 404:
        raise Violation(
            "<status>",
            "404 (the model does not exist)",
            f"{result.status} {result.text(160)}",
            exchange=result.exchange,
        )
    ctx.error_of(result)


WRONG_KEY = "sk-conformance-wrong-key"


@check(
    id="errors.auth",
    feature="errors",
    spec="securitySchemes.ApiKeyAuth (Authorization: Bearer): a wrong or missing key gets 401 "
    "with the error envelope (servers that take any key report this unsupported)",
    severity="should",
)
def auth_error(ctx: CheckContext) -> None:
    """A wrong key and a missing key each get 401 with the envelope (``AuthenticationError``).

    A server that accepts any key has nothing to check here (unsupported).
    """
    import openai

    body = ctx.chat_body()
    answers = [
        ctx.post("/chat/completions", body, auth="literal", key=WRONG_KEY),
        ctx.post("/chat/completions", body, auth="none"),
    ]
    if all(200 <= a.status < 300 for a in answers):
        raise Unsupported("the server accepts any API key, and none")
    for result in answers:
        if result.status != 401:
            raise Violation(
                "<status>",
                "401 (a wrong or missing API key)",
                f"{result.status} {result.text(160)}",
                exchange=result.exchange,
            )
        ctx.error_of(result)
    try:
        ctx.client().with_options(api_key=WRONG_KEY).chat.completions.create(**body)
    except openai.AuthenticationError:
        return
    except Exception as exc:
        raise Violation(
            "<client>",
            "AuthenticationError",
            f"{type(exc).__name__}: {exc}",
            level="client",
            exchange=answers[0].exchange,
        ) from exc
    raise Violation(
        "<client>", "AuthenticationError", "no error", level="client", exchange=answers[0].exchange
    )


def _retry_after_ok(value: str) -> bool:
    try:
        return float(value) >= 0
    except ValueError:
        from email.utils import parsedate_to_datetime

        try:
            parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return False
        return True


@check(
    id="errors.rate-limit",
    feature="errors",
    spec="components.responses.TooManyRequests: 429 with the error envelope and a Retry-After "
    "header (seconds or an HTTP date), which the official client waits before it retries",
    severity="should",
)
def rate_limit(ctx: CheckContext) -> None:
    """A 429 carries ``Retry-After`` and the envelope; the client raises ``RateLimitError``.

    Needs a model the server answers with 429 (``--rate-limit-model``); unsupported without.
    """
    import openai

    model = ctx.settings.rate_limit_model
    if model is None:
        raise Unsupported("no --rate-limit-model given (a model the server answers with 429)")
    body = ctx.chat_body(model=model)
    result = ctx.post("/chat/completions", body, cache=False)
    if result.status != 429:
        raise Violation(
            "<status>",
            f"429 (model {model!r} is rate limited)",
            f"{result.status} {result.text(160)}",
            exchange=result.exchange,
        )
    retry_after = result.headers.get("retry-after")
    if retry_after is None and "retry-after-ms" not in result.headers:
        raise Violation(
            "<header retry-after>",
            "seconds to wait (or an HTTP date)",
            "no retry-after header",
            exchange=result.exchange,
            note="without it, clients back off blindly (the official client: 0.5 s, 1 s, ...)",
        )
    if retry_after is not None and not _retry_after_ok(retry_after):
        raise Violation(
            "<header retry-after>",
            "a number of seconds >= 0 or an HTTP date",
            retry_after,
            exchange=result.exchange,
        )
    ctx.error_of(result)
    try:
        ctx.client().chat.completions.create(**body)
    except openai.RateLimitError:
        return
    except Exception as exc:
        raise Violation(
            "<client>",
            "RateLimitError",
            f"{type(exc).__name__}: {exc}",
            level="client",
            exchange=result.exchange,
        ) from exc
    raise Violation(
        "<client>", "RateLimitError", "no error", level="client", exchange=result.exchange
    )


@check(
    id="errors.stream-error",
    feature="errors",
    spec='An error after a stream has started (status 200): one `data: {"error": {message, '
    "type, param, code}}` event, then the end of the stream",
    severity="should",
)
def stream_error(ctx: CheckContext) -> None:
    """An error mid-stream is sent as a ``data: {"error": {...}}`` event, and the stream ends.

    Not a bare close, and not an empty "successful" end: the official client raises
    ``APIError`` on the event. Needs a model whose streams fail (``--stream-error-model``).
    """
    import openai

    model = ctx.settings.stream_error_model
    if model is None:
        raise Unsupported("no --stream-error-model given (a model whose streams fail mid-way)")
    body = ctx.chat_body(model=model, stream=True)
    result = ctx.post_stream("/chat/completions", body, owner=None, cache=False)
    if result.status != 200:
        raise Violation(
            "<status>",
            "200, then an error event",
            f"{result.status} {result.text(160)}",
            owner=STREAM_SSE,
            exchange=result.exchange,
            rule=NOT_A_STREAM,  # blocked only when the server streams nothing at all
        )
    errors = []
    for event in result.sse.data_events:
        try:
            value = json.loads(event.data or "")
        except ValueError:
            continue
        if isinstance(value, dict) and value.get("error"):
            errors.append((event.offset, value["error"]))
    if not errors:
        last = result.sse.events[-1].raw()[:120] if result.sse.events else "<no event>"
        raise Violation(
            "<stream>",
            'a data: {"error": {...}} event',
            f"{len(result.sse.events)} events without an error; last: {last}",
            exchange=result.exchange,
        )
    for event in result.sse.events:
        if event.data is None or not event.data.strip():
            raise Violation(
                f"events[{event.offset}]",
                "a `data:` field with JSON (keep-alives must be `:` comments)",
                event.raw(),
                owner=STREAM_DATA,
                exchange=result.exchange,
            )
    offset, error = errors[0]
    if not isinstance(error, dict) or not isinstance(error.get("message"), str):
        raise Violation(
            f"events[{offset}].error",
            "an Error object with a message",
            dumps(error)[:160],
            exchange=result.exchange,
        )
    later = [
        e
        for e in result.sse.data_events
        if e.offset > offset and not (e.data or "").startswith("[DONE]")
    ]
    if later:
        raise Violation(
            f"events[{later[0].offset}]",
            "nothing but [DONE] after the error event",
            later[0].raw()[:120],
            exchange=result.exchange,
        )
    exchange = result.exchange
    try:
        stream = ctx.client().chat.completions.create(**body)
        try:
            ctx.drain(stream, exchange, "client")
        finally:
            stream.close()
    except openai.APIStatusError as exc:
        raise Violation(
            "<client>",
            "APIError (not a status error)",
            repr(exc),
            level="client",
            exchange=exchange,
        ) from exc
    except openai.APIError:
        return
    except Exception as exc:
        raise Violation(
            "<client>",
            "APIError from the stream",
            f"{type(exc).__name__}: {exc}",
            level="client",
            exchange=exchange,
        ) from exc
    raise Violation(
        "<client>", "APIError from the stream", "no error", level="client", exchange=exchange
    )


@check(
    id="errors.stream-invalid-request",
    feature="errors",
    spec="An invalid request is refused with a 4xx status and the error envelope before any "
    "answer starts, `stream: true` or not; a 200 stream is for an answer",
)
def stream_invalid_request(ctx: CheckContext) -> None:
    """An invalid ``stream: true`` request gets a 4xx envelope, not a 200 stream with an error.

    The official client then raises ``BadRequestError`` when it sends the request, instead of
    an ``APIError`` somewhere in the iteration of a stream that "succeeded".
    """
    body = ctx.chat_body(messages=[], stream=True)
    result = ctx.post_stream("/chat/completions", body, owner=None)
    if not 400 <= result.status < 500:
        raise Violation(
            "<status>",
            "4xx for an invalid `stream: true` request (messages: [])",
            f"{result.status} {result.headers.get('content-type', '')}: {result.text(160)}",
            exchange=result.exchange,
        )
    ctx.error_of(result)
