"""Background tasks of the people app (Django's tasks API, run by ``manage.py db_worker``)."""

from django.tasks import task

from vakwerk.people import importing


@task
def apply_people_import(job_id: int) -> None:
    """Apply a checked people import; progress and result are kept on the ``ImportJob``."""
    importing.import_job_run(job_id=job_id)
