"""The task that sends queued digest and reminder emails (Django's tasks API, run by
``manage.py db_worker``). The periodic jobs in ``nudges.email`` enqueue it; it enqueues itself
again while emails wait, ``email.BATCH_PAUSE`` apart (throttling, see ``email.BATCH_SIZE``)."""

from django.tasks import task

from vakwerk.nudges import email


@task
def send_queued_emails() -> dict[str, int]:
    """Send the next batch of at most ``email.BATCH_SIZE`` queued emails."""
    return email.emails_send_batch()
