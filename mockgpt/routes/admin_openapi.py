"""``GET /_mockgpt/openapi.json``: the OpenAPI 3.1 description of the admin API.

Stubs and scenarios reference the scenario JSON Schema (``mockgpt schema``), placed under
``components/schemas`` (``Stub``, ``Scenario`` and the models they are made of).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from mockgpt.routes.common import engine_of, json_response
from mockgpt.scenarios import Scenario

ADMIN = "/_mockgpt"
_REF = "#/components/schemas/{model}"


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _query(name: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema,
    }


_ERRORS = {
    "400": {"$ref": "#/components/responses/BadRequest"},
    "401": {"$ref": "#/components/responses/Unauthorized"},
}
_FILTERS = [
    _query("path", "Only requests to this URL path.", {"type": "string"}),
    _query("endpoint", "Only this API family (chat.completions, ...).", {"type": "string"}),
    _query("model", "Only requests for this model.", {"type": "string"}),
    _query("stub", "Only entries this stub answered.", {"type": "string"}),
    _query(
        "unmatched",
        "Only entries no stub answered (true) or a stub did (false).",
        {"type": "boolean"},
    ),
    _query("since", "Only entries numbered after this seq.", {"type": "integer", "minimum": 0}),
    _query("limit", "Only the last N entries.", {"type": "integer", "minimum": 0}),
]
_STUB_ID = {"name": "stub_id", "in": "path", "required": True, "schema": {"type": "string"}}
_NOT_FOUND = {"$ref": "#/components/responses/NotFound"}
_CONFLICT = {"$ref": "#/components/responses/Conflict"}


def _paths() -> dict[str, Any]:
    ids = _json(_ref("Ids"), "The ids of the stubs.")
    deleted = _json(_ref("DeletedStubs"), "The ids of the stubs deleted.")
    return {
        f"{ADMIN}/stubs": {
            "get": {
                "summary": "List the stubs in match order",
                "description": "With the test id header, the stubs its requests try (its "
                "own, then the shared ones); without it, the shared ones, then every test "
                "id's own.",
                "responses": {"200": _json(_ref("StubList"), "The stubs."), **_ERRORS},
            },
            "post": {
                "summary": "Add stubs",
                "description": "One stub, {stubs, priority} or a list of stubs. A stub "
                "without an id gets stub_<hex>. Higher priority is tried first.",
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": _ref("AddStubs")}},
                },
                "responses": {"201": ids, "409": _CONFLICT, **_ERRORS},
            },
            "delete": {
                "summary": "Delete every stub added while serving",
                "description": "With the test id header, that test id's only.",
                "responses": {"200": deleted, **_ERRORS},
            },
        },
        f"{ADMIN}/stubs/{{stub_id}}": {
            "parameters": [_STUB_ID],
            "put": {
                "summary": "Replace a stub (its place in the match order stays)",
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": _ref("Stub")}},
                },
                "responses": {"200": ids, "404": _NOT_FOUND, "409": _CONFLICT, **_ERRORS},
            },
            "delete": {
                "summary": "Delete a stub",
                "responses": {"200": deleted, "404": _NOT_FOUND, "409": _CONFLICT, **_ERRORS},
            },
        },
        f"{ADMIN}/scenario": {
            "post": {
                "summary": "Load a whole scenario; its stubs are added",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {"schema": _ref("Scenario")},
                        "application/yaml": {"schema": _ref("Scenario")},
                        "text/yaml": {"schema": _ref("Scenario")},
                    },
                },
                "responses": {"201": ids, "409": _CONFLICT, **_ERRORS},
            },
        },
        f"{ADMIN}/reset": {
            "post": {
                "summary": "Reset the state, or parts of it",
                "description": "With the test id header, that test id's only (stored objects "
                "are shared: not with the header).",
                "parameters": [
                    _query(
                        "what",
                        "Comma-separated parts; all when absent.",
                        {"type": "string", "examples": ["journal,sequences"]},
                    )
                ],
                "responses": {"200": _json(_ref("Reset"), "What was reset."), **_ERRORS},
            },
        },
        f"{ADMIN}/journal": {
            "get": {
                "summary": "The journal, oldest first",
                "parameters": _FILTERS,
                "responses": {"200": _json(_ref("Journal"), "The entries."), **_ERRORS},
            },
            "delete": {
                "summary": "Forget the journal (with the test id header, its entries)",
                "responses": {"200": _json(_ref("DeletedEntries"), "How many."), **_ERRORS},
            },
        },
        f"{ADMIN}/journal/stream": {
            "get": {
                "summary": "The journal live, as server-sent events",
                "description": "event: entry, data: <entry JSON>, id: <seq>, as each response "
                "ends; limit or since send kept entries first. Last-Event-ID works as since.",
                "parameters": _FILTERS,
                "responses": {
                    "200": {
                        "description": "The feed.",
                        "content": {"text/event-stream": {"schema": {"type": "string"}}},
                    },
                    **_ERRORS,
                },
            },
        },
        f"{ADMIN}/journal/{{entry_id}}/near-miss": {
            "get": {
                "summary": "Every stub a journalled request does not match, closest first",
                "parameters": [
                    {
                        "name": "entry_id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string"},
                    }
                ],
                "responses": {
                    "200": _json(_ref("NearMiss"), "The stubs and their failed conditions."),
                    "404": _NOT_FOUND,
                    **_ERRORS,
                },
            },
        },
        f"{ADMIN}/openapi.json": {
            "get": {
                "summary": "This description",
                "responses": {"200": _json({"type": "object"}, "OpenAPI 3.1."), **_ERRORS},
            },
        },
    }


def _schemas() -> dict[str, Any]:
    scenario = Scenario.model_json_schema(by_alias=True, ref_template=_REF)
    schemas: dict[str, Any] = scenario.pop("$defs")
    schemas["Scenario"] = scenario
    nullable_str = {"type": ["string", "null"]}
    schemas.update(
        {
            "AddStubs": {
                "oneOf": [
                    _ref("Stub"),
                    {"type": "array", "items": _ref("Stub"), "minItems": 1},
                    {
                        "type": "object",
                        "required": ["stubs"],
                        "additionalProperties": False,
                        "properties": {
                            "stubs": {"type": "array", "items": _ref("Stub"), "minItems": 1},
                            "priority": {"type": "integer", "default": 0},
                        },
                    },
                ]
            },
            "Ids": _object({"ids": {"type": "array", "items": {"type": "string"}}}),
            "DeletedStubs": _object({"deleted": {"type": "array", "items": {"type": "string"}}}),
            "DeletedEntries": _object({"deleted": {"type": "integer"}}),
            "Reset": _object(
                {
                    "status": {"const": "reset"},
                    "what": {
                        "type": "array",
                        "items": {"enum": ["journal", "sequences", "stored", "chaos", "stubs"]},
                    },
                }
            ),
            "StubRow": _object(
                {
                    "id": {"type": "string"},
                    "priority": {"type": "integer"},
                    "source": {"enum": ["scenario", "runtime"]},
                    "test_id": nullable_str,
                    "calls": {"type": "integer", "description": "requests it answered"},
                    "stub": _ref("Stub"),
                }
            ),
            "StubList": _object(
                {"object": {"const": "list"}, "data": {"type": "array", "items": _ref("StubRow")}}
            ),
            "JournalEntry": _object(
                {
                    "id": {"type": "string", "description": "the x-request-id"},
                    "seq": {"type": "integer"},
                    "test_id": nullable_str,
                    "method": {"type": "string"},
                    "path": {"type": "string"},
                    "endpoint": nullable_str,
                    "model": nullable_str,
                    "status": {"type": "integer"},
                    "stub": nullable_str,
                    "unmatched": {"type": "boolean"},
                    "started": {"type": "number", "description": "Unix time, seconds"},
                    "duration_ms": {"type": "number"},
                    "stream": {"type": "boolean"},
                    "complete": {"type": "boolean"},
                    "disconnected": {"type": "boolean"},
                    "truncated": {"type": "array", "items": {"type": "string"}},
                    "request": _object({"headers": {"type": "object"}, "body": {}}),
                    "response": {
                        "type": "object",
                        "properties": {
                            "body": {},
                            "events": {
                                "type": "array",
                                "items": _object(
                                    {"t_ms": {"type": "number"}, "data": {}, "event": nullable_str}
                                ),
                            },
                        },
                    },
                    "misses": {"type": "object", "additionalProperties": {"type": "string"}},
                }
            ),
            "Journal": _object(
                {
                    "object": {"const": "list"},
                    "data": {"type": "array", "items": _ref("JournalEntry")},
                }
            ),
            "NearMiss": _object(
                {
                    "id": {"type": "string"},
                    "unmatched": {"type": "boolean"},
                    "stubs": {
                        "type": "array",
                        "items": _object(
                            {
                                "id": {"type": "string"},
                                "held": {"type": ["integer", "null"]},
                                "total": {"type": ["integer", "null"]},
                                "failed": {"type": "array", "items": {"type": "string"}},
                            }
                        ),
                    },
                }
            ),
            "Error": _object(
                {
                    "error": _object(
                        {
                            "message": {"type": "string"},
                            "type": {"type": "string"},
                            "param": nullable_str,
                            "code": nullable_str,
                        }
                    )
                }
            ),
        }
    )
    return schemas


def _object(properties: dict[str, Any]) -> dict[str, Any]:
    """An object with these properties, each required (more may be added later)."""
    return {"type": "object", "properties": properties, "required": list(properties)}


def _error(description: str) -> dict[str, Any]:
    return _json(_ref("Error"), description)


@lru_cache(maxsize=8)
def _document(test_header: str) -> dict[str, Any]:
    header: dict[str, Any] = {
        "name": test_header,
        "in": "header",
        "required": False,
        "description": "A test id: the call acts on that test id's stubs, sequences and "
        "journal only (requests to the API with it see its stubs before the shared ones).",
        "schema": {"type": "string"},
    }
    paths = _paths()
    for item in paths.values():
        item.setdefault("parameters", []).append({"$ref": "#/components/parameters/TestId"})
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "mockgpt admin API",
            "version": "1",
            "description": "Program the mock over HTTP: stubs in the scenario file format, "
            "state, the journal and near misses. Errors are OpenAI error envelopes.",
        },
        "security": [{"adminToken": []}, {}],
        "paths": paths,
        "components": {
            "schemas": _schemas(),
            "parameters": {"TestId": header},
            "securitySchemes": {
                "adminToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "--admin-token, else --api-key; none when neither is set.",
                }
            },
            "responses": {
                "BadRequest": _error("Invalid: the message and param name the field."),
                "Unauthorized": _error("The admin token is missing or wrong."),
                "NotFound": _error("No such stub or journal entry."),
                "Conflict": _error("A stub id is taken, or a shared stub under a test id."),
            },
        },
    }


async def openapi(request: Request) -> Response:
    """The OpenAPI 3.1 description of the admin API (JSON)."""
    document = _document(engine_of(request).config.test_header)
    return json_response(document)
