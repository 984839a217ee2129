"""Background tasks of the assessments app (Django's tasks API, run by ``manage.py db_worker``)."""

from django.tasks import task

from vakwerk.assessments import reminders


@task
def send_reminder(invitation_ids: list[int], base_url: str = "") -> int:
    """Email one rater about their open questionnaires among ``invitation_ids``."""
    return reminders.reminder_send(invitation_ids=invitation_ids, base_url=base_url)
