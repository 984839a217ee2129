"""``/employees``: the organisation's people as the HR system knows them."""

import datetime as dt
from typing import Any

from django.db.models import Q
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Query
from pydantic import Field

from vakwerk.api.models import Scope
from vakwerk.api.nlgov import MAX_ID, ApiSchema, Page, PageParams, api_router, api_token, paginate
from vakwerk.people.models import Employee

router = api_router(Scope.EMPLOYEES_READ, tag="Employees")


class EmployeeOut(ApiSchema):
    id: int
    employee_number: str
    first_name: str
    last_name: str
    email: str
    job_title: str
    team_id: int | None
    manager_id: int | None
    role_profile_id: int | None
    start_date: dt.date | None
    end_date: dt.date | None


class EmployeeFilters(PageParams):
    team: int | None = Field(None, ge=1, le=MAX_ID, description="Only members of this team (id).")
    department: int | None = Field(
        None, ge=1, le=MAX_ID, description="Only members of teams of this department (id)."
    )
    active: bool | None = Field(
        None,
        description=(
            "true: only people who have not left (no end date, or one still to come); "
            "false: only people who have left. Leave out for everyone."
        ),
    )
    email: str | None = Field(
        None, max_length=254, description="Only the person with this email address."
    )


class EmployeePage(Page[EmployeeOut]):
    pass


@router.get("/employees", response=EmployeePage, url_name="employee_list")
def employee_list(request: HttpRequest, filters: Query[EmployeeFilters]) -> dict[str, Any]:
    """The organisation's employees, leavers included unless `active` says otherwise."""
    people = Employee.objects.filter(organisation=api_token(request).organisation)
    if filters.team is not None:
        people = people.filter(team_id=filters.team)
    if filters.department is not None:
        people = people.filter(team__department_id=filters.department)
    if filters.active is not None:
        left = Q(end_date__isnull=False, end_date__lte=timezone.localdate())
        people = people.exclude(left) if filters.active else people.filter(left)
    if filters.email:
        people = people.filter(email__iexact=filters.email.strip())
    return paginate(request, people.order_by("last_name", "first_name", "pk"), filters)


@router.get("/employees/{employee_id}", response=EmployeeOut, url_name="employee_detail")
def employee_detail(request: HttpRequest, employee_id: int) -> Employee:
    """One employee."""
    return get_object_or_404(Employee, pk=employee_id, organisation=api_token(request).organisation)
