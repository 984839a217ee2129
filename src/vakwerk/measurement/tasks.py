"""Background tasks of the measurement app (Django's tasks API, run by ``manage.py db_worker``)."""

from django.tasks import TaskContext, task

from vakwerk.measurement import services


@task(takes_context=True)
def compute_estimates(context: TaskContext, run_id: int) -> str:
    """Compute and store a round's estimates; status and progress are kept on the run.

    Each run is enqueued once. A second attempt of that delivery means its worker died
    mid-run and ``task_worker`` put it back: it takes over the run it had started.
    """
    return services.estimates_compute(run_id=run_id, resume=context.attempt > 1)
