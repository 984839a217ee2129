"""Writes for badges: claiming, sharing, revoking (docs/badges.md).

- ``badge_claim``: only the employee themself, only where the current level reaches the role's
  target (``selectors.badge_candidate``); claiming again on the same round returns the badge
  already issued.
- ``badge_share``: the employee decides whether the public page and raw credential are
  reachable. Status answers are given either way (a verifier holding the credential must be
  able to check it).
- ``badge_revoke`` and ``badges_revoke_below_target``: when a later round (stored by
  ``measurement.services``) puts the current level under the level a badge confirms, the badge
  is revoked; its status endpoint then says so. A competency without a level on the scale in
  the later round says nothing either way and revokes nothing.
"""

import uuid
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from vakwerk.audit.services import Actor, audit_log
from vakwerk.badges import credentials, keys, selectors
from vakwerk.badges.models import Badge, RevocationReason
from vakwerk.measurement.selectors import current_levels
from vakwerk.organisations.models import Organisation
from vakwerk.people.models import Employee


@transaction.atomic
def badge_claim(
    *, organisation: Organisation, employee: Employee, competency_code: str, actor: Actor
) -> Badge:
    """Issue (sign and store) the employee's badge for a competency, or return the valid one
    already issued on the same round."""
    if employee.organisation_id != organisation.pk:
        raise PermissionDenied
    if actor.user is None or employee.user_id != actor.user.pk:
        raise PermissionDenied(_("Only the employee can claim their own badge."))
    # One claim at a time per person: a double click cannot sign two credentials.
    Employee.objects.select_for_update().filter(pk=employee.pk).first()
    candidate = selectors.badge_candidate(organisation, employee, competency_code)
    if candidate is None or not candidate.eligible or candidate.band is None:
        raise ValidationError(
            _(
                "This competency has not been measured at your role's target level, so there "
                "is no badge to claim yet."
            )
        )
    if candidate.badge is not None:
        return candidate.badge
    estimate = candidate.estimate
    round_ = estimate.round
    issued_at = timezone.now().replace(microsecond=0)
    badge_id = uuid.uuid4()
    key = keys.signing_key().public_key()
    credential, kid = credentials.build(
        badge_id=badge_id,
        organisation=organisation,
        email=employee.email,
        competency=candidate.competency,
        target=candidate.band.target,
        round_name=round_.name,
        measured_on=timezone.localdate(round_.closed_at or estimate.computed_at),
        issued_at=issued_at,
        thumbprint=keys.thumbprint(key),
    )
    badge = Badge(
        id=badge_id,
        organisation=organisation,
        employee=employee,
        competency=candidate.competency,
        round=round_,
        estimate=estimate,
        level=float(candidate.level or 0.0),
        target_level=candidate.band.target,
        issued_at=issued_at,
        jwt=keys.sign_compact(credential, kid=kid),
    )
    badge.full_clean()
    badge.save(force_insert=True)
    audit_log(
        organisation=organisation,
        actor=actor,
        action="badge.claim",
        target=badge,
        details={
            "competency": candidate.competency.code,
            "round": round_.pk,
            "level": round(badge.level, 2),
            "target": badge.target_level,
            "kid": kid,
        },
    )
    return badge


# Sharing and revoking change none of a badge's relations: validating them again would cost a
# query each.
UNCHANGED_RELATIONS = ["organisation", "employee", "competency", "round", "estimate"]


def _locked(badge: Badge) -> Badge:
    """The badge again, locked for the change, with what the audit line names."""
    return (
        Badge.objects.select_for_update(of=("self",))
        .select_related("organisation", "employee", "competency")
        .get(pk=badge.pk)
    )


@transaction.atomic
def badge_share(*, badge: Badge, shared: bool, actor: Actor) -> Badge:
    """Make the badge's public page and credential reachable (or not). The owner only."""
    badge = _locked(badge)
    if actor.user is None or badge.employee.user_id != actor.user.pk:
        raise PermissionDenied
    if badge.is_shared == shared:
        return badge
    badge.is_shared = shared
    badge.full_clean(exclude=UNCHANGED_RELATIONS)
    badge.save(update_fields=["is_shared"])
    audit_log(
        organisation=badge.organisation,
        actor=actor,
        action="badge.share" if shared else "badge.unshare",
        target=badge,
        details={"competency": badge.competency.code},
    )
    return badge


@transaction.atomic
def badge_revoke(
    *,
    badge: Badge,
    reason: RevocationReason,
    actor: Actor,
    details: dict[str, object] | None = None,
) -> Badge:
    """Revoke a badge for good; revoking a revoked badge changes nothing."""
    badge = _locked(badge)
    if badge.is_revoked:
        return badge
    badge.revoked_at = timezone.now()
    badge.revocation_reason = reason
    badge.full_clean(exclude=UNCHANGED_RELATIONS)
    badge.save(update_fields=["revoked_at", "revocation_reason"])
    audit_log(
        organisation=badge.organisation,
        actor=actor,
        action="badge.revoke",
        target=badge,
        details={"reason": str(reason), "employee": badge.employee_id, **(details or {})},
    )
    return badge


@transaction.atomic
def badges_revoke_below_target(
    *, organisation: Organisation, employee_ids: Iterable[int] | None = None
) -> int:
    """Revoke the valid badges (of these people, or everyone) whose competency's current level
    is now under the level the badge confirms. Called when a round's estimates are stored;
    returns the number revoked. A bounded number of queries plus one write per revocation."""
    valid = Badge.objects.filter(organisation=organisation, revoked_at__isnull=True)
    if employee_ids is not None:
        valid = valid.filter(employee_id__in=set(employee_ids))
    badges = list(valid.select_related("competency"))
    if not badges:
        return 0
    estimates = selectors.latest_estimates_of(
        organisation, {b.employee_id for b in badges}, {b.competency.code for b in badges}
    )
    current = {
        (level.employee_id, level.competency_code): level
        for level in current_levels(organisation, estimates).values()
    }
    revoked = 0
    for badge in badges:
        now = current.get((badge.employee_id, badge.competency.code))
        if now is None or now.level is None or selectors.reaches(now.level, badge.target_level):
            continue
        badge_revoke(
            badge=badge,
            reason=RevocationReason.BELOW_TARGET,
            actor=Actor(user=None),
            details={
                "round": now.round_id,
                "level": round(now.level, 2),
                "target": badge.target_level,
            },
        )
        revoked += 1
    return revoked
