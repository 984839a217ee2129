"""The periodic jobs as Django tasks on their cron schedules (``manage.py crontask``).

Each task only names its job: the schedule and the work live in ``nudges.jobs.JOBS``, and
``job_run`` makes a second delivery for the same period do nothing. Each passes its own task
id, so a delivery that runs again after its worker died (``task_worker`` puts it back) takes
over the run it had started instead of skipping it. Run ``manage.py crontask`` once per
installation (it enqueues) and ``manage.py db_worker`` for the work (docs/operations.md).
"""

from crontask import cron
from django.tasks import TaskContext, task

from vakwerk.nudges.jobs import JOBS, job_run


def _run(name: str, context: TaskContext) -> str:
    run = job_run(name, task_id=str(context.task_result.id))
    return run.status if run else "skipped"


@cron(JOBS["pulses"].schedule)
@task(takes_context=True)
def pulses(context: TaskContext) -> str:
    return _run("pulses", context)


@cron(JOBS["notifications"].schedule)
@task(takes_context=True)
def notifications(context: TaskContext) -> str:
    return _run("notifications", context)


@cron(JOBS["round_reminders"].schedule)
@task(takes_context=True)
def round_reminders(context: TaskContext) -> str:
    return _run("round_reminders", context)


@cron(JOBS["reminders"].schedule)
@task(takes_context=True)
def reminders(context: TaskContext) -> str:
    return _run("reminders", context)


@cron(JOBS["digests"].schedule)
@task(takes_context=True)
def digests(context: TaskContext) -> str:
    return _run("digests", context)


@cron(JOBS["retention"].schedule)
@task(takes_context=True)
def retention(context: TaskContext) -> str:
    return _run("retention", context)


@cron(JOBS["xapi"].schedule)
@task(takes_context=True)
def xapi(context: TaskContext) -> str:
    return _run("xapi", context)


# The task behind each job, for operators who start a job by hand and for the tests.
TASKS = {
    "pulses": pulses,
    "notifications": notifications,
    "round_reminders": round_reminders,
    "reminders": reminders,
    "digests": digests,
    "retention": retention,
    "xapi": xapi,
}
