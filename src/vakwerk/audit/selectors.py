"""Reading the audit log, always within one organisation."""

import datetime as dt

from django.db.models import QuerySet

from vakwerk.audit.models import AuditEvent
from vakwerk.organisations.models import Organisation


def audit_events(
    organisation: Organisation,
    *,
    action: str = "",
    actor: str = "",
    result: str = "",
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> QuerySet[AuditEvent]:
    events = AuditEvent.objects.filter(organisation=organisation)
    if action:
        events = events.filter(action=action)
    if actor:
        events = events.filter(actor_label__icontains=actor)
    if result:
        events = events.filter(result=result)
    if since:
        events = events.filter(created_at__date__gte=since)
    if until:
        events = events.filter(created_at__date__lte=until)
    return events.order_by("-created_at", "-id")


def audit_actions(organisation: Organisation) -> list[str]:
    return list(
        AuditEvent.objects.filter(organisation=organisation)
        .order_by("action")
        .values_list("action", flat=True)
        .distinct()
    )
