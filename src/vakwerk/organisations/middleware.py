"""Puts the active organisation and the user's membership of it on every request."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from vakwerk.organisations.models import Membership

SESSION_KEY = "vakwerk_organisation_id"


class ActiveOrganisationMiddleware:
    """Sets ``request.organisation`` and ``request.membership`` (``None`` when there is none),
    ``request.memberships`` (those of active organisations) and ``request.every_membership``.

    The active organisation is kept in the session; it is always one the user belongs to, so a
    stale or tampered session value silently falls back to the user's first organisation.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.membership = None  # type: ignore[attr-defined]
        request.organisation = None  # type: ignore[attr-defined]
        # All of the user's memberships in one query (people belong to one or a few
        # organisations); the page header lists the others for switching.
        request.memberships = []  # type: ignore[attr-defined]
        # Every membership, those of deactivated organisations included, for checks that hold
        # wherever the user holds a role (MFA for HR and administrators, accounts.middleware).
        request.every_membership = []  # type: ignore[attr-defined]
        if request.user.is_authenticated:
            every = list(
                Membership.objects.filter(user=request.user)
                .select_related("organisation")
                .order_by("organisation__name", "pk")
            )
            memberships = [m for m in every if m.organisation.is_active]
            request.every_membership = every  # type: ignore[attr-defined]
            wanted = request.session.get(SESSION_KEY)
            membership = next(
                (m for m in memberships if wanted and m.organisation_id == wanted),
                memberships[0] if memberships else None,
            )
            request.memberships = memberships  # type: ignore[attr-defined]
            if membership is not None:
                request.membership = membership  # type: ignore[attr-defined]
                request.organisation = membership.organisation  # type: ignore[attr-defined]
        return self.get_response(request)
