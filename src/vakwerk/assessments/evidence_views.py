from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET

from vakwerk.assessments.evidence import evidence_csv
from vakwerk.assessments.models import Round
from vakwerk.audit.services import Actor
from vakwerk.organisations.models import Role
from vakwerk.organisations.permissions import OrganisationRequest, role_required


@role_required(Role.HR)
@require_GET
def round_evidence(request: OrganisationRequest, round_id: int) -> HttpResponse:
    """The round's evidence as the measurement engine reads it (CSV download)."""
    round_ = get_object_or_404(Round, pk=round_id, organisation=request.organisation)
    content = evidence_csv(round_=round_, actor=Actor.from_request(request))
    response = HttpResponse(content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="ronde-{round_.pk}-bewijs.csv"'
    return response
