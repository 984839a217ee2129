"""Writes to people records. Leavers are ended, never deleted."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from vakwerk.audit.services import Actor, audit_log
from vakwerk.people.models import Employee


@transaction.atomic
def employee_end(*, employee: Employee, actor: Actor, end_date: dt.date) -> Employee:
    if employee.start_date and end_date < employee.start_date:
        raise ValidationError({"end_date": _("The end date is before the start date.")})
    before = employee.end_date
    employee.end_date = end_date
    employee.full_clean()
    employee.save(update_fields=["end_date"])
    audit_log(
        organisation=employee.organisation,
        actor=actor,
        action="employee.end",
        target=employee,
        details={
            "end_date": end_date.isoformat(),
            "before": before.isoformat() if before else None,
        },
    )
    return employee
