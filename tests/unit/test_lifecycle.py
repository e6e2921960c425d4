"""``Job``: queued → in_progress → end, by reads or by time, and cancel."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from mockgpt.lifecycle import Job
from mockgpt.scenarios.lifecycle import LifecycleScript


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_default_job_is_queued_then_completed_at_the_first_read() -> None:
    job = Job()
    assert job.status == "queued"
    assert not job.done
    assert job.poll() == "completed"
    assert job.done
    assert job.poll() == "completed"
    assert job.polls == 1


def test_a_job_ends_at_the_read_that_makes_polls_reads() -> None:
    job = Job(LifecycleScript(polls=3, end="failed"))
    assert [job.poll() for _ in range(4)] == ["in_progress", "in_progress", "failed", "failed"]
    assert job.polls == 3


def test_a_job_ends_by_time_whether_read_or_not() -> None:
    clock = FakeClock()
    job = Job(LifecycleScript(after_ms=500), clock)
    assert job.status == "queued"
    assert job.ms_left() == 500
    clock.now += 0.2
    assert job.poll() == "in_progress"
    assert job.ms_left() == pytest.approx(300)
    clock.now += 0.3
    assert job.status == "completed"
    assert job.ms_left() is None


def test_cancel_ends_a_running_job_but_not_an_ended_one() -> None:
    job = Job(LifecycleScript(polls=5))
    job.poll()
    assert job.cancel()
    assert job.status == "cancelled"
    assert not job.cancel()
    assert job.poll() == "cancelled"
    ended = Job()
    ended.poll()
    assert not ended.cancel()
    assert ended.status == "completed"


def test_polls_and_after_ms_together_are_a_scenario_error() -> None:
    with pytest.raises(ValidationError, match="polls or after_ms"):
        LifecycleScript.model_validate({"polls": 2, "after_ms": 10})
    assert LifecycleScript.model_validate({"after_ms": 10}).polls == 1
