"""Background tasks of the development app (Django's tasks API, run by ``manage.py db_worker``)."""

from django.tasks import task

from vakwerk.development import notices


@task
def send_plan_notice(plan_id: int, kind: str) -> int:
    """Email the manager (a plan waits for review) or the employee (approved or returned)."""
    return notices.plan_notice_send(plan_id=plan_id, kind=kind)


@task
def send_plan_due_reminders() -> int:
    """Email employees and managers about plan activities due within a week (daily job)."""
    return notices.due_reminders_send()
