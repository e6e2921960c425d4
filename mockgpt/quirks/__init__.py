"""Quirks as data: each makes answers depart from the spec in exactly one way.

Real OpenAI-compatible servers have shipped each of these (see the profiles in
``mockgpt/scenarios/builtin/`` and ``openai-wire-notes``). They let users test their clients
against real-world servers, and they are the broken twins that prove each conformance check
can fail. Nothing runs unless a scenario or stub names the quirk.

``REGISTRY`` names each quirk's family and the stages it acts at; the pipeline applies them at
those stages only, through this package: ``request`` (rewrite or refuse the body before it is
validated), ``chunk`` (stream objects), ``frame`` (stream bytes), ``body`` (the built JSON),
``envelope`` (status, headers, error body), and ``switch`` (a decision: answer a stream as
JSON, the stream's media type, always send usage, ignore the output format, ...). No other
module tests a quirk's name: the switches below are the pipeline's questions.
"""

from __future__ import annotations

from mockgpt.quirks.registry import QUIRKS, REGISTRY, Family, Quirk, Stage
from mockgpt.types import JSONObject

__all__ = [
    "FIXED_COMPLETION_ID",
    "QUIRKS",
    "REGISTRY",
    "Family",
    "Quirk",
    "Stage",
    "completion_id",
    "embeddings_dimensions",
    "embeddings_format",
    "ignores_output_format",
    "model_exists",
    "model_objects",
    "reasoning_content",
    "request_id_header",
    "stream_as_json",
    "stream_buffered",
    "stream_media_type",
    "unknown_model_status",
    "usage_always",
]


def stream_as_json(quirks: frozenset[str], endpoint: str) -> bool:
    """Whether a ``stream: true`` request is answered with one JSON body (switch)."""
    name = "responses-json-when-stream" if endpoint == "responses" else "json-when-stream"
    return name in quirks


def stream_media_type(quirks: frozenset[str], default: str) -> str:
    """The content type a chat or legacy stream is sent with (switch)."""
    return "application/x-ndjson" if "ndjson-content-type" in quirks else default


def usage_always(quirks: frozenset[str]) -> bool:
    """Whether a stream sends its usage chunk without ``include_usage`` (switch)."""
    return "usage-always" in quirks


def ignores_output_format(quirks: frozenset[str], chat_format_sent: bool) -> bool:
    """Whether a chat ``response_format`` is ignored (switch); ``text.format`` has its own."""
    return chat_format_sent and "response-format-ignored" in quirks


def reasoning_content(quirks: frozenset[str]) -> bool:
    """Whether chat answers carry their reasoning text as ``reasoning_content`` (switch)."""
    return "reasoning-content" in quirks


def unknown_model_status(quirks: frozenset[str]) -> int:
    """The status of an unknown model under a fixed model list (switch): 404, or 400."""
    return 400 if "unknown-model-400" in quirks else 404


def embeddings_format(quirks: frozenset[str], requested: str) -> str:
    """The ``encoding_format`` embeddings are sent in (switch)."""
    return "float" if "embeddings-ignore-encoding-format" in quirks else requested


def embeddings_dimensions(quirks: frozenset[str], requested: int | None, native: int) -> int:
    """The vector length embeddings are sent with (switch)."""
    if "embeddings-dimensions-ignored" in quirks:
        return native
    return requested or native


def model_exists(quirks: frozenset[str], known: bool) -> bool:
    """Whether ``GET /v1/models/{model}`` answers with the model (switch)."""
    if "model-retrieve-404" in quirks:
        return False
    return known or "model-retrieve-any" in quirks


def model_objects(quirks: frozenset[str], models: list[JSONObject]) -> None:
    """The body stage of ``GET /v1/models``: ``owned_by`` dropped, or no model listed."""
    if "models-list-omits-served" in quirks:
        models.clear()
    if "models-owned-by-missing" in quirks:
        for model in models:
            model.pop("owned_by", None)


def request_id_header(quirks: frozenset[str]) -> bool:
    """Whether API responses carry their ``x-request-id`` header (switch)."""
    return "no-request-id" not in quirks


def stream_buffered(quirks: frozenset[str]) -> bool:
    """Whether a chat or legacy stream is made whole, then sent in one write (switch).

    It is then sent with ``Content-Length``, as a server that buffers its answer sends it.
    """
    return "stream-buffered" in quirks


FIXED_COMPLETION_ID = "chatcmpl-" + "0" * 30
"""The ``id`` of every chat completion under ``completion-id-fixed``."""


def completion_id(quirks: frozenset[str], fresh: str) -> str:
    """A chat completion's ``id`` (switch): ``fresh``, or one fixed id for every completion."""
    return FIXED_COMPLETION_ID if "completion-id-fixed" in quirks else fresh
