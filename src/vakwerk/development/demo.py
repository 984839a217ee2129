"""Demo development plans: the shipped learning offer, and plans in every state for the
measured people of a demo organisation (the demo employee login keeps none, so that a visitor
can ask for Vakwerk's proposal themselves)."""

import datetime as dt
import itertools

from django.utils import timezone

from vakwerk.audit.services import Actor
from vakwerk.development import selectors, services
from vakwerk.development.catalogue import catalogue_load_pack
from vakwerk.development.models import Activity, FocusKind, ItemStatus, Plan, PlanStatus
from vakwerk.frameworks.content import shipped_pack
from vakwerk.measurement.models import Estimate
from vakwerk.organisations.models import Organisation
from vakwerk.people.models import Employee

CATALOGUE_PACK = "leeraanbod-ambtelijk-vakmanschap-3.0"
GOALS = (
    "Ik wil bij een boze burger eerst de vraag achter de vraag vinden, en dat merk ik doordat "
    "gesprekken korter en rustiger worden.",
    "Ik wil in overleggen vaker zeggen wat ik zie, ook als het ongemakkelijk is.",
    "Ik wil partners eerder betrekken, en dat zie ik aan minder verrassingen achteraf.",
)
STATES = (
    PlanStatus.DRAFT,
    PlanStatus.SUBMITTED,
    PlanStatus.RETURNED,
    PlanStatus.APPROVED,
    PlanStatus.APPROVED,
)


def seed_catalogue(organisation: Organisation) -> int:
    pack = shipped_pack(CATALOGUE_PACK)
    if pack is None or Activity.objects.filter(organisation=organisation).exists():
        return 0
    return catalogue_load_pack(organisation=organisation, actor=Actor(user=None), pack=pack)


def seed_plans(organisation: Organisation, *, skip: set[str]) -> int:
    """Plans for the measured people with a manager, cycling through every state."""
    seed_catalogue(organisation)
    if Plan.objects.filter(organisation=organisation).exists():
        return 0
    measured = Estimate.objects.filter(organisation=organisation).values("employee")
    people = (
        Employee.objects.filter(organisation=organisation, pk__in=measured, manager__isnull=False)
        .exclude(email__in=skip)
        .select_related("manager", "manager__user", "organisation")
        .order_by("pk")
    )
    created = 0
    for employee, status in zip(people, itertools.cycle(STATES), strict=False):
        basis, proposal = selectors.proposal_for(organisation, employee)
        if not basis.standings:
            continue
        actor = Actor(user=employee.user)
        plan = services.plan_create(
            employee=employee, round_=basis.round, proposal=proposal, actor=actor
        )
        created += 1
        if status == PlanStatus.DRAFT:
            continue
        for focus, goal in zip(
            plan.focuses.filter(kind=FocusKind.FOCUS), itertools.cycle(GOALS), strict=False
        ):
            focus.goal = goal
            focus.save(update_fields=["goal"])
        services.plan_submit(plan=plan, actor=actor)
        if status == PlanStatus.SUBMITTED:
            continue
        boss = Actor(user=employee.manager.user if employee.manager else None)
        services.plan_decide(
            plan=plan,
            actor=boss,
            approve=status == PlanStatus.APPROVED,
            comment=(
                "Mooi plan. Plan de intervisie in overleg met het team."
                if status == PlanStatus.APPROVED
                else "Maak het tweede doel concreter: wanneer ben je tevreden?"
            ),
        )
        if status == PlanStatus.APPROVED:
            _progress(plan, actor)
    return created


def _progress(plan: Plan, actor: Actor) -> None:
    """The first activity done with a reflection, the second busy; one due this week."""
    items = list(plan.items.order_by("position"))
    if items:
        services.plan_item_progress(
            item=items[0],
            actor=actor,
            status=ItemStatus.DONE,
            reflection="Geoefend met het balie-scenario; doorvragen voelde eerst onwennig.",
        )
    if len(items) > 1:
        services.plan_item_progress(
            item=items[1], actor=actor, status=ItemStatus.BUSY, reflection=""
        )
        items[1].due_date = timezone.localdate() + dt.timedelta(days=4)
        items[1].save(update_fields=["due_date"])
