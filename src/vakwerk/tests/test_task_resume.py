"""A task put back after its worker died takes over the run it had started; any other delivery
of a running run still does nothing (the services behind ``test_faults.py``, in-process)."""

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from vakwerk.assessments import services
from vakwerk.audit.services import Actor
from vakwerk.measurement import services as measurement
from vakwerk.measurement.models import Estimate, EstimateRun, RunStatus
from vakwerk.nudges.jobs import JOBS, Job, job_run, period_of
from vakwerk.nudges.models import JobRun, JobStatus

pytest_plugins = ["vakwerk.tests.measured"]
pytestmark = pytest.mark.django_db

SEEN: list[dict[str, Any]] = []  # the run's details while the job worked, per call


def work(*, now: dt.datetime) -> dict[str, int]:
    SEEN.append(JobRun.objects.get(job="resumable").details)
    return {"done": len(SEEN)}


@pytest.fixture
def resumable_job(monkeypatch: Any) -> str:
    SEEN.clear()
    monkeypatch.setitem(
        JOBS, "resumable", Job("resumable", "0 6 * * *", "day", f"{__name__}.work", "Test")
    )
    return "resumable"


def _left_running(name: str, task_id: str) -> JobRun:
    """The run a killed worker left a minute ago: claimed by task ``task_id``, never
    finished (not yet stale, which any delivery may take over)."""
    started = timezone.now() - dt.timedelta(minutes=1)
    return JobRun.objects.create(
        job=name, period=period_of("day", started), started_at=started, details={"task": task_id}
    )


def test_a_job_run_names_the_task_that_runs_it_until_it_is_done(resumable_job):
    run = job_run(resumable_job, task_id="task-1")
    assert run is not None
    assert SEEN == [{"task": "task-1"}]
    assert (run.status, run.attempts, run.details) == (JobStatus.DONE, 1, {"done": 1})


def test_the_same_delivery_put_back_after_a_crash_takes_over_its_run(resumable_job):
    _left_running(resumable_job, "task-1")
    run = job_run(resumable_job, task_id="task-1")
    assert run is not None
    assert (run.status, run.attempts, run.details) == (JobStatus.DONE, 2, {"done": 1})
    assert len(SEEN) == 1
    # Done now: the same delivery again, or another, does nothing.
    assert job_run(resumable_job, task_id="task-1") is None
    assert len(SEEN) == 1


def test_another_delivery_leaves_a_running_run_alone(resumable_job):
    _left_running(resumable_job, "task-1")
    assert job_run(resumable_job, task_id="task-2") is None
    assert job_run(resumable_job) is None  # started by hand, without a task id
    assert SEEN == []
    assert JobRun.objects.get().status == JobStatus.RUNNING


def test_an_estimate_run_left_running_is_computed_by_its_own_task_put_back(answered_round):
    services.round_close(round_=answered_round, actor=Actor(user=None))  # task not run here
    run = EstimateRun.objects.get(round=answered_round)
    # A worker claimed it, marked it running and died.
    EstimateRun.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING, progress=10)
    assert measurement.estimates_compute(run_id=run.pk) == ""  # another delivery: no-op
    assert not Estimate.objects.filter(round=answered_round).exists()
    assert measurement.estimates_compute(run_id=run.pk, resume=True) == RunStatus.DONE
    run.refresh_from_db()
    assert (run.status, run.progress) == (RunStatus.DONE, 100)
    stored = Estimate.objects.filter(round=answered_round)
    assert stored.exists()
    assert set(stored.values_list("run_id", flat=True)) == {run.pk}
    # Finished: even the retried task does nothing more.
    assert measurement.estimates_compute(run_id=run.pk, resume=True) == ""
