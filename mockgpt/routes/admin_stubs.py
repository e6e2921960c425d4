"""The admin API's stubs: list, add, replace and delete them; load a whole scenario.

A stub is the object of a scenario file (``mockgpt schema``). One that does not validate gets
a 400 whose message is the text ``mockgpt validate`` prints for that field, with ``request
body`` in place of the file name, and whose ``param`` is the field's path in the body.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from mockgpt.errors import RequestRejected, ScenarioError
from mockgpt.http.body import read_raw
from mockgpt.ids import UNSEEDED
from mockgpt.models.common import parse_json
from mockgpt.routes.admin import test_id_of
from mockgpt.routes.common import engine_of, json_response
from mockgpt.scenarios import Scenario, Stub, load_scenario_data, scenario_errors
from mockgpt.scenarios.registry import LoadedStub, StubConflict, StubNotFound
from mockgpt.types import JSONObject, JSONValue

BODY = "request body"
"""What an error names in place of a scenario file."""


def stub_row(loaded: LoadedStub) -> JSONObject:
    """One stub as ``GET /_mockgpt/stubs`` lists it.

    ``{"id", "priority", "source", "test_id", "calls", "stub"}``; ``stub`` is the stub as a
    scenario file gives it (the fields given, none of the defaults).
    """
    stub: JSONValue = loaded.stub.model_dump(mode="json", by_alias=True, exclude_unset=True)
    return {
        "id": loaded.id,
        "priority": loaded.priority,
        "source": loaded.source,
        "test_id": loaded.test_id,
        "calls": loaded.calls,
        "stub": stub,
    }


async def list_stubs(request: Request) -> Response:
    """``{"object": "list", "data": [row, ...]}`` in match order.

    With the test id header, the stubs its requests try (its own, then the shared ones);
    without it, the shared ones, then every test id's own.
    """
    registry = engine_of(request).registry
    test_id = test_id_of(request)
    stubs = registry.listing() if test_id is None else registry.stubs(test_id)
    data: list[JSONValue] = [stub_row(s) for s in stubs]
    return json_response({"object": "list", "data": data})


async def add_stubs(request: Request) -> Response:
    """Add one stub, ``{"stubs": [...], "priority": int}`` or a list of stubs: ``201 {"ids"}``.

    A stub without an ``id`` gets ``stub_<12 hex>``.

    Raises:
        RequestRejected: 400 for a stub that does not validate; 409 for an id taken.
    """
    body = await _json_body(request)
    items, priority, field_of = _unpack(body)
    stubs = [
        s if s.id is not None else s.model_copy(update={"id": f"stub_{UNSEEDED.hex(12)}"})
        for s in _validated(items, field_of)
    ]
    ids = _add(request, Scenario(name="runtime", stubs=stubs), priority)
    return json_response({"ids": list(ids)}, status=201)


async def load_scenario(request: Request) -> Response:
    """Add a whole scenario's stubs (YAML or JSON body): ``201 {"ids": [...]}``.

    The body is read as a scenario file is, whatever its content type (JSON is YAML). Its
    stubs get ids as in a file (``<name>.stubs[<n>]`` for one without an ``id``); its
    fallback, defaults, quirks and chaos apply after those of the scenarios added before.

    Raises:
        RequestRejected: 400 for a scenario that does not validate (the message names the
            line, as ``mockgpt validate`` does); 409 for an id taken.
    """
    raw = await read_raw(request, engine_of(request).config.max_body_bytes)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RequestRejected(400, f"{BODY}: not UTF-8 text ({exc.reason})") from exc
    scenario, errors = scenario_errors(text, BODY)
    if errors:
        raise _rejected(errors[0], errors[0].field)
    assert scenario is not None
    return json_response({"ids": list(_add(request, scenario, 0))}, status=201)


async def replace_stub(request: Request) -> Response:
    """Replace stub ``{stub_id}`` with the stub in the body: ``200 {"ids": [id]}``.

    Its place in the match order stays and its call count (sequence position) restarts.

    Raises:
        RequestRejected: 400 for a stub that does not validate or names another ``id``;
            404 for an unknown id; 409 for a shared stub changed under a test id.
    """
    stub_id: str = request.path_params["stub_id"]
    body = await _json_body(request)
    if not isinstance(body, dict):
        raise RequestRejected(400, f"{BODY}: a stub must be an object", code="invalid_stub")
    given = body.get("id", stub_id)
    if given != stub_id:
        raise RequestRejected(
            400,
            f"{BODY}: id: {given!r} is not the stub's id {stub_id!r} (from the path); "
            "delete the stub and add one to change its id",
            param="id",
            code="invalid_stub",
        )
    [stub] = _validated([{**body, "id": stub_id}], _one)
    engine = engine_of(request)
    try:
        engine.registry.replace(stub_id, stub, test_id=test_id_of(request))
    except (StubNotFound, StubConflict) as exc:
        raise _missing(exc) from exc
    return json_response({"ids": [stub_id]})


async def delete_stub(request: Request) -> Response:
    """Delete stub ``{stub_id}``: ``200 {"deleted": [id]}``.

    A scenario's stub is hidden until the stubs are reset.

    Raises:
        RequestRejected: 404 for an unknown id; 409 for a shared stub under a test id.
    """
    stub_id: str = request.path_params["stub_id"]
    try:
        engine_of(request).registry.delete(stub_id, test_id=test_id_of(request))
    except (StubNotFound, StubConflict) as exc:
        raise _missing(exc) from exc
    return json_response({"deleted": [stub_id]})


async def delete_stubs(request: Request) -> Response:
    """Delete every stub added while serving: ``{"deleted": [id, ...]}``.

    With the test id header, that test id's; without it, every one (shared and each test
    id's). The scenarios loaded at start stay.
    """
    registry = engine_of(request).registry
    test_id = test_id_of(request)
    deleted = registry.delete_added(test_id, every=test_id is None)
    return json_response({"deleted": list(deleted)})


# -- reading and checking bodies ------------------------------------------------------------


async def _json_body(request: Request) -> JSONValue:
    """The body as JSON.

    Raises:
        RequestRejected: 400 when it is not JSON; 413 when too large.
    """
    return parse_json(await read_raw(request, engine_of(request).config.max_body_bytes))


def _one(field: str) -> str:
    """A field of ``stubs[0]`` as a field of a single stub sent alone."""
    return field.removeprefix("stubs[0]").removeprefix(".")


def _listed(field: str) -> str:
    """A field of ``stubs[n]`` as a field of a JSON list of stubs (``[n].match``)."""
    return field.removeprefix("stubs")


def _as_sent(field: str) -> str:
    return field


def _unpack(body: JSONValue) -> tuple[list[Any], int, Callable[[str], str]]:
    """The stubs, the priority and the field mapping of an add body, in any of its shapes.

    Raises:
        RequestRejected: 400 for a body of none of the shapes, or a bad ``priority``.
    """
    field_of: Callable[[str], str]
    if isinstance(body, list):
        items, priority, field_of = body, 0, _listed
    elif isinstance(body, dict) and "stubs" in body:
        for key in body:
            if key not in ("stubs", "priority"):
                raise RequestRejected(
                    400,
                    f"{BODY}: {key}: unknown field (give stubs and priority)",
                    param=key,
                    code="invalid_stub",
                )
        given = body.get("priority", 0)
        if not isinstance(given, int) or isinstance(given, bool):
            raise RequestRejected(400, f"{BODY}: priority: expected an integer", param="priority")
        priority = given
        stubs = body["stubs"]
        if not isinstance(stubs, list):
            raise RequestRejected(400, f"{BODY}: stubs: expected a list of stubs", param="stubs")
        items, field_of = stubs, _as_sent
    elif isinstance(body, dict):
        items, priority, field_of = [body], 0, _one
    else:
        raise RequestRejected(
            400,
            f"{BODY}: expected a stub, {{'stubs': [stub, ...], 'priority': n}} or a list of stubs",
            code="invalid_stub",
        )
    if not items:
        raise RequestRejected(400, f"{BODY}: no stub given", param="stubs")
    return items, priority, field_of


def _validated(items: list[Any], field_of: Callable[[str], str]) -> list[Stub]:
    """The stubs, validated as a scenario file's.

    Raises:
        RequestRejected: 400 with the first error, its field mapped by ``field_of``.
    """
    try:
        scenario = load_scenario_data({"stubs": items}, BODY)
    except ScenarioError as exc:
        raise _rejected(exc, field_of(exc.field)) from exc
    return list(scenario.stubs)


def _rejected(error: ScenarioError, field: str) -> RequestRejected:
    """The 400 for ``error``: ``mockgpt validate``'s text, the field as the body has it."""
    text = str(ScenarioError(error.path, error.line, field, error.message))
    return RequestRejected(400, text, param=field or None, code="invalid_stub")


def _add(request: Request, scenario: Scenario, priority: int) -> list[str]:
    engine = engine_of(request)
    test_id = test_id_of(request)
    try:
        return engine.registry.add(scenario, priority=priority, test_id=test_id, unique=True)
    except StubConflict as exc:
        raise RequestRejected(409, str(exc), param="id", code="stub_conflict") from exc


def _missing(exc: StubNotFound | StubConflict) -> RequestRejected:
    if isinstance(exc, StubNotFound):
        return RequestRejected(404, str(exc), code="stub_not_found")
    return RequestRejected(409, str(exc), code="stub_conflict")
