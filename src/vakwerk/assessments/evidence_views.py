from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from vakwerk.assessments.evidence import evidence_csv
from vakwerk.assessments.models import Round, RoundStatus
from vakwerk.audit.services import Actor
from vakwerk.organisations.models import Role
from vakwerk.organisations.permissions import OrganisationRequest, role_required


@role_required(Role.HR)
@require_GET
def round_evidence(request: OrganisationRequest, round_id: int) -> HttpResponse:
    """The round's evidence as the measurement engine reads it (CSV download)."""
    round_ = get_object_or_404(Round, pk=round_id, organisation=request.organisation)
    if round_.status != RoundStatus.CLOSED:
        # While answers still come in, two exports a day apart would show the newest rater's
        # answers as the difference: only a closed round's evidence can be exported.
        messages.error(request, _("The evidence can be exported once the round is closed."))
        return redirect("rounds:detail", round_id=round_.pk)
    content = evidence_csv(round_=round_, actor=Actor.from_request(request))
    response = HttpResponse(content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="ronde-{round_.pk}-bewijs.csv"'
    return response
