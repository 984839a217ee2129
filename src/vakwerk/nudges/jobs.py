"""Periodic jobs: what runs when, and the guard that makes each run happen once per period.

The schedule lives here, in one table (``JOBS``); ``nudges.tasks`` turns each entry into a
Django task that ``django-crontask`` enqueues on its cron schedule (``manage.py crontask``)
and a task worker runs (``manage.py db_worker``). docs/operations.md lists the same table.

Every job works for a *period* (a day or an ISO week in Europe/Amsterdam time). ``job_run``
records the run as a ``JobRun`` row, unique per job and period, before the work starts, so a
task delivered twice, a second scheduler or an operator's manual run does the work once. A
failed run is retried by the next delivery for the same period; a run that has been "running"
longer than ``STALE_AFTER`` lost its worker and may be taken over. The work functions are
idempotent themselves as well (they skip what they already did), so a retry after a failure
half-way does no harm.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from apscheduler.triggers.cron import CronTrigger
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from vakwerk.nudges.models import JobRun, JobStatus

logger = logging.getLogger(__name__)

STALE_AFTER = timedelta(hours=2)

Period = Literal["day", "week"]


@dataclass(frozen=True)
class Job:
    name: str
    schedule: str  # crontab, in the installation's time zone (Europe/Amsterdam)
    period: Period
    function: str  # dotted path of ``f(*, now: datetime) -> dict[str, int]``
    description: str | Promise

    def trigger(self) -> CronTrigger:
        return CronTrigger.from_crontab(self.schedule, timezone=timezone.get_default_timezone())

    def next_run(self, after: datetime) -> datetime | None:
        fire: datetime | None = self.trigger().get_next_fire_time(None, after)
        return fire


JOBS: dict[str, Job] = {
    job.name: job
    for job in (
        Job(
            "pulses",
            "0 6 * * *",
            "day",
            "vakwerk.measurement.pulse_services.pulses_schedule",
            _("Plans a pulse check for everyone whose last measurement is due again."),
        ),
        Job(
            "notifications",
            "15 6 * * *",
            "day",
            "vakwerk.nudges.notifications.notifications_refresh",
            _("Puts what is due today in everyone's notification centre."),
        ),
        Job(
            "round_reminders",
            "0 7 * * *",
            "day",
            "vakwerk.nudges.jobs.round_reminders",
            _("Reminds raters who have not answered in rounds that close soon."),
        ),
        Job(
            "reminders",
            "0 7 * * *",
            "day",
            "vakwerk.nudges.email.reminders_send",
            _("Emails reminders for development actions that are due."),
        ),
        Job(
            "digests",
            "30 7 * * mon",
            "week",
            "vakwerk.nudges.email.digests_send_weekly",
            _("Emails the weekly digest to employees and managers."),
        ),
        Job(
            "xapi",
            "0 5 * * *",
            "day",
            "vakwerk.api.xapi.statements_resend",
            _("Sends xAPI statements that still wait to each organisation's LRS."),
        ),
        Job(
            "retention",
            "30 3 * * *",
            "day",
            "vakwerk.audit.retention.retention_apply",
            _("Removes or anonymises personal data older than the organisation keeps it."),
        ),
    )
}


def round_reminders(*, now: datetime) -> dict[str, int]:
    """The rounds' automatic reminders (``assessments.reminders``) for the day of ``now``."""
    from vakwerk.assessments.reminders import send_due_reminders

    return {"queued": send_due_reminders(timezone.localdate(now))}


def period_of(period: Period, now: datetime) -> str:
    """The period a run at ``now`` works for: ``2026-11-27`` or ``2026-W48``."""
    local = timezone.localtime(now)
    if period == "day":
        return local.date().isoformat()
    year, week, _weekday = local.isocalendar()
    return f"{year}-W{week:02d}"


def job_run(name: str, *, now: datetime | None = None, task_id: str = "") -> JobRun | None:
    """Run the job ``name`` for the period of ``now`` unless that period already ran.

    ``task_id`` is the task delivery that runs it (kept in the run's details while it runs):
    when that same delivery comes back to a run it left "running", its worker died and
    ``task_worker`` put it back, so it takes the run over at once.

    Returns the run, or None when it was skipped (already done, or running elsewhere).
    """
    job = JOBS[name]
    now = now or timezone.now()
    period = period_of(job.period, now)
    run = _claim(job.name, period, now, task_id)
    if run is None:
        logger.info("Job %s for %s already ran or is running; skipped", name, period)
        return None
    work: Callable[..., dict[str, int]] = import_string(job.function)
    try:
        details = work(now=now)
    except Exception as error:
        logger.exception("Job %s for %s failed", name, period)
        JobRun.objects.filter(pk=run.pk).update(
            status=JobStatus.FAILED,
            finished_at=timezone.now(),
            error=f"{type(error).__name__}: {error}"[:2000],
        )
        run.refresh_from_db()
        return run
    JobRun.objects.filter(pk=run.pk).update(
        status=JobStatus.DONE, finished_at=timezone.now(), details=details, error=""
    )
    run.refresh_from_db()
    return run


def _claim(job: str, period: str, now: datetime, task_id: str = "") -> JobRun | None:
    """Record that this process runs ``job`` for ``period``; None when another run has it."""
    holder = {"task": task_id} if task_id else {}
    try:
        with transaction.atomic():
            return JobRun.objects.create(job=job, period=period, started_at=now, details=holder)
    except IntegrityError:
        pass
    with transaction.atomic():
        run = JobRun.objects.select_for_update().get(job=job, period=period)
        running = run.status == JobStatus.RUNNING
        stale = running and run.started_at < timezone.now() - STALE_AFTER
        resumed = running and bool(task_id) and run.details.get("task") == task_id
        if run.status != JobStatus.FAILED and not stale and not resumed:
            return None
        run.status = JobStatus.RUNNING
        run.started_at = now
        run.finished_at = None
        run.attempts += 1
        run.details = holder
        run.save(update_fields=["status", "started_at", "finished_at", "attempts", "details"])
        return run


def last_runs() -> dict[str, JobRun]:
    """The most recent run of every job (one query per job, on the (job, started) index)."""
    runs = {
        name: JobRun.objects.filter(job=name).order_by("-started_at", "-id").first()
        for name in JOBS
    }
    return {name: run for name, run in runs.items() if run is not None}
