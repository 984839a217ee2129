"""Writes to organisations and memberships. Each writes its audit line in the same transaction."""

from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from vakwerk.accounts.models import User
from vakwerk.audit.services import Actor, audit_log
from vakwerk.organisations.models import Membership, Organisation, Role
from vakwerk.organisations.theme import validate_theme

POLICY_FIELDS = (
    "anonymity_threshold",
    "manager_visibility",
    "hr_visibility",
    "retention_results_months",
    "retention_comments_months",
    "retention_practice_months",
    "retention_after_leaving_months",
    "retention_audit_months",
    "practice_retention",
    "practice_max_interval_days",
    "practice_as_evidence",
    "pulse_interval_weeks",
    "pulse_self_check",
    "results_outdated_months",
)


@transaction.atomic
def organisation_create(*, actor: Actor, slug: str, name: str) -> Organisation:
    organisation = Organisation(slug=slug, name=name)
    organisation.full_clean()
    organisation.save()
    audit_log(
        organisation=organisation,
        actor=actor,
        action="organisation.create",
        target=organisation,
        details={"slug": slug, "name": name},
    )
    return organisation


@transaction.atomic
def organisation_update(
    *, organisation: Organisation, actor: Actor, name: str, is_active: bool
) -> Organisation:
    changes = {
        field: value
        for field, value in {"name": name, "is_active": is_active}.items()
        if getattr(organisation, field) != value
    }
    for field, value in changes.items():
        setattr(organisation, field, value)
    organisation.full_clean()
    organisation.save()
    if changes:
        audit_log(
            organisation=organisation,
            actor=actor,
            action="organisation.update",
            target=organisation,
            details=changes,
        )
    return organisation


@transaction.atomic
def organisation_update_policies(
    *, organisation: Organisation, actor: Actor, **policies: Any
) -> Organisation:
    unknown = set(policies) - set(POLICY_FIELDS)
    if unknown:
        raise TypeError(f"Not a policy: {', '.join(sorted(unknown))}")
    changes = {f: v for f, v in policies.items() if getattr(organisation, f) != v}
    for field, value in changes.items():
        setattr(organisation, field, value)
    organisation.full_clean()
    organisation.save()
    if changes:
        audit_log(
            organisation=organisation,
            actor=actor,
            action="organisation.policies",
            target=organisation,
            details=changes,
        )
    return organisation


@transaction.atomic
def organisation_update_theme(
    *,
    organisation: Organisation,
    actor: Actor,
    theme: dict[str, str],
    logo: UploadedFile | None = None,
    remove_logo: bool = False,
) -> Organisation:
    organisation.theme = validate_theme(theme)
    if remove_logo:
        organisation.logo.delete(save=False)
        organisation.logo = None
    elif logo is not None:
        organisation.logo.save(f"{organisation.slug}-{logo.name}", logo, save=False)
    organisation.full_clean()
    organisation.save()
    audit_log(
        organisation=organisation,
        actor=actor,
        action="organisation.theme",
        target=organisation,
        details={"theme": organisation.theme, "logo": bool(organisation.logo)},
    )
    return organisation


@transaction.atomic
def membership_grant(
    *, organisation: Organisation, actor: Actor, user: User, roles: list[Role]
) -> Membership:
    """Give ``user`` exactly ``roles`` in ``organisation``, creating the membership if needed."""
    membership, created = Membership.objects.get_or_create(user=user, organisation=organisation)
    before = membership.roles
    membership.set_roles(roles)
    membership.full_clean()
    membership.save()
    if created or before != membership.roles:
        audit_log(
            organisation=organisation,
            actor=actor,
            action="membership.roles",
            target=membership,
            details={"user": user.email, "before": before, "after": membership.roles},
        )
    return membership
