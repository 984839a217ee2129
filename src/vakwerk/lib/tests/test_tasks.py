"""A worker that starts again puts back what it was running when it died, and only that."""

import pytest
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from vakwerk.lib.tasks import requeue_interrupted

pytestmark = pytest.mark.django_db


def _task(status: str, worker_ids: list[str]) -> DBTaskResult:
    return DBTaskResult.objects.create(
        status=status,
        args_kwargs={"args": [], "kwargs": {}},
        task_path="vakwerk.nudges.tasks.pulses",
        worker_ids=worker_ids,
        backend_name="default",
    )


def test_only_the_restarted_workers_own_running_tasks_go_back_to_the_queue():
    killed = _task("RUNNING", ["worker-1"])
    elsewhere = _task("RUNNING", ["worker-2"])
    retried_elsewhere = _task("RUNNING", ["worker-1", "worker-2"])  # worker-2 has it now
    finished = _task("SUCCESSFUL", ["worker-1"])
    assert requeue_interrupted(DBTaskResult.objects.all(), "worker-1") == 1
    statuses = {t.pk: t.status for t in DBTaskResult.objects.all()}
    assert statuses == {
        killed.pk: "READY",
        elsewhere.pk: "RUNNING",
        retried_elsewhere.pk: "RUNNING",
        finished.pk: "SUCCESSFUL",
    }
    assert requeue_interrupted(DBTaskResult.objects.all(), "worker-1") == 0


def test_the_task_worker_command_requeues_before_it_starts_working(monkeypatch, settings):
    """The worker loop itself is django-tasks-db's (and closes the test's connection), so it
    is replaced here by a probe of what it would find when it starts."""
    from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    left = _task("RUNNING", ["worker-1"])
    found: list[tuple[str, str]] = []

    def start(self, *args, **options):
        found.append((options["worker_id"], DBTaskResult.objects.get(pk=left.pk).status))

    monkeypatch.setattr(DbWorkerCommand, "handle", start)
    call_command("task_worker", "--worker-id", "worker-1", "--batch")
    assert found == [("worker-1", "READY")]
