"""``POST /v1/moderations``: one result per input, every category, scores and ``flagged``."""

from __future__ import annotations

from typing import Any

from conformance.checks._shared import dumps
from conformance.context import CheckContext
from conformance.failures import Unsupported, Violation, Violations
from conformance.registry import check

CATEGORIES = (
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
)
"""Every category of ``Moderation.categories`` (openai-python's ``Categories``)."""
INPUTS = ["What a lovely day.", "I will kill you.", "A recipe for pancakes."]


def _result_violations(result: Any, where: str, exchange: Any) -> list[Violation]:
    if not isinstance(result, dict):
        return [Violation(where, "a Moderation object", dumps(result)[:120], exchange=exchange)]
    found = []
    categories = result.get("categories")
    scores = result.get("category_scores")
    for name, value, kind in (("categories", categories, bool), ("category_scores", scores, float)):
        if not isinstance(value, dict):
            found.append(
                Violation(f"{where}.{name}", "an object", dumps(value)[:80], exchange=exchange)
            )
            continue
        missing = [c for c in CATEGORIES if c not in value]
        if missing:
            found.append(
                Violation(
                    f"{where}.{name}",
                    "every category of the API",
                    f"no {', '.join(missing)}",
                    exchange=exchange,
                )
            )
        for category, item in value.items():
            good = (
                isinstance(item, bool)
                if kind is bool
                else isinstance(item, (int, float))
                and not isinstance(item, bool)
                and 0 <= item <= 1
            )
            if not good:
                expected = "a boolean" if kind is bool else "a number in [0, 1]"
                found.append(
                    Violation(
                        f"{where}.{name}.{category}", expected, dumps(item), exchange=exchange
                    )
                )
    flagged = result.get("flagged")
    if isinstance(categories, dict) and flagged is not any(v is True for v in categories.values()):
        on = [c for c, v in categories.items() if v]
        found.append(
            Violation(
                f"{where}.flagged",
                "true exactly when a category is true",
                f"{dumps(flagged)} with categories {dumps(on)}",
                exchange=exchange,
            )
        )
    return found


@check(
    id="moderations.response.shape",
    feature="moderations",
    spec="CreateModerationResponse {id, model, results: [Moderation]}: one result per input; "
    "Moderation (required: flagged, categories, category_scores): every category in both maps "
    "(harassment, harassment/threatening, hate, hate/threatening, illicit, illicit/violent, "
    "self-harm, self-harm/instructions, self-harm/intent, sexual, sexual/minors, violence, "
    "violence/graphic), scores in [0, 1], flagged when any category is",
)
def moderation_shape(ctx: CheckContext) -> None:
    """A moderations answer has one result per input, each with every category in both maps.

    Scores are numbers in [0, 1], and ``flagged`` is true exactly when a category is; the
    strict official client accepts it.
    """
    result = ctx.post("/moderations", {"input": INPUTS})
    if result.status == 404:
        raise Unsupported(
            f"POST /moderations: HTTP 404: {result.text(120)}", exchange=result.exchange
        )
    ctx.expect_ok(result, optional="moderations", owner=None)
    body = result.json_or_none()
    results = body.get("results") if isinstance(body, dict) else None
    if not isinstance(results, list) or len(results) != len(INPUTS):
        raise Violation(
            "results",
            f"an array of {len(INPUTS)} Moderation objects, one per input",
            result.text(160),
            exchange=result.exchange,
        )
    found = Violations()
    for index, item in enumerate(results):
        for violation in _result_violations(item, f"results[{index}]", result.exchange):
            found.add(violation)
    found.raise_any()
    with ctx.client_step("strict", result.exchange, "moderations.create() with strict validation"):
        ctx.client(strict=True).moderations.create(input=INPUTS)
