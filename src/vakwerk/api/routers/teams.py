"""``/teams``: the organisation's teams."""

from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query
from pydantic import Field

from vakwerk.api.models import Scope
from vakwerk.api.nlgov import MAX_ID, ApiSchema, Page, PageParams, api_router, api_token, paginate
from vakwerk.people.models import Team

router = api_router(Scope.EMPLOYEES_READ, tag="Teams")


class TeamOut(ApiSchema):
    id: int
    name: str
    department_id: int | None
    leader_id: int | None = Field(description="The employee who leads the team.")


class TeamFilters(PageParams):
    department: int | None = Field(
        None, ge=1, le=MAX_ID, description="Only teams of this department (id)."
    )


class TeamPage(Page[TeamOut]):
    pass


@router.get("/teams", response=TeamPage, url_name="team_list")
def team_list(request: HttpRequest, filters: Query[TeamFilters]) -> dict[str, Any]:
    """The organisation's teams, by name."""
    teams = Team.objects.filter(organisation=api_token(request).organisation)
    if filters.department is not None:
        teams = teams.filter(department_id=filters.department)
    return paginate(request, teams.order_by("name", "pk"), filters)


@router.get("/teams/{team_id}", response=TeamOut, url_name="team_detail")
def team_detail(request: HttpRequest, team_id: int) -> Team:
    """One team."""
    return get_object_or_404(Team, pk=team_id, organisation=api_token(request).organisation)
