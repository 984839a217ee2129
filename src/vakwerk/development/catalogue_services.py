"""Writes of HR's catalogue pages: save an activity, retire it or offer it again.

Activities are never deleted: plans that chose one keep pointing at it, so retiring only
stops it from being proposed.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from vakwerk.audit.services import Actor, audit_log
from vakwerk.development.models import Activity

# What the audit line compares; the rest is bookkeeping (ids, timestamps).
AUDITED_FIELDS = tuple(
    field.name
    for field in Activity._meta.concrete_fields
    if field.name not in {"id", "organisation", "created_at", "updated_at"}
)


def _changed_fields(before: Activity, after: Activity) -> list[str]:
    return [name for name in AUDITED_FIELDS if getattr(before, name) != getattr(after, name)]


def _filled_fields(activity: Activity) -> list[str]:
    return [name for name in AUDITED_FIELDS if getattr(activity, name) not in ("", None, [])]


@transaction.atomic
def activity_save(*, activity: Activity, actor: Actor) -> Activity:
    """Create ``activity`` (no pk yet) or store the changes made to it.

    The audit line names the changed fields, compared with the stored row; saving without
    changes writes nothing. ``activity.organisation`` must be set; it cannot move.
    """
    before = None
    if activity.pk is not None:
        before = Activity.objects.select_for_update().filter(pk=activity.pk).first()
        if before is None or before.organisation_id != activity.organisation_id:
            raise ValidationError(_("This activity belongs to another organisation."))
    activity.full_clean()
    if before is None:
        activity.save()
        audit_log(
            organisation=activity.organisation,
            actor=actor,
            action="activity.create",
            target=activity,
            # "activity", not "code": the audit log drops keys named "code" as secrets.
            details={"activity": activity.code, "fields": _filled_fields(activity)},
        )
        return activity
    changed = _changed_fields(before, activity)
    if not changed:
        return activity
    activity.save()
    audit_log(
        organisation=activity.organisation,
        actor=actor,
        action="activity.update",
        target=activity,
        details={"activity": activity.code, "fields": changed},
    )
    return activity


@transaction.atomic
def activity_set_offered(*, activity: Activity, actor: Actor, offered: bool) -> None:
    """Retire an activity (``offered=False``) or offer it again.

    A retired activity is no longer proposed; plans that chose it keep it. Setting the state
    it already has writes nothing.
    """
    if activity.is_active == offered:
        return
    activity.is_active = offered
    activity.save(update_fields=["is_active", "updated_at"])
    audit_log(
        organisation=activity.organisation,
        actor=actor,
        action="activity.offer" if offered else "activity.retire",
        target=activity,
        details={"activity": activity.code},
    )
