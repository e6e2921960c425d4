"""Quirks of the Batch API's output lines (stage ``body``)."""

from __future__ import annotations

from mockgpt.types import JSONObject


def quirk_batch_line(line: JSONObject, quirks: frozenset[str]) -> JSONObject:
    """An output line as a quirky server writes it (``custom-id-dropped``).

    Args:
        line: ``{"id", "custom_id", "response", "error"}``, changed in place.
        quirks: the batch's active quirk names.

    Returns:
        ``line``.
    """
    if "custom-id-dropped" in quirks:
        line["custom_id"] = None
    return line
