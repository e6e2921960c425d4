"""``CreateBatchRequest``: the body of ``POST /v1/batches``."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from mockgpt.models.assistants import Metadata
from mockgpt.models.common import RequestModel

BATCH_ENDPOINTS = (
    "/v1/responses",
    "/v1/chat/completions",
    "/v1/embeddings",
    "/v1/completions",
    "/v1/moderations",
    "/v1/images/generations",
    "/v1/images/edits",
    "/v1/videos",
)
"""The endpoints a batch may name (spec: ``CreateBatchRequest.endpoint``); mockgpt takes those
it serves."""


class FileExpiration(RequestModel):
    """``output_expires_after``: ``{"anchor": "created_at", "seconds"}``.

    Spec: ``BatchFileExpirationAfter``.
    """

    anchor: Literal["created_at"]
    seconds: Annotated[int, Field(ge=3600, le=2_592_000)]


class CreateBatchRequest(RequestModel):
    """The body of ``POST /v1/batches`` (``CreateBatchRequest``)."""

    input_file_id: str
    endpoint: str
    completion_window: Literal["24h"]
    metadata: Metadata | None = None
    output_expires_after: FileExpiration | None = None
