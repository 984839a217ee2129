from typing import Any

from django.http import HttpRequest

from vakwerk.organisations.models import Membership, Role


def organisation(request: HttpRequest) -> dict[str, Any]:
    """The active organisation, the user's roles in it and the organisations to switch to."""
    membership = getattr(request, "membership", None)
    user = getattr(request, "user", None)
    other_memberships: list[Membership] = []
    if membership is not None and user is not None:
        other_memberships = list(
            Membership.objects.filter(user=user, organisation__is_active=True)
            .exclude(pk=membership.pk)
            .select_related("organisation")
            .order_by("organisation__name")
        )
    roles = set(membership.roles) if membership else set()
    return {
        "organisation": getattr(request, "organisation", None),
        "membership": membership,
        "other_memberships": other_memberships,
        "is_manager": Role.MANAGER in roles,
        "is_hr": Role.HR in roles,
        "is_org_admin": Role.ADMIN in roles,
    }
