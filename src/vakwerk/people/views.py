from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from vakwerk.audit.services import Actor
from vakwerk.frameworks.models import RoleProfile
from vakwerk.insights.access import hr_sees
from vakwerk.lib.ids import parse_id
from vakwerk.lib.pagination import paginate, querystring_without_page
from vakwerk.organisations.models import Role
from vakwerk.organisations.permissions import OrganisationRequest, role_required
from vakwerk.people import selectors, services
from vakwerk.people.forms import EndEmploymentForm


def _id_in(value: str, queryset: QuerySet[Any]) -> int | None:
    """``value`` as the id of an object in ``queryset``; anything else is ignored."""
    pk = parse_id(value)
    if pk is not None and queryset.filter(pk=pk).exists():
        return pk
    return None


@role_required(Role.HR)
@require_http_methods(["GET", "POST"])
def person(request: OrganisationRequest, employee_id: int) -> HttpResponse:
    employee = selectors.employee_in(request.organisation, employee_id)
    form = EndEmploymentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.employee_end(
                employee=employee,
                actor=Actor.from_request(request),
                end_date=form.cleaned_data["end_date"],
            )
        except ValidationError as error:
            form.add_error("end_date", error.messages[0])
        else:
            messages.success(request, _("The employment has been ended."))
            return redirect("people:person", employee_id=employee.pk)
    context = {
        "employee": employee,
        "form": form,
        "reports": selectors.direct_reports(request.organisation, employee),
        "may_see_results": hr_sees(employee),
    }
    return render(request, "people/person.html", context)


@role_required()
@require_GET
def profile(request: OrganisationRequest) -> HttpResponse:
    employee = selectors.employee_of(request.organisation, request.user)
    return render(request, "people/profile.html", {"employee": employee})


@role_required(Role.MANAGER)
@require_GET
def my_team(request: OrganisationRequest) -> HttpResponse:
    me = selectors.employee_of(request.organisation, request.user)
    reports = selectors.direct_reports(request.organisation, me) if me else []
    return render(request, "people/my_team.html", {"reports": reports})


@role_required(Role.HR)
@require_GET
def employees(request: OrganisationRequest) -> HttpResponse:
    search = request.GET.get("zoek", "").strip()[:100]
    teams = selectors.teams(request.organisation)
    profiles = RoleProfile.objects.filter(organisation=request.organisation)
    team_id = _id_in(request.GET.get("team", ""), teams)
    role_profile_id = _id_in(request.GET.get("functieprofiel", ""), profiles)
    include_leavers = request.GET.get("uit_dienst") == "1"
    found = selectors.employees(
        request.organisation,
        search=search,
        team_id=team_id,
        role_profile_id=role_profile_id,
        include_leavers=include_leavers,
    )
    context = {
        "page": paginate(request, found, per_page=50),
        "querystring": querystring_without_page(request),
        "search": search,
        "teams": teams,
        "team_id": team_id,
        "profiles": profiles,
        "role_profile_id": role_profile_id,
        "include_leavers": include_leavers,
    }
    return render(request, "people/employees.html", context)
