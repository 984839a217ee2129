"""Helpers for the notification and email tests: people with a login, and things that are due
(practice cards, plan activities, questionnaires, plans to review)."""

import datetime as dt
import itertools

from vakwerk.assessments.models import (
    Invitation,
    InvitationStatus,
    Round,
    RoundStatus,
    Source,
    Subject,
)
from vakwerk.development.models import (
    Activity,
    ActivityFormat,
    ItemStatus,
    LearningCategory,
    Plan,
    PlanItem,
    PlanStatus,
)
from vakwerk.organisations.models import Organisation, Role
from vakwerk.people.models import Employee
from vakwerk.practice.models import Card, ScenarioFamily
from vakwerk.tests.factories import EmployeeFactory, MembershipFactory, RoundFactory

_numbers = itertools.count(1)


def person(
    organisation: Organisation,
    *roles: Role,
    manager: Employee | None = None,
    first_name: str = "",
) -> Employee:
    """An employee with a login and a membership of ``organisation``."""
    membership = MembershipFactory(organisation=organisation, roles=list(roles) or [Role.EMPLOYEE])
    extra = {"first_name": first_name} if first_name else {}
    return EmployeeFactory(
        organisation=organisation, user=membership.user, manager=manager, **extra
    )


def card(employee: Employee, due: dt.datetime, *, active: bool = True) -> Card:
    family, _ = ScenarioFamily.objects.get_or_create(
        organisation=employee.organisation,
        code=f"familie-{'actief' if active else 'oud'}",
        defaults={
            "title": "Lastig gesprek",
            "summary": "x",
            "competency_codes": ["AV-EMP"],
            "is_active": active,
        },
    )
    return Card.objects.create(
        organisation=employee.organisation,
        employee=employee,
        family=family,
        competency_code=f"C-{next(_numbers)}",
        due=due,
    )


def plan(employee: Employee, status: PlanStatus = PlanStatus.APPROVED) -> Plan:
    found, _ = Plan.objects.get_or_create(
        organisation=employee.organisation,
        employee=employee,
        round=None,
        defaults={"status": status},
    )
    return found


def plan_item(
    employee: Employee,
    due: dt.date | None,
    *,
    title: str = "",
    status: ItemStatus = ItemStatus.PLANNED,
    plan_status: PlanStatus = PlanStatus.APPROVED,
) -> PlanItem:
    number = next(_numbers)
    activity = Activity.objects.create(
        organisation=employee.organisation,
        code=f"activiteit-{number}",
        title=title or f"Meeloopdag {number}",
        title_en="" if title else f"Shadowing day {number}",
        description="x",
        format=ActivityFormat.ON_THE_JOB,
        category=LearningCategory.EXPERIENCE,
        competency_codes=["AV-EMP"],
        minutes=60,
        why_daily="x",
        why_career="x",
    )
    return PlanItem.objects.create(
        plan=plan(employee, plan_status), activity=activity, due_date=due, status=status
    )


def open_round(organisation: Organisation, *, closes_on: dt.date, name: str = "") -> Round:
    return RoundFactory(
        organisation=organisation,
        status=RoundStatus.OPEN,
        opens_on=closes_on - dt.timedelta(days=21),
        closes_on=closes_on,
        **({"name": name} if name else {}),
    )


def invitation(
    round_: Round,
    *,
    rater: Employee,
    about: Employee,
    status: InvitationStatus = InvitationStatus.OPEN,
) -> Invitation:
    subject, _ = Subject.objects.get_or_create(round=round_, employee=about)
    source = Source.SELF if rater == about else Source.PEER
    return Invitation.objects.create(subject=subject, source=source, rater=rater, status=status)
