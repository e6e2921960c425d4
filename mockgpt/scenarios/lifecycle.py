"""``respond.lifecycle``: when a job that finishes later (a background response, a batch) ends."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from mockgpt.scenarios.text_match import ScenarioModel

JobEnd = Literal["completed", "failed", "cancelled", "expired", "incomplete"]
"""How a job ends. A family keeps the ends its API has (a background response: ``completed``,
``failed``, ``cancelled``, ``incomplete``; a batch: ``completed``, ``failed``, ``cancelled``,
``expired``) and rejects the others when the stub answers."""


class LifecycleScript(ScenarioModel):
    """When a job moves from ``queued`` through ``in_progress`` to its end.

    A job is ``queued`` when created and until it is first read, ``in_progress`` after, and
    ends (``end``) at the read that makes ``polls`` reads, or once ``after_ms`` milliseconds
    have passed since it was created, whichever the stub gives (``after_ms`` wins when both
    are given). With neither, the default is ``polls: 1``: the first read finds it ended.

    Attributes:
        polls: reads (retrieve calls) that find the job before it ends; the ``polls``-th read
            sees the end.
        after_ms: milliseconds from creation to the end, reads or not.
        end: the job's last status.
    """

    polls: Annotated[int, Field(ge=0, le=1_000_000)] = 1
    after_ms: Annotated[float, Field(ge=0, le=86_400_000)] | None = None
    end: JobEnd = "completed"

    @model_validator(mode="after")
    def _one_trigger(self) -> LifecycleScript:
        if self.after_ms is not None and "polls" in self.model_fields_set:
            raise ValueError("give polls or after_ms, not both")
        return self


DEFAULT_LIFECYCLE = LifecycleScript()
"""A job with no stub's lifecycle: queued at creation, ended (completed) at the first read."""
