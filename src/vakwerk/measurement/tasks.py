"""Background tasks of the measurement app (Django's tasks API, run by ``manage.py db_worker``)."""

from django.tasks import task

from vakwerk.measurement import services


@task
def compute_estimates(run_id: int) -> str:
    """Compute and store a round's estimates; status and progress are kept on the run."""
    return services.estimates_compute(run_id=run_id)
