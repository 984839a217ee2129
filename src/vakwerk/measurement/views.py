"""HR's view of a round's estimates: the status section of the round dashboard (polled by
htmx while a run is pending) and the button that computes them again."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from vakwerk.assessments import round_selectors
from vakwerk.audit.services import Actor
from vakwerk.measurement import selectors, services
from vakwerk.organisations.models import Role
from vakwerk.organisations.permissions import OrganisationRequest, role_required

SECTION_TEMPLATE = "measurement/round_estimates.html"


def _dashboard(round_id: int) -> HttpResponse:
    return redirect(reverse("rounds:detail", args=[round_id]) + "#estimates")


@role_required(Role.HR)
@require_GET
def round_estimates(request: OrganisationRequest, round_id: int) -> HttpResponse:
    """The estimates section alone (for htmx polling); without htmx, the dashboard."""
    round_ = round_selectors.round_of(request.organisation, round_id)
    if not request.headers.get("HX-Request"):
        return _dashboard(round_.pk)
    context = {"round": round_, "estimates": selectors.round_estimates(round_)}
    return render(request, SECTION_TEMPLATE, context)


@role_required(Role.HR)
@require_POST
def round_estimates_compute(request: OrganisationRequest, round_id: int) -> HttpResponse:
    round_ = round_selectors.round_of(request.organisation, round_id)
    try:
        services.estimates_request(round_=round_, actor=Actor.from_request(request))
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("The estimates are being computed."))
    return _dashboard(round_.pk)
