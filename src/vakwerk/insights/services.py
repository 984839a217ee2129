"""Writes of the insight app: the employee's consent, and the access log of looks at results.

Every look at, or export of, another person's results writes an audit line naming the
employee, so that the employee can see who looked (``access_log``). Looks at one's own
results are not logged: they are not an access to someone else's data.
"""

from collections.abc import Sequence

from django.db import transaction

from vakwerk.audit.services import Actor, audit_log, audit_log_many
from vakwerk.organisations.models import Organisation
from vakwerk.people.models import Employee

VIEW, EXPORT = "results.view", "results.export"
ORGANISATION_EXPORT = "insights.export"
CONSENT = "results.consent"


def results_access_log(
    *, actor: Actor, employee: Employee, action: str, details: dict[str, object]
) -> None:
    """Record that ``actor`` looked at or exported ``employee``'s results (not their own)."""
    if actor.user is not None and employee.user_id == actor.user.pk:
        return
    audit_log(
        organisation=employee.organisation,
        actor=actor,
        action=action,
        target=employee,
        details=details,
    )


def results_access_log_many(
    *, actor: Actor, employees: Sequence[Employee], action: str, details: dict[str, object]
) -> None:
    """One access line per person shown (a team page), in one insert; never for oneself."""
    others = [e for e in employees if actor.user is None or e.user_id != actor.user.pk]
    if others:
        audit_log_many(
            organisation=others[0].organisation,
            actor=actor,
            action=action,
            targets=others,
            details=details,
        )


def export_logged(*, organisation: Organisation, actor: Actor, details: dict[str, object]) -> None:
    """An export of aggregate figures (no individual results in it)."""
    audit_log(organisation=organisation, actor=actor, action=ORGANISATION_EXPORT, details=details)


@transaction.atomic
def consent_update(
    *, employee: Employee, actor: Actor, with_manager: bool, with_hr: bool
) -> Employee:
    """The employee decides whether their manager and HR may see their results (only used
    where the organisation's policy asks for consent)."""
    before = {
        "with_manager": employee.shares_results_with_manager,
        "with_hr": employee.shares_results_with_hr,
    }
    employee.shares_results_with_manager = with_manager
    employee.shares_results_with_hr = with_hr
    employee.full_clean()
    employee.save(update_fields=["shares_results_with_manager", "shares_results_with_hr"])
    audit_log(
        organisation=employee.organisation,
        actor=actor,
        action=CONSENT,
        target=employee,
        details={"before": before, "after": {"with_manager": with_manager, "with_hr": with_hr}},
    )
    return employee
