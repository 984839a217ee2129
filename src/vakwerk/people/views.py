from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from vakwerk.lib.pagination import paginate, querystring_without_page
from vakwerk.organisations.models import Role
from vakwerk.organisations.permissions import OrganisationRequest, role_required
from vakwerk.people import selectors


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
    team_param = request.GET.get("team", "")
    teams = selectors.teams(request.organisation)
    team_id = int(team_param) if team_param.isdigit() else None
    if team_id is not None and not teams.filter(pk=team_id).exists():
        team_id = None
    found = selectors.employees(request.organisation, search=search, team_id=team_id)
    context = {
        "page": paginate(request, found, per_page=50),
        "querystring": querystring_without_page(request),
        "search": search,
        "teams": teams,
        "team_id": team_id,
    }
    return render(request, "people/employees.html", context)
