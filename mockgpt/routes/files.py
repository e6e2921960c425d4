"""The Files API: upload (multipart), list, retrieve, download and delete files.

Files live in memory, in the server's ``FileStore`` (``ServerState.files``), bounded by
``max_stored`` files and ``max_files_bytes`` bytes together: the oldest go first, and an
upload larger than the whole byte bound (or than ``max_body_bytes``) gets 413. A batch's
output and error files are files too (purpose ``batch_output``). Every path is served under
``/v1`` and without the prefix.

Spec: ``createFile``, ``listFiles``, ``retrieveFile``, ``downloadFile``, ``deleteFile``.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator

from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import Request
from starlette.responses import Response

from mockgpt.errors import RequestRejected
from mockgpt.files_store import MADE_PURPOSES, UPLOAD_PURPOSES, FileStore, StoredFile
from mockgpt.http.pages import cursor_page
from mockgpt.ids import new_hex
from mockgpt.routes.common import engine_of, json_response, now, read_raw

BATCH_FILE_TTL_S = 30 * 24 * 3600
"""Files of purpose ``batch`` expire 30 days after upload unless ``expires_after`` says."""
MAX_LIST = 10_000
"""``limit`` of ``GET /v1/files``: 1..10,000, default 10,000 (spec: ``listFiles``)."""


def files_of(request: Request) -> FileStore:
    """The files of the app's engine."""
    return engine_of(request).state.files


async def create_file(request: Request) -> Response:
    """``POST /v1/files``: keep an uploaded file (spec: ``createFile``).

    The body is ``multipart/form-data`` with ``file`` (the bytes and their name),
    ``purpose`` (one of ``UPLOAD_PURPOSES``) and optionally ``expires_after[anchor]``
    (``created_at``) and ``expires_after[seconds]`` (3600..2592000).

    Returns:
        The ``OpenAIFile`` object.

    Raises:
        RequestRejected: 400 for a body that is not a multipart form, a missing ``file`` or
            ``purpose``, an unknown purpose or a bad ``expires_after``; 413 for a body over
            ``max_body_bytes`` or a file over ``max_files_bytes``.
    """
    engine = engine_of(request)
    raw = await read_raw(request, engine.config.max_body_bytes)
    filename, content, fields = await _form(request, raw)
    purpose = fields.get("purpose")
    if purpose is None:
        raise _missing("purpose")
    if purpose not in UPLOAD_PURPOSES:
        raise RequestRejected(
            400,
            f"Invalid value for 'purpose': {purpose!r}. Supported values are: "
            + ", ".join(repr(p) for p in UPLOAD_PURPOSES)
            + ".",
            param="purpose",
            code="invalid_value",
        )
    created_at = now()
    ttl_s = _expires_after(fields)
    if ttl_s is None and purpose == "batch":
        ttl_s = BATCH_FILE_TTL_S
    stored = StoredFile(
        id=f"file-{new_hex(24)}",
        filename=filename,
        purpose=purpose,
        content=content,
        created_at=created_at,
        expires_at=None if ttl_s is None else created_at + ttl_s,
    )
    files_of(request).add(stored)
    return json_response(stored.to_object())


async def _form(request: Request, raw: bytes) -> tuple[str, bytes, dict[str, str]]:
    """``(filename, content, other fields)`` of a multipart upload.

    Raises:
        RequestRejected: 400 when the body is not ``multipart/form-data`` or has no ``file``.
    """
    content_type = request.headers.get("content-type", "")
    if not content_type.lower().startswith("multipart/form-data"):
        raise RequestRejected(
            400,
            f"Invalid Content-Type {content_type!r}: a file is uploaded as multipart/form-data.",
            code="invalid_value",
        )

    async def body() -> AsyncGenerator[bytes, None]:
        yield raw

    try:
        form = await MultiPartParser(request.headers, body(), max_files=1, max_fields=16).parse()
    except MultiPartException as exc:
        raise RequestRejected(400, f"Invalid multipart body: {exc.message}") from None
    try:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise _missing("file")
        content = await upload.read()
        fields = {k: v for k, v in form.multi_items() if isinstance(v, str)}
        return upload.filename or "file", content, fields
    finally:
        await form.close()


def _missing(param: str) -> RequestRejected:
    return RequestRejected(
        400,
        f"Missing required parameter: '{param}'.",
        param=param,
        code="missing_required_parameter",
    )


def _expires_after(fields: dict[str, str]) -> int | None:
    """``expires_after[seconds]`` when given, checked.

    Raises:
        RequestRejected: 400 for an anchor other than ``created_at`` or seconds outside
            3600..2592000.
    """
    anchor = fields.get("expires_after[anchor]")
    seconds = fields.get("expires_after[seconds]")
    if anchor is None and seconds is None:
        return None
    if anchor != "created_at":
        raise RequestRejected(
            400,
            f"Invalid 'expires_after[anchor]': {anchor!r}. Supported value: 'created_at'.",
            param="expires_after.anchor",
            code="invalid_value",
        )
    if seconds is None or not seconds.isdigit() or not 3600 <= int(seconds) <= 2_592_000:
        raise RequestRejected(
            400,
            f"Invalid 'expires_after[seconds]': {seconds!r}. Expected an integer from 3600 "
            "to 2592000.",
            param="expires_after.seconds",
            code="invalid_value",
        )
    return int(seconds)


async def list_files(request: Request) -> Response:
    """``GET /v1/files``: a cursor page of files, newest first (spec: ``listFiles``).

    ``purpose`` keeps the files of one purpose; ``limit`` is 1..10,000 (default 10,000);
    ``order`` and ``after`` as for every list.

    Raises:
        RequestRejected: 400 for a bad ``limit`` or ``order``.
    """
    purpose = request.query_params.get("purpose")
    if purpose is not None and purpose not in (*UPLOAD_PURPOSES, *MADE_PURPOSES):
        raise RequestRejected(
            400, f"Invalid value for 'purpose': {purpose!r}.", param="purpose", code="invalid_value"
        )
    items = [
        f.to_object() for f in files_of(request).values() if purpose is None or f.purpose == purpose
    ]
    return cursor_page(request, items, max_limit=MAX_LIST, default_limit=MAX_LIST)


async def retrieve_file(request: Request) -> Response:
    """``GET /v1/files/{file_id}``: the ``OpenAIFile`` object (spec: ``retrieveFile``).

    Raises:
        RequestRejected: 404 for an unknown id.
    """
    return json_response(files_of(request).get(request.path_params["file_id"]).to_object())


async def file_content(request: Request) -> Response:
    """``GET /v1/files/{file_id}/content``: the file's bytes as uploaded or made.

    Raises:
        RequestRejected: 404 for an unknown id.
    """
    stored = files_of(request).get(request.path_params["file_id"])
    return Response(stored.content, media_type="application/octet-stream")


async def delete_file(request: Request) -> Response:
    """``DELETE /v1/files/{file_id}``: ``{"id", "object": "file", "deleted": true}``.

    Raises:
        RequestRejected: 404 for an unknown id.
    """
    stored = files_of(request).delete(request.path_params["file_id"])
    return json_response({"id": stored.id, "object": "file", "deleted": True})
