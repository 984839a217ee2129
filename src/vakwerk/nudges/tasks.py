"""The periodic jobs as Django tasks on their cron schedules (``manage.py crontask``).

Each task only names its job: the schedule and the work live in ``nudges.jobs.JOBS``, and
``job_run`` makes a second delivery for the same period do nothing. Run ``manage.py crontask``
once per installation (it enqueues) and ``manage.py db_worker`` for the work (docs/operations.md).
"""

from crontask import cron
from django.tasks import task

from vakwerk.nudges.jobs import JOBS, job_run


def _run(name: str) -> str:
    run = job_run(name)
    return run.status if run else "skipped"


@cron(JOBS["pulses"].schedule)
@task
def pulses() -> str:
    return _run("pulses")


@cron(JOBS["notifications"].schedule)
@task
def notifications() -> str:
    return _run("notifications")


@cron(JOBS["round_reminders"].schedule)
@task
def round_reminders() -> str:
    return _run("round_reminders")


@cron(JOBS["reminders"].schedule)
@task
def reminders() -> str:
    return _run("reminders")


@cron(JOBS["digests"].schedule)
@task
def digests() -> str:
    return _run("digests")


@cron(JOBS["retention"].schedule)
@task
def retention() -> str:
    return _run("retention")


# The task behind each job, for operators who start a job by hand and for the tests.
TASKS = {
    "pulses": pulses,
    "notifications": notifications,
    "round_reminders": round_reminders,
    "reminders": reminders,
    "digests": digests,
    "retention": retention,
}
