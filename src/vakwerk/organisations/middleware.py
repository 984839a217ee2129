"""Puts the active organisation and the user's membership of it on every request."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from vakwerk.organisations.models import Membership

SESSION_KEY = "vakwerk_organisation_id"


class ActiveOrganisationMiddleware:
    """Sets ``request.organisation`` and ``request.membership`` (``None`` when there is none).

    The active organisation is kept in the session; it is always one the user belongs to, so a
    stale or tampered session value silently falls back to the user's first organisation.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.membership = None  # type: ignore[attr-defined]
        request.organisation = None  # type: ignore[attr-defined]
        if request.user.is_authenticated:
            memberships = Membership.objects.filter(
                user=request.user, organisation__is_active=True
            ).select_related("organisation")
            wanted = request.session.get(SESSION_KEY)
            membership = (wanted and memberships.filter(organisation_id=wanted).first()) or (
                memberships.order_by("organisation__name").first()
            )
            if membership is not None:
                request.membership = membership  # type: ignore[attr-defined]
                request.organisation = membership.organisation  # type: ignore[attr-defined]
        return self.get_response(request)
