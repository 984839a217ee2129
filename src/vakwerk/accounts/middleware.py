"""HR advisers, administrators and operators must enrol in MFA before they can do anything."""

from collections.abc import Callable, Sequence
from typing import Any

from allauth.mfa.models import Authenticator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from vakwerk.organisations.models import Membership


def needs_mfa(user: Any, memberships: Sequence[Membership] | None = None) -> bool:
    """Whether this user holds a role anywhere that requires multi-factor authentication.

    ``memberships``, when given, are all of the user's memberships (as
    ``request.every_membership`` holds them), which saves the query."""
    if getattr(user, "is_operator", False):
        return True
    if memberships is not None:
        return any(membership.needs_mfa for membership in memberships)
    mfa_roles = Q(is_hr=True) | Q(is_admin=True)  # organisations.models.MFA_ROLES
    return Membership.objects.filter(mfa_roles, user=user).exists()


class RequireMfaMiddleware:
    """Sends such a user without an authenticator to TOTP enrolment from every page.

    Only enrolment itself, logging out, the language switch and static files stay open.
    """

    ALLOWED_PREFIXES = (
        "/account/2fa/",
        "/account/logout/",
        "/account/reauthenticate/",
        "/i18n/",
        "/static/",
    )

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            user.is_authenticated
            and not request.path.startswith(self.ALLOWED_PREFIXES)
            and needs_mfa(user, getattr(request, "every_membership", None))
            and not Authenticator.objects.filter(user=user).exists()
        ):
            return redirect(f"{reverse('mfa_activate_totp')}?next={request.path}")
        return self.get_response(request)
