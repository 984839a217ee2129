""" "My data": the employee's own page to read and download everything Vakwerk holds about them.

Only the employee themself: a logged-in member whose employee record is in the current
organisation. There is no id in any address, so nobody can ask for someone else's data; a
member without an employee record gets the explanation and a 404 on every download. Every
download (JSON, printable page, PDF) writes an audit line ``privacy.export``.
"""

import json

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from vakwerk.audit.privacy import personal_data
from vakwerk.audit.privacy_display import document
from vakwerk.audit.services import Actor, audit_log
from vakwerk.organisations.permissions import OrganisationRequest, role_required
from vakwerk.people import selectors as people_selectors
from vakwerk.people.models import Employee

EXPORT = "privacy.export"
PRINT_TEMPLATE = "audit/my_data_print.html"


def _me(request: OrganisationRequest) -> Employee:
    return people_selectors.employee_of_or_404(request.organisation, request.user)


@transaction.atomic
def _export(request: OrganisationRequest, kind: str) -> tuple[Employee, dict[str, object]]:
    employee = _me(request)
    data = personal_data(request.organisation, employee)
    audit_log(
        organisation=request.organisation,
        actor=Actor.from_request(request),
        action=EXPORT,
        target=employee,
        details={"format": kind},
    )
    return employee, data


@role_required()
@require_GET
def index(request: OrganisationRequest) -> HttpResponse:
    employee = people_selectors.employee_of(request.organisation, request.user)
    return render(request, "audit/my_data.html", {"employee": employee})


@role_required()
@require_GET
def download_json(request: OrganisationRequest) -> HttpResponse:
    _employee, data = _export(request, "json")
    body = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="mijn-gegevens-{stamp}.json"'
    return response


def _print_context(data: dict[str, object]) -> dict[str, object]:
    return {"data": data, "blocks": document(data), "generated_at": timezone.now()}


@role_required()
@require_GET
def printable(request: OrganisationRequest) -> HttpResponse:
    _employee, data = _export(request, "html")
    return render(request, PRINT_TEMPLATE, _print_context(data))


@role_required()
@require_GET
def download_pdf(request: OrganisationRequest) -> HttpResponse:
    _employee, data = _export(request, "pdf")
    from vakwerk.lib.pdf import render_pdf  # WeasyPrint (and Pango) only when a PDF is made

    pdf = render_pdf(PRINT_TEMPLATE, {**_print_context(data), "pdf": True}, request=request)
    response = HttpResponse(pdf, content_type="application/pdf")
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="mijn-gegevens-{stamp}.pdf"'
    return response
