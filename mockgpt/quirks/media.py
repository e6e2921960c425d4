"""Quirks of the moderations answer (stage ``body``)."""

from __future__ import annotations

from mockgpt.types import JSONObject

_NEWER = ("illicit", "illicit/violent")
"""The categories the API added with its omni models (2024)."""


def quirk_moderation(body: JSONObject, quirks: frozenset[str]) -> None:
    """``moderations-illicit-missing``: no ``illicit`` or ``illicit/violent`` in any map.

    As servers cloning the older text-moderation answer send it.
    """
    if "moderations-illicit-missing" not in quirks:
        return
    results = body.get("results")
    for result in results if isinstance(results, list) else ():
        if not isinstance(result, dict):
            continue
        for key in ("categories", "category_scores", "category_applied_input_types"):
            mapping = result.get(key)
            if isinstance(mapping, dict):
                for category in _NEWER:
                    mapping.pop(category, None)
