"""``manage.py task_worker``: ``db_worker`` that first puts back the task it was running when it
last stopped.

django-tasks-db leaves a task RUNNING for ever when its worker dies mid-task (SIGKILL, an out of
memory kill, a power cut): nothing puts it back in the queue, so its work is lost
(``bench/scale_out.py`` showed it). Run each worker with a fixed, unique ``--worker-id``
(docs/operations.md); when it starts, the tasks still RUNNING under that id cannot be running
anywhere else, so they are put back as READY and run again. Vakwerk's tasks are safe to run
again (each checks its own state first). All other options are those of ``db_worker``.
"""

from typing import Any

from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand
from django_tasks_db.models import DBTaskResult

from vakwerk.lib.tasks import requeue_interrupted


class Command(DbWorkerCommand):
    help = "Run the task worker, first re-queueing tasks this worker id left running."

    def handle(self, *args: Any, **options: Any) -> None:
        requeued = requeue_interrupted(DBTaskResult.objects.all(), options["worker_id"])
        if requeued:
            self.stdout.write(f"Put {requeued} interrupted task(s) back in the queue.")
        super().handle(*args, **options)
