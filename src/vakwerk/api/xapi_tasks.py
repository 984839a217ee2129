"""The xAPI send task (Django's tasks API, run by ``manage.py db_worker``)."""

from django.tasks import task

from vakwerk.api import xapi


@task
def send_statements(organisation_id: int) -> dict[str, int]:
    """Send the organisation's due xAPI statements to its LRS (``api.xapi.statements_send``)."""
    return xapi.statements_send(organisation_id=organisation_id)
