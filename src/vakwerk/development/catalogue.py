"""Loading a shipped learning catalogue pack (``kind: catalogue``) into an organisation.

The pack is validated by ``vakwerk.frameworks.content`` before it gets here; this module only
turns its activities into ``Activity`` rows that the organisation then owns and may edit.
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from vakwerk.audit.services import Actor, audit_log
from vakwerk.development.models import Activity
from vakwerk.frameworks.content import Pack
from vakwerk.organisations.models import Organisation


def _activity_from_entry(
    *, organisation: Organisation, entry: dict[str, Any], pack: str
) -> Activity:
    """An unsaved ``Activity`` from one validated pack entry (texts ``{nl, en}``)."""
    low, high = entry["levels"]
    return Activity(
        organisation=organisation,
        code=entry["code"],
        title=entry["title"]["nl"],
        title_en=entry["title"]["en"],
        description=entry["description"]["nl"],
        description_en=entry["description"]["en"],
        format=entry["format"],
        category=entry["category"],
        competency_codes=list(entry["competencies"]),
        level_min=low,
        level_max=high,
        minutes=entry["minutes"],
        why_daily=entry["why_daily"]["nl"],
        why_daily_en=entry["why_daily"]["en"],
        why_career=entry["why_career"]["nl"],
        why_career_en=entry["why_career"]["en"],
        provider=entry.get("provider", ""),
        url=entry.get("url", ""),
        pack=pack,
    )


@transaction.atomic
def catalogue_load_pack(*, organisation: Organisation, actor: Actor, pack: Pack) -> int:
    """Add the pack's activities to the organisation's catalogue; return how many were added.

    An activity whose code the organisation already has is left alone, even when HR has
    edited or retired it since: the organisation owns its catalogue, and loading a pack again
    must not undo its choices. So a second load adds nothing.
    """
    if pack.kind != "catalogue":
        raise ValidationError(_("This is not a pack of learning activities."))
    existing = set(
        Activity.objects.filter(organisation=organisation).values_list("code", flat=True)
    )
    activities = []
    for entry in pack.data["activities"]:
        if entry["code"] in existing:
            continue
        activity = _activity_from_entry(organisation=organisation, entry=entry, pack=pack.slug)
        activity.full_clean()
        activities.append(activity)
    Activity.objects.bulk_create(activities)
    audit_log(
        organisation=organisation,
        actor=actor,
        action="catalogue.load",
        details={"pack": pack.slug, "added": len(activities)},
    )
    return len(activities)
