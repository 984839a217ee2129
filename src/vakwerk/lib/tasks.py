"""Recovery of background tasks whose worker died while running them (``task_worker``)."""

from typing import Any

from django.db import transaction
from django.db.models import QuerySet


@transaction.atomic
def requeue_interrupted(results: QuerySet[Any], worker_id: str) -> int:
    """Put the tasks that ``worker_id`` claimed last and never finished back as READY.

    Only the claiming worker's own tasks: a task another live worker runs is never touched.
    Returns how many were put back. ``results`` is django-tasks-db's ``DBTaskResult`` queryset
    (passed in, so this helper does not import the backend).
    """
    running = list(results.select_for_update().filter(status="RUNNING"))
    mine = [r.pk for r in running if r.worker_ids and r.worker_ids[-1] == worker_id]
    if not mine:
        return 0
    return int(results.filter(pk__in=mine).update(status="READY", started_at=None))
