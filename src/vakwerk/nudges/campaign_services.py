"""Writes of HR's campaign pages: create, change, end early and delete a campaign.

Every write checks the campaign against its organisation (competencies of the current
framework, departments and teams of its own) and writes its audit line in the same
transaction. Deleting a campaign removes the theme only: the practice people did stays theirs.
"""

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from vakwerk.audit.services import Actor, audit_log
from vakwerk.frameworks.selectors import current_competencies
from vakwerk.nudges.models import Campaign
from vakwerk.organisations.models import Organisation
from vakwerk.people.models import Department, Team

# A campaign is a theme for a period: a few weeks, a month, a quarter. A year at most keeps
# the campaign page's weeks readable and a forgotten campaign from steering practice forever.
MAX_DAYS = 366
EDITABLE_FIELDS = ("title", "description", "competency_codes", "starts_on", "ends_on")


def _errors(error: ValidationError) -> dict[str, list[str]]:
    if hasattr(error, "error_dict"):
        return {field: list(messages) for field, messages in error.message_dict.items()}
    return {"__all__": list(error.messages)}


def _check(
    campaign: Campaign,
    *,
    departments: list[Department],
    teams: list[Team],
    kept_codes: Iterable[str] = (),
    today: dt.date | None = None,
) -> None:
    """Raise one ValidationError naming every field that is wrong.

    ``kept_codes`` are codes the campaign already had: they stay allowed when the framework
    dropped them since, so saving a change does not fail on a competency nobody touched.
    ``today`` set: the campaign may not have ended already (for new campaigns).
    """
    errors: dict[str, list[str]] = {}
    try:
        # The competencies are checked here and in Campaign.clean with a readable message;
        # the end-after-start constraint also by Campaign.clean.
        campaign.full_clean(exclude=["competency_codes"], validate_constraints=False)
    except ValidationError as error:
        errors.update(_errors(error))
    known = set(current_competencies(campaign.organisation)) | set(kept_codes)
    unknown = sorted(set(campaign.competency_codes) - known)
    if unknown:
        errors.setdefault("competency_codes", []).append(
            _("Not in your organisation's current framework: %(codes)s.")
            % {"codes": ", ".join(unknown)}
        )
    if len(set(campaign.competency_codes)) != len(campaign.competency_codes):
        errors.setdefault("competency_codes", []).append(_("Choose each competency once."))
    starts_on, ends_on = campaign.starts_on, campaign.ends_on
    if isinstance(starts_on, dt.date) and isinstance(ends_on, dt.date):
        if (ends_on - starts_on).days >= MAX_DAYS:
            errors.setdefault("ends_on", []).append(
                _("A campaign lasts a year at most: choose a last day on or before %(date)s.")
                % {"date": date_format(starts_on + dt.timedelta(days=MAX_DAYS - 1), "DATE_FORMAT")}
            )
        if today is not None and ends_on < today:
            errors.setdefault("ends_on", []).append(
                _("This day has passed: a campaign that is already over changes nothing.")
            )
    if any(d.organisation_id != campaign.organisation_id for d in departments):
        errors.setdefault("departments", []).append(
            _("Choose departments of your own organisation.")
        )
    if any(t.organisation_id != campaign.organisation_id for t in teams):
        errors.setdefault("teams", []).append(_("Choose teams of your own organisation."))
    if errors:
        raise ValidationError(errors)


def _details(
    campaign: Campaign, departments: list[Department], teams: list[Team]
) -> dict[str, Any]:
    return {
        "title": campaign.title,
        "competencies": list(campaign.competency_codes),
        "starts_on": campaign.starts_on.isoformat(),
        "ends_on": campaign.ends_on.isoformat(),
        "departments": sorted(d.name for d in departments),
        "teams": sorted(t.name for t in teams),
    }


@transaction.atomic
def campaign_create(
    *,
    organisation: Organisation,
    actor: Actor,
    title: str,
    competency_codes: list[str],
    starts_on: dt.date,
    ends_on: dt.date,
    description: str = "",
    departments: Iterable[Department] = (),
    teams: Iterable[Team] = (),
) -> Campaign:
    """A new campaign. None of ``departments`` and ``teams``: the whole organisation."""
    departments, teams = list(departments), list(teams)
    campaign = Campaign(
        organisation=organisation,
        title=title,
        description=description,
        competency_codes=list(competency_codes),
        starts_on=starts_on,
        ends_on=ends_on,
        created_by=actor.user,
    )
    _check(campaign, departments=departments, teams=teams, today=timezone.localdate())
    campaign.save()
    campaign.departments.set(departments)
    campaign.teams.set(teams)
    audit_log(
        organisation=organisation,
        actor=actor,
        action="campaign.create",
        target=campaign,
        details=_details(campaign, departments, teams),
    )
    return campaign


@transaction.atomic
def campaign_update(
    *,
    campaign: Campaign,
    actor: Actor,
    title: str,
    competency_codes: list[str],
    starts_on: dt.date,
    ends_on: dt.date,
    description: str = "",
    departments: Iterable[Department] = (),
    teams: Iterable[Team] = (),
) -> Campaign:
    """Store changes to ``campaign``. The audit line names what changed; no change, no line."""
    departments, teams = list(departments), list(teams)
    stored = Campaign.objects.select_for_update().get(pk=campaign.pk)
    before = {name: getattr(stored, name) for name in EDITABLE_FIELDS}
    before_departments = set(stored.departments.values_list("pk", flat=True))
    before_teams = set(stored.teams.values_list("pk", flat=True))
    campaign.title = title
    campaign.description = description
    campaign.competency_codes = list(competency_codes)
    campaign.starts_on = starts_on
    campaign.ends_on = ends_on
    _check(campaign, departments=departments, teams=teams, kept_codes=before["competency_codes"])
    changed = [name for name in EDITABLE_FIELDS if getattr(campaign, name) != before[name]]
    if {d.pk for d in departments} != before_departments:
        changed.append("departments")
    if {t.pk for t in teams} != before_teams:
        changed.append("teams")
    if not changed:
        return campaign
    campaign.save()
    campaign.departments.set(departments)
    campaign.teams.set(teams)
    details = _details(campaign, departments, teams)
    details["fields"] = changed
    audit_log(
        organisation=campaign.organisation,
        actor=actor,
        action="campaign.update",
        target=campaign,
        details=details,
    )
    return campaign


@transaction.atomic
def campaign_end(*, campaign: Campaign, actor: Actor, today: dt.date) -> Campaign:
    """End a running campaign early: yesterday becomes its last day, so from today on daily
    practice no longer favours it. A campaign that starts today has nothing to keep: delete it
    instead."""
    stored = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if not stored.starts_on < today <= stored.ends_on:
        raise ValidationError(
            _("Only a campaign that started before today and is still running can end early.")
        )
    before = stored.ends_on
    campaign.ends_on = today - dt.timedelta(days=1)
    campaign.save(update_fields=["ends_on"])
    audit_log(
        organisation=campaign.organisation,
        actor=actor,
        action="campaign.end",
        target=campaign,
        details={
            "title": campaign.title,
            "ends_on": campaign.ends_on.isoformat(),
            "planned_ends_on": before.isoformat(),
        },
    )
    return campaign


@transaction.atomic
def campaign_delete(*, campaign: Campaign, actor: Actor) -> None:
    """Delete the campaign; the practice done during it stays with the people who did it."""
    audit_log(
        organisation=campaign.organisation,
        actor=actor,
        action="campaign.delete",
        target=campaign,
        details={
            "title": campaign.title,
            "starts_on": campaign.starts_on.isoformat(),
            "ends_on": campaign.ends_on.isoformat(),
        },
    )
    campaign.delete()
