"""``Job``: the progress of something that finishes later (a background response, a batch).

A job is ``queued`` when created, ``in_progress`` once read, and reaches its end after the
reads or the time its ``LifecycleScript`` (``respond.lifecycle``) gives. A cancel before the
end ends it ``cancelled``. The job knows nothing of HTTP or of its family's wire names: a
batch calls ``queued`` ``validating``; the owner maps the status and acts on the end (stores
the output, sends the webhook).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Literal

from mockgpt.scenarios.lifecycle import DEFAULT_LIFECYCLE, JobEnd, LifecycleScript

JobStatus = Literal["queued", "in_progress"] | JobEnd
"""A job's status: ``queued``, ``in_progress``, or one of the ends."""


class Job:
    """One job's progress, driven by reads (``poll``) and time.

    Args:
        script: when it ends (``respond.lifecycle``; default: at the first read, completed).
        clock: monotonic seconds (``time.monotonic``; tests pass a fake).
    """

    __slots__ = ("_clock", "_ended", "created", "polls", "script")

    def __init__(
        self,
        script: LifecycleScript = DEFAULT_LIFECYCLE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.script = script
        self._clock = clock
        self.created = clock()
        self.polls = 0
        self._ended: JobEnd | None = None

    @property
    def status(self) -> JobStatus:
        """The status now, without counting a read (an end reached by time is kept)."""
        if self._ended is not None:
            return self._ended
        if self.script.after_ms is not None and self.ms_left() == 0:
            self._ended = self.script.end
            return self._ended
        return "queued" if self.polls == 0 else "in_progress"

    @property
    def done(self) -> bool:
        """True once the job has reached an end."""
        return self.status not in ("queued", "in_progress")

    def poll(self) -> JobStatus:
        """Count one read (a retrieve) and return the status it sees."""
        if self._ended is None:
            self.polls += 1
            if self.script.after_ms is None and self.polls >= self.script.polls:
                self._ended = self.script.end
        return self.status

    def cancel(self) -> bool:
        """End the job ``cancelled``; False (and no change) when it had already ended."""
        if self.done:
            return False
        self._ended = "cancelled"
        return True

    def ms_left(self) -> float | None:
        """Milliseconds until a time-driven job ends (0 when due), None when reads drive it."""
        if self.script.after_ms is None or self._ended is not None:
            return None
        elapsed_ms = (self._clock() - self.created) * 1000
        return max(0.0, self.script.after_ms - elapsed_ms)
