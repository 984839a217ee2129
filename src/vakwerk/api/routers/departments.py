"""``/departments``: the organisation's departments."""

from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query
from pydantic import Field

from vakwerk.api.models import Scope
from vakwerk.api.nlgov import ApiSchema, Page, PageParams, api_router, api_token, paginate
from vakwerk.people.models import Department

router = api_router(Scope.EMPLOYEES_READ, tag="Departments")


class DepartmentOut(ApiSchema):
    id: int
    name: str
    head_id: int | None = Field(description="The employee who heads the department.")


class DepartmentPage(Page[DepartmentOut]):
    pass


@router.get("/departments", response=DepartmentPage, url_name="department_list")
def department_list(request: HttpRequest, paging: Query[PageParams]) -> dict[str, Any]:
    """The organisation's departments, by name."""
    departments = Department.objects.filter(organisation=api_token(request).organisation)
    return paginate(request, departments.order_by("name", "pk"), paging)


@router.get("/departments/{department_id}", response=DepartmentOut, url_name="department_detail")
def department_detail(request: HttpRequest, department_id: int) -> Department:
    """One department."""
    return get_object_or_404(
        Department, pk=department_id, organisation=api_token(request).organisation
    )
