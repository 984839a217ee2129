from typing import Any

from django.http import HttpRequest

from vakwerk.organisations.models import Membership, Role


def organisation(request: HttpRequest) -> dict[str, Any]:
    """The active organisation, the user's roles in it and the organisations to switch to."""
    membership = getattr(request, "membership", None)
    other_memberships: list[Membership] = []
    if membership is not None:
        # Read by the middleware with the active one: no query of its own.
        other_memberships = [
            m for m in getattr(request, "memberships", []) if m.pk != membership.pk
        ]
    roles = set(membership.roles) if membership else set()
    return {
        "organisation": getattr(request, "organisation", None),
        "membership": membership,
        "other_memberships": other_memberships,
        "is_manager": Role.MANAGER in roles,
        "is_hr": Role.HR in roles,
        "is_org_admin": Role.ADMIN in roles,
    }
