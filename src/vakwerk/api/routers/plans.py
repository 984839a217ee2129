"""``/plans``: development plans, read-only, as HR may see them.

The development pages let HR open a plan only when the HR policy lets HR see the employee's
results (``development.views._plan``: ``insights.access.hr_sees``); the API, a machine client
acting for the organisation, follows the same rule: other people's plans are left out of the
list and answer 404. A plan shows its status, focus competencies (with the level when planned)
and items with their progress and due dates; never what the employee wrote for themselves
(goals, reflections) nor the manager's comment. Every answer writes a ``plan.view`` access
line per person shown, as the plan page does.
"""

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query
from pydantic import Field

from vakwerk.api.models import ApiToken, Scope
from vakwerk.api.nlgov import MAX_ID, ApiSchema, Page, PageParams, api_router, api_token, paginate
from vakwerk.audit.services import Actor, audit_log_many, client_ip
from vakwerk.development.models import (
    FocusKind,
    ItemStatus,
    Plan,
    PlanFocus,
    PlanItem,
    PlanStatus,
)
from vakwerk.insights.access import hr_sees_filter
from vakwerk.organisations.models import Organisation
from vakwerk.people.models import Employee

router = api_router(Scope.PLANS_READ, tag="Plans")

VIEW = "plan.view"  # the plan page's action (development.views.plan)


class FocusOut(ApiSchema):
    competency_code: str
    kind: FocusKind = Field(description="focus (to develop) or strength (to build on).")
    level: float | None = Field(description="The measured level when the plan was made.")
    target: int | None = Field(description="The target level of the person's role.")


class PlanItemOut(ApiSchema):
    id: int
    activity_id: int
    activity_code: str
    activity_title: str
    competency_code: str | None = Field(description="The focus the item serves, if any.")
    status: ItemStatus = Field(description="planned, busy or done.")
    due_date: dt.date | None

    @staticmethod
    def resolve_activity_code(obj: PlanItem) -> str:
        return obj.activity.code

    @staticmethod
    def resolve_activity_title(obj: PlanItem) -> str:
        return obj.activity.title

    @staticmethod
    def resolve_competency_code(obj: PlanItem) -> str | None:
        return obj.focus.competency_code if obj.focus else None


class PlanOut(ApiSchema):
    id: int
    employee_id: int
    round_id: int | None = Field(description="The measured round; null: based on the role.")
    status: PlanStatus = Field(description="draft, submitted, returned or approved.")
    created_at: dt.datetime
    submitted_at: dt.datetime | None
    decided_at: dt.datetime | None
    talk_on: dt.date | None = Field(description="The day of the development talk.")
    focuses: list[FocusOut]
    items: list[PlanItemOut]

    @staticmethod
    def resolve_focuses(obj: Plan) -> list[PlanFocus]:
        return list(obj.focuses.all())

    @staticmethod
    def resolve_items(obj: Plan) -> list[PlanItem]:
        return list(obj.items.all())


class PlanPage(Page[PlanOut]):
    pass


class PlanFilters(PageParams):
    employee: int | None = Field(
        None, ge=1, le=MAX_ID, description="Only this employee's plans (id)."
    )
    round: int | None = Field(
        None, ge=1, le=MAX_ID, description="Only plans based on this round (id)."
    )
    status: PlanStatus | None = Field(None, description="Only plans with this status.")


def _plans(organisation: Organisation) -> QuerySet[Plan]:
    """The plans HR may open, with focuses and items (three queries for any page)."""
    return (
        Plan.objects.filter(hr_sees_filter(organisation, prefix="employee__"))
        .filter(organisation=organisation)
        .select_related("employee")
        .prefetch_related(
            Prefetch("focuses", queryset=PlanFocus.objects.order_by("kind", "position")),
            Prefetch(
                "items",
                queryset=PlanItem.objects.select_related("activity", "focus").order_by(
                    "position", "id"
                ),
            ),
        )
    )


def _log_looks(request: HttpRequest, token: ApiToken, plans: Sequence[Plan]) -> None:
    people: dict[int, Employee] = {}
    for plan in plans:
        people.setdefault(plan.employee_id, plan.employee)
    if people:
        audit_log_many(
            organisation=token.organisation,
            actor=Actor(user=None, origin=client_ip(request)),
            action=VIEW,
            targets=list(people.values()),
            details={
                "plans": sorted(plan.pk for plan in plans),
                "page": "api",
                "token_prefix": token.prefix,
            },
        )


@router.get("/plans", response=PlanPage, url_name="plan_list")
def plan_list(request: HttpRequest, filters: Query[PlanFilters]) -> dict[str, Any]:
    """Development plans of the people whose results HR may see, newest first."""
    token = api_token(request)
    found = _plans(token.organisation)
    if filters.employee is not None:
        found = found.filter(employee_id=filters.employee)
    if filters.round is not None:
        found = found.filter(round_id=filters.round)
    if filters.status is not None:
        found = found.filter(status=filters.status)
    page = paginate(request, found.order_by("-created_at", "-pk"), filters)
    _log_looks(request, token, page["results"])
    return page


@router.get("/plans/{plan_id}", response=PlanOut, url_name="plan_detail")
def plan_detail(request: HttpRequest, plan_id: int) -> Plan:
    """One plan; 404 when HR may not see the person's results under the policy."""
    token = api_token(request)
    plan = get_object_or_404(_plans(token.organisation), pk=plan_id)
    _log_looks(request, token, [plan])
    return plan
