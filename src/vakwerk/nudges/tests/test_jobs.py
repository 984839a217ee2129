import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from vakwerk.accounts.services import totp_enrol
from vakwerk.audit.models import AuditEvent
from vakwerk.nudges import jobs
from vakwerk.nudges.jobs import JOBS, Job, job_run, period_of
from vakwerk.nudges.models import JobRun, JobStatus
from vakwerk.organisations.models import Role
from vakwerk.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
CALLS: list[dt.datetime] = []


def record_work(*, now: dt.datetime) -> dict[str, int]:
    CALLS.append(now)
    return {"calls": len(CALLS)}


def failing_work(*, now: dt.datetime) -> dict[str, int]:
    raise RuntimeError("mail server down")


@pytest.fixture
def test_job(monkeypatch):
    CALLS.clear()
    job = Job("test", "0 6 * * *", "day", f"{__name__}.record_work", "test")
    monkeypatch.setitem(JOBS, "test", job)
    return job


def test_every_scheduled_job_names_a_function_that_exists():
    from django.utils.module_loading import import_string

    for job in JOBS.values():
        assert callable(import_string(job.function)), job.name
        assert job.next_run(dt.datetime(2026, 11, 27, tzinfo=dt.UTC)) is not None


def test_every_job_is_a_scheduled_task():
    from crontask import scheduler

    from vakwerk.nudges import tasks

    assert set(tasks.TASKS) == set(JOBS)
    assert {job.name for job in scheduler.get_jobs()} >= set(JOBS)


def test_periods_are_local_days_and_iso_weeks():
    late_sunday_utc = dt.datetime(2026, 11, 29, 23, 30, tzinfo=dt.UTC)  # Monday 00:30 local
    assert period_of("day", late_sunday_utc) == "2026-11-30"
    assert period_of("week", late_sunday_utc) == "2026-W49"
    assert period_of("week", dt.datetime(2027, 1, 1, 12, tzinfo=dt.UTC)) == "2026-W53"


def test_a_job_runs_once_per_period(test_job):
    morning = dt.datetime(2026, 11, 27, 6, tzinfo=AMSTERDAM)
    first = job_run("test", now=morning)
    second = job_run("test", now=morning + dt.timedelta(hours=3))
    assert first is not None
    assert first.status == JobStatus.DONE
    assert first.details == {"calls": 1}
    assert second is None
    assert len(CALLS) == 1
    assert job_run("test", now=morning + dt.timedelta(days=1)) is not None
    assert len(CALLS) == 2
    assert JobRun.objects.filter(job="test").count() == 2


def test_a_failed_run_is_retried_by_the_next_delivery(test_job, monkeypatch):
    morning = dt.datetime(2026, 11, 27, 6, tzinfo=AMSTERDAM)
    monkeypatch.setitem(
        JOBS, "test", Job("test", "0 6 * * *", "day", f"{__name__}.failing_work", "t")
    )
    failed = job_run("test", now=morning)
    assert failed is not None
    assert failed.status == JobStatus.FAILED
    assert "mail server down" in failed.error
    monkeypatch.setitem(JOBS, "test", test_job)
    retried = job_run("test", now=morning + dt.timedelta(minutes=5))
    assert retried is not None
    assert retried.pk == failed.pk
    assert retried.status == JobStatus.DONE
    assert retried.attempts == 2
    assert retried.error == ""


def test_a_run_stuck_in_running_is_taken_over_only_when_stale(test_job):
    morning = dt.datetime(2026, 11, 27, 6, tzinfo=AMSTERDAM)
    JobRun.objects.create(job="test", period="2026-11-27", started_at=morning)
    with time_machine.travel(morning + dt.timedelta(minutes=30)):
        assert job_run("test") is None
    with time_machine.travel(morning + jobs.STALE_AFTER + dt.timedelta(minutes=1)):
        taken = job_run("test")
    assert taken is not None
    assert taken.status == JobStatus.DONE
    assert len(CALLS) == 1


def test_over_six_months_each_job_fires_on_its_schedule_and_works_once_per_period(test_job):
    """Every delivery the scheduler makes (and a duplicate of each) over half a year."""
    start = dt.datetime(2026, 12, 1, tzinfo=AMSTERDAM)
    end = dt.datetime(2027, 6, 1, tzinfo=AMSTERDAM)
    weekly = Job("test", "30 7 * * mon", "week", f"{__name__}.record_work", "t")
    for job, expected in ((test_job, (end - start).days), (weekly, 26)):
        CALLS.clear()
        JOBS["test"] = job
        fire = job.next_run(start)
        fires = 0
        while fire is not None and fire < end:
            fires += 1
            with time_machine.travel(fire, tick=False):
                job_run("test")
                job_run("test")  # delivered twice
            fire = job.next_run(fire + dt.timedelta(seconds=1))
        assert fires == expected
        assert len(CALLS) == expected
        assert all(call.astimezone(AMSTERDAM).hour in (6, 7) for call in CALLS)
        JobRun.objects.filter(job="test").delete()


@pytest.fixture
def operator_client(client):
    operator = UserFactory(operator=True)
    totp_enrol(user=operator, secret="JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    client.force_login(operator)
    return client


def test_operators_see_the_last_and_next_run_of_each_job(operator_client, english):
    JobRun.objects.create(
        job="digests",
        period="2026-W48",
        status=JobStatus.DONE,
        started_at=dt.datetime(2026, 11, 23, 7, 30, tzinfo=AMSTERDAM),
        details={"sent": 41, "items": 3},
    )
    response = operator_client.get(reverse("jobs:list"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "2026-W48" in page
    assert "items: 3, sent: 41" in page
    assert page.count("Never") == len(JOBS) - 1


def test_an_operator_starts_a_job_by_hand_and_it_is_audited(operator_client, test_job, monkeypatch):
    from vakwerk.nudges import tasks

    monkeypatch.setitem(tasks.TASKS, "test", tasks.pulses)
    monkeypatch.setitem(JOBS, "pulses", test_job)
    with time_machine.travel(dt.datetime(2026, 11, 27, 9, tzinfo=AMSTERDAM)):
        response = operator_client.post(reverse("jobs:start", args=["test"]))
    assert response.status_code == 302
    assert len(CALLS) == 1  # the tasks backend of the tests runs it at once
    assert AuditEvent.objects.filter(action="job.start").exists()


def test_organisation_roles_never_see_the_jobs_page(member_client, organisation):
    for role in Role:
        client, _ = member_client(organisation, role)
        assert client.get(reverse("jobs:list")).status_code == 404
        assert client.post(reverse("jobs:start", args=["digests"])).status_code == 404
