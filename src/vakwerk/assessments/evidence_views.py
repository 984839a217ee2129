from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from vakwerk.assessments.evidence import evidence_csv
from vakwerk.assessments.models import Round, RoundStatus
from vakwerk.assessments.privacy import person_key
from vakwerk.audit.services import Actor
from vakwerk.insights.access import hr_sees_filter
from vakwerk.organisations.models import Role
from vakwerk.organisations.permissions import OrganisationRequest, role_required
from vakwerk.people.models import Employee


@role_required(Role.HR)
@require_GET
def round_evidence(request: OrganisationRequest, round_id: int) -> HttpResponse:
    """The round's evidence as the measurement engine reads it (CSV download), limited to
    the people whose individual results HR may see (``insights.access.hr_sees``)."""
    round_ = get_object_or_404(Round, pk=round_id, organisation=request.organisation)
    if round_.status != RoundStatus.CLOSED:
        # While answers still come in, two exports a day apart would show the newest rater's
        # answers as the difference: only a closed round's evidence can be exported.
        messages.error(request, _("The evidence can be exported once the round is closed."))
        return redirect("rounds:detail", round_id=round_.pk)
    # Each row names a person by employee number: leave out whom HR may not see individually.
    everyone = Employee.objects.filter(subjects__round=round_)
    visible = set(everyone.filter(hr_sees_filter(round_.organisation)).values_list("pk", flat=True))
    leave_out = {
        person_key(number, pk)
        for number, pk in everyone.values_list("employee_number", "pk")
        if pk not in visible
    }
    content = evidence_csv(round_=round_, actor=Actor.from_request(request), leave_out=leave_out)
    response = HttpResponse(content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="ronde-{round_.pk}-bewijs.csv"'
    return response
