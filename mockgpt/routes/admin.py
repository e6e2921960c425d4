"""Health and the admin API's shared parts: ``/health``, ``POST /_mockgpt/reset``.

The admin API lives under ``/_mockgpt/`` (``admin_stubs``, ``admin_journal``,
``admin_openapi``): JSON in and out, behind the admin lock of ``mockgpt.app``, errors in the
OpenAI envelope. A call carrying the test id header (``ServerConfig.test_header``) acts on
that test id only; without it, on the shared space (and, to read or clear, on every test id).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from mockgpt.errors import RequestRejected
from mockgpt.routes.common import engine_of, json_response
from mockgpt.state import RESET_PARTS, SCOPE_PARTS


async def health(request: Request) -> Response:
    """``{"status": "ok"}``: load balancers and orchestrators probe it before traffic."""
    return json_response({"status": "ok"})


def test_id_of(request: Request) -> str | None:
    """The test id the admin call names in the test id header; None without one."""
    return request.headers.get(engine_of(request).test_header) or None


def query_int(request: Request, name: str, *, minimum: int = 0) -> int | None:
    """The query parameter ``name`` as an integer >= ``minimum``; None when absent.

    Raises:
        RequestRejected: 400 naming ``name`` when it is not such an integer.
    """
    text = request.query_params.get(name)
    if text is None or text == "":
        return None
    try:
        value = int(text)
    except ValueError:
        value = minimum - 1
    if value < minimum:
        raise RequestRejected(
            400,
            f"Invalid '{name}': expected an integer >= {minimum}, got {text!r}.",
            param=name,
            code="invalid_value",
        )
    return value


def query_bool(request: Request, name: str) -> bool | None:
    """The query parameter ``name`` as ``true`` / ``false`` (also 1 / 0); None when absent.

    Raises:
        RequestRejected: 400 naming ``name`` for another value.
    """
    text = request.query_params.get(name)
    if text is None or text == "":
        return None
    if text.lower() in ("true", "1"):
        return True
    if text.lower() in ("false", "0"):
        return False
    raise RequestRejected(
        400,
        f"Invalid '{name}': expected true or false, got {text!r}.",
        param=name,
        code="invalid_value",
    )


async def reset(request: Request) -> Response:
    """Forget the server's per-run state, or the parts named by ``?what=`` (comma-separated).

    Parts: ``journal``, ``sequences``, ``stored``, ``chaos``, ``stubs``. With the test id
    header, that test id's only (its stubs, sequences, chaos state and journal entries).
    Answers ``{"status": "reset", "what": [part, ...]}``.

    Raises:
        RequestRejected: 400 naming ``what`` for an unknown part, or ``stored`` with a test id.
    """
    test_id = test_id_of(request)
    asked = [
        part.strip()
        for value in request.query_params.getlist("what")
        for part in value.split(",")
        if part.strip()
    ]
    parts = asked or (RESET_PARTS if test_id is None else SCOPE_PARTS)
    try:
        done = engine_of(request).reset(parts, test_id=test_id)
    except ValueError as exc:
        raise RequestRejected(400, f"Invalid 'what': {exc}.", param="what") from exc
    return json_response({"status": "reset", "what": list(done)})
