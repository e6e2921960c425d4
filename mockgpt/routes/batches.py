"""The Batch API: create a batch from an uploaded JSONL file, retrieve, cancel and list.

A batch stub (one whose ``match.endpoint`` names ``batches``; no other stub is asked)
scripts the batch's ``respond.lifecycle`` (``polls``, ``after_ms``, ``end``: ``completed``,
``failed``, ``cancelled`` or ``expired``); its ``respond.error`` (or a fault's
``http_error``) answers the create with that error, or, with ``end: failed``, fails the batch
with it. A batch no stub matches ends ``completed`` at
its first retrieve; no stub is needed for it, strict mode or not. How the job moves and how
the lines are answered: ``mockgpt.http.batches``. Every path is served under ``/v1`` and
without the prefix.

Spec: ``createBatch``, ``retrieveBatch``, ``cancelBatch``, ``listBatches``.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from mockgpt.batches_store import BatchStore, StoredBatch, batch_error, batch_object, read_input
from mockgpt.errors import RequestRejected
from mockgpt.faults import error_from_spec
from mockgpt.http import batches
from mockgpt.http.pages import cursor_page
from mockgpt.ids import new_hex
from mockgpt.lifecycle import Job
from mockgpt.models import validate_request
from mockgpt.models.batches import BATCH_ENDPOINTS, CreateBatchRequest
from mockgpt.routes.common import engine_of, json_response, now, read_json
from mockgpt.scenarios.lifecycle import DEFAULT_LIFECYCLE, LifecycleScript
from mockgpt.scenarios.matchers import MatchView
from mockgpt.scenarios.registry import LoadedStub, Selection
from mockgpt.turn import Turn
from mockgpt.types import JSONObject


def batches_of(request: Request) -> BatchStore:
    """The batches of the app's engine."""
    return engine_of(request).state.batches


async def create_batch(request: Request) -> Response:
    """``POST /v1/batches``: a new batch, ``validating`` (spec: ``createBatch``).

    The input file is read at once: an invalid one (see ``batches_store.read_input``) makes
    a batch that fails at its end with ``errors.data[]`` naming each bad line.

    Raises:
        RequestRejected: 400 for an invalid body, an endpoint mockgpt does not serve or an
            input file whose purpose is not ``batch``; 404 for an unknown input file; the
            batch stub's error; 500 for a stub whose lifecycle ends as no batch can.
    """
    engine = engine_of(request)
    body = await read_json(request, engine.config.max_body_bytes)
    req = validate_request(CreateBatchRequest, body)
    assert isinstance(body, dict)
    endpoint = req.endpoint
    methods, _ = request.app.routes.find(endpoint)
    if endpoint not in BATCH_ENDPOINTS or methods is None or "POST" not in methods:
        served = [e for e in BATCH_ENDPOINTS if "POST" in (request.app.routes.find(e)[0] or {})]
        raise RequestRejected(
            400,
            f"Invalid value for 'endpoint': {endpoint!r}. mockgpt runs batches of "
            + ", ".join(repr(e) for e in served)
            + ".",
            param="endpoint",
            code="invalid_value",
        )
    source = engine.state.files.get(req.input_file_id, param="input_file_id")
    if source.purpose != "batch":
        raise RequestRejected(
            400,
            f"Invalid 'input_file_id': {source.id!r} has purpose {source.purpose!r}; a batch's "
            "input file is uploaded with purpose 'batch'.",
            param="input_file_id",
            code="invalid_value",
        )
    lines, errors = read_input(source.content, endpoint)
    model = lines[0].model if lines else None
    turn = Turn(
        endpoint="batches",
        parsed=body,
        headers=request.headers,
        request_id=request.scope.get("mockgpt.request_id", ""),
        model=model or "",
    )
    test_id = request.headers.get(engine.test_header) or None
    selection = engine.registry.select(MatchView(turn), test_id, only=_names_batches)
    script, failure = DEFAULT_LIFECYCLE, None
    if selection.stub_id is not None:  # the fallback (even strict mode's error) never answers
        entry = request.scope.get("mockgpt.entry")
        if entry is not None:
            entry.stub, entry.misses = selection.stub_id, dict(selection.misses)
        script, failure = _scripted(selection)
    if errors:
        script = script.model_copy(update={"end": "failed"})
    line_headers = []
    if test_id is not None:
        line_headers.append((engine.test_header.encode(), test_id.encode()))
    if engine.config.api_key is not None:
        line_headers.append((b"authorization", f"Bearer {engine.config.api_key}".encode()))
    batch_id = f"batch_{new_hex(32)}"
    stored = StoredBatch(
        batch_object(
            batch_id,
            now(),
            endpoint=endpoint,
            input_file_id=source.id,
            metadata=dict(req.metadata) if req.metadata is not None else None,
            total=len(lines),
            model=model,
        ),
        lines,
        Job(script),
        line_headers,
        app=request.app,
        errors=errors,
        scripted_failure=failure,
        quirks=selection.quirks,
        output_ttl_s=req.output_expires_after.seconds if req.output_expires_after else None,
    )
    batches_of(request).add(stored)
    batches.start(engine, stored)
    return json_response(stored.view())  # as created: even a job due at once ends at a read


def _names_batches(loaded: LoadedStub) -> bool:
    """Whether a stub names ``batches`` in its ``match.endpoint``.

    Only those script batches: a stub for every request must not count, or move its
    sequence, on a batch's creation.
    """
    endpoint = loaded.stub.match.endpoint
    return endpoint == "batches" or (isinstance(endpoint, list) and "batches" in endpoint)


def _scripted(selection: Selection) -> tuple[LifecycleScript, JSONObject | None]:
    """The matched stub's lifecycle, and the failure its error scripts (with ``end: failed``).

    Raises:
        RequestRejected: the stub's error (or its fault's ``http_error``) when the lifecycle
            does not end ``failed``; 500 for an end no batch has.
    """
    answer = selection.answer
    script = answer.lifecycle if answer is not None and answer.lifecycle else DEFAULT_LIFECYCLE
    if script.end not in batches.BATCH_ENDS:
        raise RequestRejected(
            500,
            f"stub {selection.stub_id!r}: respond.lifecycle.end {script.end!r} is not an end "
            f"of a batch ({', '.join(batches.BATCH_ENDS)})",
            type="server_error",
        )
    fault = selection.fault
    spec = selection.error or (fault.http_error if fault is not None else None)
    if spec is None:
        if script.end != "failed":
            return script, None
        message = f"The batch failed: stub {selection.stub_id!r} ends it so (respond.lifecycle)."
        return script, batch_error("batch_failed", message, None)
    error = error_from_spec(spec)
    if script.end != "failed":
        error.quirks = selection.quirks
        raise error
    return script, batch_error(error.code or "batch_failed", error.message, None)


async def retrieve_batch(request: Request) -> Response:
    """``GET /v1/batches/{batch_id}``: the batch, one read of its job (spec: ``retrieveBatch``).

    The read that ends a completed batch answers its lines first (``http.batches.finish``).

    Raises:
        RequestRejected: 404 for an unknown id.
    """
    stored = batches_of(request).get(request.path_params["batch_id"], request.app)
    return json_response(await batches.read(engine_of(request), stored, poll=True))


async def cancel_batch(request: Request) -> Response:
    """``POST /v1/batches/{batch_id}/cancel``: the batch ``cancelling`` (spec: ``cancelBatch``).

    A retrieve then finds it ``cancelled``, with no line answered. Cancelling a batch that
    has ended changes nothing.

    Raises:
        RequestRejected: 404 for an unknown id.
    """
    stored = batches_of(request).get(request.path_params["batch_id"], request.app)
    return json_response(await batches.cancel(engine_of(request), stored))


async def list_batches(request: Request) -> Response:
    """``GET /v1/batches``: a cursor page of batches, newest first (spec: ``listBatches``).

    Listing reads no job (it is no retrieve): each batch is shown as it stands.

    Raises:
        RequestRejected: 400 for a bad ``limit``.
    """
    engine = engine_of(request)
    kept = batches_of(request).values(request.app)
    items = [await batches.read(engine, b, poll=False) for b in kept]
    return cursor_page(request, items)
