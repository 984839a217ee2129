"""The insight pages: a personal report, a manager's team view, HR's organisation view, their
exports, and the employee's own list of who looked at their results.

Who may see what is decided in ``insights.access`` (individuals) and ``insights.selectors``
(aggregates over at least the anonymity threshold); exports go through the same functions
as the pages, so they can never show more. A person the viewer may not see is a 404, the
same answer as a person who does not exist.
"""

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from vakwerk.audit.services import Actor
from vakwerk.insights import charts, exports, selectors, services
from vakwerk.insights.access import can_see_results, manager_sees
from vakwerk.insights.forms import ConsentForm
from vakwerk.lib.ids import parse_id
from vakwerk.lib.pagination import paginate
from vakwerk.organisations.models import ManagerVisibility, Role
from vakwerk.organisations.permissions import OrganisationRequest, role_required
from vakwerk.people import selectors as people_selectors
from vakwerk.people.models import Employee

REPORT_TEMPLATE = "insights/report.html"
PDF_TEMPLATE = "insights/report_pdf.html"


def _report_context(
    request: OrganisationRequest, employee: Employee, *, own: bool
) -> dict[str, Any]:
    report = selectors.personal_report(
        request.organisation,
        employee,
        round_id=parse_id(request.GET.get("ronde", "")),
        actor=Actor.from_request(request),
        viewer_is_subject=own,
    )
    return {
        "report": report,
        "own": own,
        "charts": charts.report_charts(report) if report.round else None,
        "generated_at": timezone.now(),
    }


def _viewer_id_only(request: OrganisationRequest) -> Employee | None:
    """The viewer's own employee record with only its id loaded: all the team page and the
    visibility rule compare with (``people.selectors.employee_of`` also joins the team, the
    department and the manager)."""
    return (
        Employee.objects.filter(organisation=request.organisation, user=request.user)
        .only("pk")
        .order_by("pk")
        .first()
    )


def _other_person(request: OrganisationRequest, employee_id: int) -> Employee:
    """An employee of this organisation whose results the viewer may see, or 404."""
    employee = people_selectors.employee_in(request.organisation, employee_id)
    employee.organisation = request.organisation  # the same one: no query for the policy
    viewer = _viewer_id_only(request)
    if not can_see_results(request.membership, viewer, employee):
        raise Http404
    return employee


@role_required()
@require_GET
def mine(request: OrganisationRequest) -> HttpResponse:
    employee = people_selectors.employee_of(request.organisation, request.user)
    if employee is None:
        return render(request, "insights/no_employee.html")
    context = _report_context(request, employee, own=True)
    context["consent_form"] = ConsentForm(instance=employee)
    context["policy"] = {
        "manager": request.organisation.manager_visibility,
        "hr": request.organisation.hr_visibility,
        "consent": ManagerVisibility.CONSENT,
    }
    return render(request, REPORT_TEMPLATE, context)


@role_required()
@require_GET
def mine_pdf(request: OrganisationRequest) -> HttpResponse:
    employee = people_selectors.employee_of(request.organisation, request.user)
    if employee is None:
        raise Http404
    return _pdf_response(request, employee, own=True)


@role_required(Role.MANAGER, Role.HR)
@require_GET
def person(request: OrganisationRequest, employee_id: int) -> HttpResponse:
    employee = _other_person(request, employee_id)
    if employee.user_id == request.user.pk:
        return redirect("insights:mine")
    context = _report_context(request, employee, own=False)
    report = context["report"]
    services.results_access_log(
        actor=Actor.from_request(request),
        employee=employee,
        action=services.VIEW,
        details={"round": report.round.pk if report.round else None},
    )
    return render(request, REPORT_TEMPLATE, context)


@role_required(Role.MANAGER, Role.HR)
@require_GET
def person_pdf(request: OrganisationRequest, employee_id: int) -> HttpResponse:
    return _pdf_response(request, _other_person(request, employee_id), own=False)


def _pdf_response(request: OrganisationRequest, employee: Employee, *, own: bool) -> HttpResponse:
    context = _report_context(request, employee, own=own)
    report = context["report"]
    if report.round is None:
        raise Http404
    if not own:
        services.results_access_log(
            actor=Actor.from_request(request),
            employee=employee,
            action=services.EXPORT,
            details={"round": report.round.pk, "format": "pdf"},
        )
    from vakwerk.lib.pdf import render_pdf  # WeasyPrint (and Pango) only when a PDF is made

    pdf = render_pdf(PDF_TEMPLATE, context, request=request)
    response = HttpResponse(pdf, content_type="application/pdf")
    name = slugify(f"{employee.full_name} {report.round.name}") or "rapport"
    response["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
    return response


@role_required()
@require_POST
def consent(request: OrganisationRequest) -> HttpResponse:
    employee = people_selectors.employee_of(request.organisation, request.user)
    if employee is None:
        raise Http404
    form = ConsentForm(request.POST, instance=employee)
    if form.is_valid():
        services.consent_update(
            employee=employee,
            actor=Actor.from_request(request),
            with_manager=form.cleaned_data["shares_results_with_manager"],
            with_hr=form.cleaned_data["shares_results_with_hr"],
        )
        messages.success(request, _("Your choice has been saved."))
    else:
        messages.error(request, _("Your choice could not be saved. Please try again."))
    return redirect("insights:mine")


@role_required()
@require_GET
def access_log(request: OrganisationRequest) -> HttpResponse:
    """Who looked at or exported my results, newest first."""
    employee = people_selectors.employee_of(request.organisation, request.user)
    events = selectors.access_events(request.organisation, employee) if employee else None
    page = paginate(request, events, per_page=50) if events is not None else None
    return render(request, "insights/access_log.html", {"page": page, "employee": employee})


# --- team ---------------------------------------------------------------------------------


def _team(request: OrganisationRequest) -> tuple[selectors.TeamOverview, dict[str, Any]]:
    members = list(people_selectors.reports_of_user(request.organisation, request.user))
    for member in members:  # the request's organisation: no join, no copy per person
        member.organisation = request.organisation
    overview = selectors.team_overview(
        request.organisation,
        members,
        round_id=parse_id(request.GET.get("ronde", "")),
        may_see={m.pk for m in members if manager_sees(m)},
    )
    codes = {c.code for c in overview.competencies}
    sort = request.GET.get("sorteer", "")
    sort = sort if sort in codes else "naam"
    only_below = request.GET.get("alleen") == "onder"
    rows = selectors.sort_team_rows(overview.rows, sort=sort, only_below=only_below)
    return overview, {"rows": rows, "sort": sort, "only_below": only_below, "members": members}


@role_required(Role.MANAGER)
@require_GET
def team(request: OrganisationRequest) -> HttpResponse:
    overview, extra = _team(request)
    rows = extra["rows"]
    context = {
        "overview": overview,
        "charts": charts.team_charts(overview, rows) if overview.round else None,
        **extra,
    }
    if extra["rows"]:
        services.results_access_log_many(
            actor=Actor.from_request(request),
            employees=[row.employee for row in extra["rows"]],
            action=services.VIEW,
            details={"round": overview.round.pk if overview.round else None, "page": "team"},
        )
    return render(request, "insights/team.html", context)


@role_required(Role.MANAGER)
@require_GET
def team_export(request: OrganisationRequest, fmt: str) -> HttpResponse:
    overview, extra = _team(request)
    if overview.round is None or fmt not in exports.FORMATS:
        raise Http404
    services.results_access_log_many(
        actor=Actor.from_request(request),
        employees=[row.employee for row in extra["rows"]],
        action=services.EXPORT,
        details={"round": overview.round.pk, "page": "team", "format": fmt},
    )
    return exports.team_table(overview, extra["rows"], fmt=fmt)


# --- organisation -------------------------------------------------------------------------


def _organisation(request: OrganisationRequest) -> selectors.OrganisationOverview:
    group_by = request.GET.get("groep", selectors.GROUP_DEPARTMENT)
    if group_by not in selectors.GROUP_FIELDS:
        group_by = selectors.GROUP_DEPARTMENT
    return selectors.organisation_overview(
        request.organisation,
        round_id=parse_id(request.GET.get("ronde", "")),
        group_by=group_by,
        department_id=parse_id(request.GET.get("afdeling", "")),
    )


@role_required(Role.HR)
@require_GET
def organisation(request: OrganisationRequest) -> HttpResponse:
    overview = _organisation(request)
    context = {
        "overview": overview,
        "charts": charts.organisation_charts(overview) if overview.round else None,
        "groups": selectors.GROUP_LABELS,
    }
    return render(request, "insights/organisation.html", context)


@role_required(Role.HR)
@require_GET
def organisation_export(request: OrganisationRequest, fmt: str) -> HttpResponse:
    overview = _organisation(request)
    if overview.round is None or fmt not in exports.FORMATS:
        raise Http404
    services.export_logged(
        organisation=request.organisation,
        actor=Actor.from_request(request),
        details={"round": overview.round.pk, "group_by": overview.group_by, "format": fmt},
    )
    return exports.organisation_table(overview, fmt=fmt)
