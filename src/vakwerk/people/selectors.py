"""Reading people, always within one organisation."""

from django.db.models import Q, QuerySet
from django.http import Http404

from vakwerk.accounts.models import User
from vakwerk.organisations.models import Organisation
from vakwerk.people.models import Department, Employee, Team


def employees(
    organisation: Organisation,
    *,
    search: str = "",
    team_id: int | None = None,
    role_profile_id: int | None = None,
    include_leavers: bool = False,
) -> QuerySet[Employee]:
    people = Employee.objects.all() if include_leavers else Employee.objects.current()
    found = people.filter(organisation=organisation).select_related(
        "team", "manager", "role_profile"
    )
    if role_profile_id:
        found = found.filter(role_profile_id=role_profile_id)
    if search:
        found = found.filter(
            Q(first_name__icontains=search)
            | Q(last_name__icontains=search)
            | Q(email__icontains=search)
            | Q(job_title__icontains=search)
        )
    if team_id:
        found = found.filter(team_id=team_id)
    return found.order_by("last_name", "first_name")


def departments(organisation: Organisation) -> QuerySet[Department]:
    return Department.objects.filter(organisation=organisation).order_by("name")


def teams(organisation: Organisation) -> QuerySet[Team]:
    return Team.objects.filter(organisation=organisation).select_related("department")


def employee_of(organisation: Organisation, user: "User") -> Employee | None:
    return (
        Employee.objects.filter(organisation=organisation, user=user)
        .select_related("team", "manager", "team__department")
        .first()
    )


def employee_of_or_404(organisation: Organisation, user: "User") -> Employee:
    """The logged-in person's employee record in ``organisation``; 404 for a member without one
    (an operator, an HR adviser who is not on the payroll list)."""
    employee = employee_of(organisation, user)
    if employee is None:
        raise Http404
    return employee


def direct_reports(organisation: Organisation, manager: Employee) -> QuerySet[Employee]:
    return (
        Employee.objects.current()
        .filter(organisation=organisation, manager=manager)
        .select_related("team")
        .order_by("last_name", "first_name")
    )


def reports_of_user(organisation: Organisation, user: User) -> QuerySet[Employee]:
    """``direct_reports`` of the user's own employee record, without reading that record first
    (one query; none when the user has no record here). Without the team."""
    return (
        Employee.objects.current()
        .filter(organisation=organisation, manager__organisation=organisation, manager__user=user)
        .order_by("last_name", "first_name")
    )


def employee_in(organisation: Organisation, employee_id: int) -> Employee:
    """The employee with this id in this organisation, or 404."""
    from django.shortcuts import get_object_or_404

    return get_object_or_404(
        Employee.objects.select_related(
            "team", "team__department", "manager", "role_profile", "user"
        ),
        pk=employee_id,
        organisation=organisation,
    )
