"""``GET /v1/models`` and ``GET /v1/models/{model}``."""

from __future__ import annotations

import secrets

from conformance.checks._shared import dumps
from conformance.context import CheckContext
from conformance.failures import Unsupported, Violation
from conformance.registry import PROXY_CAVEAT, check
from conformance.validation import validate
from conformance.wire import Model, ModelList

LIST_SCHEMA = "models.list.schema"


@check(
    id="models.list.schema",
    feature="models",
    spec="ListModelsResponse {object: list, data: [Model]}; Model (required: id, object "
    "`model`, created (integer), owned_by)",
)
def list_schema(ctx: CheckContext) -> None:
    """``GET /models`` lists ``Model`` objects, field by field; the strict client accepts it."""
    result = ctx.get("/models")
    if result.status == 404:
        raise Unsupported(f"GET /models: HTTP 404: {result.text(120)}", exchange=result.exchange)
    ctx.expect_ok(result, optional=None, owner=None)
    validate(ModelList, result.json_or_none(), exchange=result.exchange)
    with ctx.client_step("strict", result.exchange, "models.list() with strict validation"):
        list(ctx.client(strict=True).models.list())


@check(
    id="models.list.served-model",
    feature="models",
    spec="GET /models: lists the currently available models; the model under test is among "
    "them (Model.id)",
    severity="should",
)
def list_served_model(ctx: CheckContext) -> None:
    """``GET /models`` lists the model under test, by its id.

    Clients pick a model, or check that one exists, from this list.
    """
    result = ctx.get("/models")
    if result.status == 404:
        raise Unsupported(f"GET /models: HTTP 404: {result.text(120)}", exchange=result.exchange)
    ctx.expect_ok(result, optional=None, owner=LIST_SCHEMA)
    body = result.json_or_none()
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, list):
        raise Violation(
            "data",
            "an array of Model objects",
            result.text(160),
            owner=LIST_SCHEMA,
            exchange=result.exchange,
        )
    ids = [m.get("id") for m in data if isinstance(m, dict)]
    if ctx.model not in ids:
        raise Violation(
            "data[*].id",
            f"{dumps(ctx.model)} (the model under test) among the listed ids",
            dumps(ids[:10]) + (f" and {len(ids) - 10} more" if len(ids) > 10 else ""),
            exchange=result.exchange,
        )


@check(
    id="models.retrieve",
    feature="models",
    spec="GET /models/{model}: the Model; the model under test is retrievable (ids with `/` "
    "or `:` included)",
    severity="should",
    caveat=PROXY_CAVEAT,
)
def retrieve_model(ctx: CheckContext) -> None:
    """``GET /models/{model}`` returns the model under test as a ``Model`` with that id."""
    result = ctx.get(f"/models/{ctx.model}")
    if result.status != 200:
        raise Violation(
            "<status>",
            f"200 with the Model {ctx.model!r}",
            f"{result.status} {result.text(160)}",
            exchange=result.exchange,
        )
    body = result.json_or_none()
    validate(Model, body, exchange=result.exchange, owners=(("*", LIST_SCHEMA),))
    if body.get("id") != ctx.model:
        raise Violation("id", dumps(ctx.model), dumps(body.get("id")), exchange=result.exchange)
    with ctx.client_step("client", result.exchange, "models.retrieve()"):
        model = ctx.client().models.retrieve(ctx.model)
    if model.id != ctx.model:
        raise Violation(
            "<client>.id",
            dumps(ctx.model),
            dumps(model.id),
            level="client",
            exchange=result.exchange,
        )


@check(
    id="models.retrieve-unknown",
    feature="models",
    spec="GET /models/{model} for a model that does not exist: 404 with the error envelope",
    severity="should",
    caveat=PROXY_CAVEAT,
)
def retrieve_unknown(ctx: CheckContext) -> None:
    """``GET /models/{unknown}`` is a 404 error envelope; the client raises ``NotFoundError``."""
    name = f"conformance-no-such-model-{secrets.token_hex(4)}"
    result = ctx.get(f"/models/{name}")
    if result.status != 404:
        raise Violation(
            "<status>",
            "404 (no such model)",
            f"{result.status} {result.text(160)}",
            exchange=result.exchange,
        )
    ctx.error_of(result)
    import openai

    try:
        ctx.client().models.retrieve(name)
    except openai.NotFoundError:
        return
    except Exception as exc:
        raise Violation(
            "<client>",
            "NotFoundError",
            f"{type(exc).__name__}: {exc}",
            level="client",
            exchange=result.exchange,
        ) from exc
    raise Violation(
        "<client>", "NotFoundError", "no error", level="client", exchange=result.exchange
    )
