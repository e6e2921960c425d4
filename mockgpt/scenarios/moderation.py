"""``respond.moderation``: the categories a moderations answer flags, and their scores."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from mockgpt.render.moderations import Category
from mockgpt.scenarios.text_match import ScenarioModel

Score = Annotated[float, Field(ge=0, le=1)]


class ModerationScript(ScenarioModel):
    """What a moderations answer flags.

    ``categories`` are flagged for every input, unless ``inputs`` gives each input's own
    (by position; inputs past its end flag none). ``scores`` set category scores in [0, 1];
    a flagged category without one scores 0.9, an unflagged one a small deterministic score
    below 0.01. ``flagged`` is true exactly when a category is.

    Attributes:
        categories: the categories flagged for every input.
        inputs: per input, the categories it flags (replaces ``categories``).
        scores: category -> score, for every input.
    """

    categories: list[Category] = Field(default_factory=list)
    inputs: list[list[Category]] | None = None
    scores: dict[Category, Score] = Field(default_factory=dict)

    def flagged(self, index: int) -> list[str]:
        """The categories flagged for the ``index``-th input (0-based)."""
        if self.inputs is None:
            return list(self.categories)
        return list(self.inputs[index]) if index < len(self.inputs) else []
