"""The moderation wire: categories, the built-in keyword list, one ``Moderation`` per input.

Spec: ``POST /moderations`` (``CreateModerationResponse``; each ``results[]`` entry has
``flagged``, ``categories``, ``category_scores`` and, for the omni models,
``category_applied_input_types``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Mapping, Sequence
from typing import Literal, get_args

from mockgpt.types import JSONObject

Category = Literal[
    "harassment",
    "harassment/threatening",
    "hate",
    "hate/threatening",
    "illicit",
    "illicit/violent",
    "self-harm",
    "self-harm/instructions",
    "self-harm/intent",
    "sexual",
    "sexual/minors",
    "violence",
    "violence/graphic",
]
"""A moderation category, as the API names it."""

CATEGORIES: tuple[Category, ...] = get_args(Category)
"""Every category of the API, in its order (``Moderation.categories``)."""

IMAGE_CATEGORIES = frozenset(
    (
        "self-harm",
        "self-harm/instructions",
        "self-harm/intent",
        "sexual",
        "violence",
        "violence/graphic",
    )
)
"""The categories the omni models also score images for; the others read text only."""

KEYWORDS: Mapping[str, tuple[str, ...]] = {
    "harassment": ("idiot", "loser"),
    "harassment/threatening": ("i will hurt you",),
    "hate": ("hateful",),
    "hate/threatening": ("exterminate them",),
    "illicit": ("shoplift", "counterfeit"),
    "illicit/violent": ("build a bomb",),
    "self-harm": ("self-harm",),
    "self-harm/instructions": ("how to self-harm",),
    "self-harm/intent": ("i want to hurt myself",),
    "sexual": ("explicit sex",),
    "sexual/minors": ("sexual minor",),
    "violence": ("kill", "murder", "attack"),
    "violence/graphic": ("gore", "dismember"),
}
"""With no stub, a category is flagged when the input's text contains one of its words
(case-insensitive); the lists are small on purpose: tests name them to flag a category."""

FLAGGED_SCORE = 0.9
"""A flagged category's score when the stub gives none."""

MODERATION_MODELS = ("omni-moderation-latest", "text-moderation-latest")


def keyword_categories(text: str) -> list[str]:
    """The categories ``text`` flags by ``KEYWORDS``, in ``CATEGORIES`` order."""
    lowered = text.lower()
    return [c for c in CATEGORIES if any(word in lowered for word in KEYWORDS[c])]


def quiet_score(text: str, category: str) -> float:
    """A small deterministic score (below 0.01) of ``category`` for an unflagged ``text``."""
    digest = hashlib.sha256(f"{category}\0{text}".encode("utf-8", "surrogatepass")).digest()
    return round(int.from_bytes(digest[:4], "big") / 2**32 / 100, 8)


def moderation_result(
    text: str,
    flagged: Collection[str],
    scores: Mapping[str, float],
    *,
    input_types: Sequence[str] | None,
) -> JSONObject:
    """One ``results[]`` entry.

    Args:
        text: the input's text (its image parts count as none), for the unflagged scores.
        flagged: the categories flagged (names of ``CATEGORIES``).
        scores: a score in [0, 1] by category, where the stub gives one; others are
            ``FLAGGED_SCORE`` when flagged, ``quiet_score`` when not.
        input_types: ``text`` and/or ``image``, what the input held, for the omni models'
            ``category_applied_input_types``; None for a text model (no such field).
    """
    categories: JSONObject = {c: c in flagged for c in CATEGORIES}
    category_scores: JSONObject = {
        c: scores.get(c, FLAGGED_SCORE if c in flagged else quiet_score(text, c))
        for c in CATEGORIES
    }
    result: JSONObject = {
        "flagged": any(c in flagged for c in CATEGORIES),
        "categories": categories,
        "category_scores": category_scores,
    }
    if input_types is not None:
        result["category_applied_input_types"] = {
            c: [t for t in input_types if t == "text" or c in IMAGE_CATEGORIES] for c in CATEGORIES
        }
    return result


def moderation_response(response_id: str, model: str, results: list[JSONObject]) -> JSONObject:
    """``CreateModerationResponse``: ``id`` (``modr-...``), ``model`` and ``results``."""
    return {"id": response_id, "model": model, "results": list(results)}
