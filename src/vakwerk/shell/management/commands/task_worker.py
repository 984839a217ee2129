"""``manage.py task_worker``: ``db_worker`` that first puts back the task it was running when it
last stopped.

django-tasks-db leaves a task RUNNING for ever when its worker dies mid-task (SIGKILL, an out of
memory kill, a power cut): nothing puts it back in the queue, so its work is lost
(``bench/scale_out.py`` showed it). Run each worker with a fixed, unique ``--worker-id``
(docs/operations.md); when it starts, the tasks still RUNNING under that id cannot be running
anywhere else, so they are put back as READY and run again. Vakwerk's tasks are safe to run
again (each checks its own state first). All other options are those of ``db_worker``.

``db_worker`` also stops with an error when it loses the database (a PostgreSQL restart or
fail-over). This worker waits and starts again instead, putting back the task it held, so a short
database outage needs nobody to restart the workers.
"""

import time
from typing import Any

from django.db import InterfaceError, OperationalError, connections
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand
from django_tasks_db.models import DBTaskResult

from vakwerk.lib.tasks import requeue_interrupted

# Seconds to wait before each new attempt after the database was lost; the last one repeats.
RETRY_DELAYS = (1.0, 2.0, 5.0, 10.0, 30.0)
# A worker that ran this long before losing the database starts again from the first delay.
STABLE_SECONDS = 60.0


class Command(DbWorkerCommand):
    help = "Run the task worker, first re-queueing tasks this worker id left running."

    def handle(self, *args: Any, **options: Any) -> None:
        failures = 0
        while True:
            started = time.monotonic()
            try:
                requeued = requeue_interrupted(DBTaskResult.objects.all(), options["worker_id"])
                if requeued:
                    self.stdout.write(f"Put {requeued} interrupted task(s) back in the queue.")
                super().handle(*args, **options)
                return
            except (OperationalError, InterfaceError) as error:
                if time.monotonic() - started > STABLE_SECONDS:
                    failures = 0
                delay = RETRY_DELAYS[min(failures, len(RETRY_DELAYS) - 1)]
                failures += 1
                connections.close_all()
                self.stderr.write(f"Lost the database ({error}); starting again in {delay:g} s.")
                time.sleep(delay)
