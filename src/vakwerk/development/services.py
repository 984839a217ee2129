"""Writes of development plans: propose, edit, submit, decide, track progress.

Every write checks the plan's state, runs in one transaction with its audit line, and
enqueues its notification when the transaction commits.
"""

import datetime as dt
from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from vakwerk.assessments.models import Round
from vakwerk.audit.services import Actor, audit_log
from vakwerk.development.models import (
    Activity,
    FocusKind,
    ItemStatus,
    Plan,
    PlanFocus,
    PlanItem,
    PlanStatus,
)
from vakwerk.development.proposal import Choice, Proposal
from vakwerk.people.models import Employee

# Proposed activities are spread over the coming months: a plan is for half a year.
FIRST_DUE_DAYS = 30
DUE_STEP_DAYS = 21


def _notify(plan: Plan, kind: str) -> None:
    from vakwerk.development.tasks import send_plan_notice  # tasks import this module

    plan_id = plan.pk
    transaction.on_commit(lambda: send_plan_notice.enqueue(plan_id=plan_id, kind=kind))


def _audit(plan: Plan, actor: Actor, action: str, **details: object) -> None:
    audit_log(
        organisation=plan.organisation,
        actor=actor,
        action=action,
        target=plan,
        details={"employee": plan.employee_id, "round": plan.round_id, **details},
    )


def _focus(plan: Plan, choice: Choice, position: int) -> PlanFocus:
    return PlanFocus(
        plan=plan,
        competency_code=choice.code,
        kind=FocusKind.STRENGTH if choice.is_strength else FocusKind.FOCUS,
        position=position,
        level=choice.level,
        target=choice.target,
        uncertain=choice.uncertain,
    )


@transaction.atomic
def plan_create(
    *, employee: Employee, round_: Round | None, proposal: Proposal, actor: Actor
) -> Plan:
    """Store Vakwerk's proposal as the employee's draft plan for ``round_`` (None: the plan
    rests on the role profile alone). An existing plan for that round is returned as it is."""
    existing = Plan.objects.filter(employee=employee, round=round_).first()
    if existing is not None:
        return existing
    plan = Plan(organisation=employee.organisation, employee=employee, round=round_)
    plan.full_clean()
    plan.save()
    choices = list(proposal.focuses) + ([proposal.strength] if proposal.strength else [])
    focuses = {
        choice.code: _focus(plan, choice, position) for position, choice in enumerate(choices)
    }
    PlanFocus.objects.bulk_create(focuses.values())
    today = timezone.localdate()
    PlanItem.objects.bulk_create(
        PlanItem(
            plan=plan,
            focus=focuses[choice.code],
            activity=activity,
            position=position,
            due_date=today + dt.timedelta(days=FIRST_DUE_DAYS + DUE_STEP_DAYS * position),
        )
        for position, (choice, activity) in enumerate(proposal.items)
    )
    _audit(
        plan,
        actor,
        "plan.create",
        focus=[c.code for c in proposal.focuses],
        activities=[a.code for _, a in proposal.items],
        based_on_results=proposal.based_on_results,
    )
    return plan


def _editable(plan: Plan) -> None:
    if not plan.is_editable:
        raise ValidationError(
            _("This plan is %(status)s and cannot be changed now.")
            % {"status": plan.get_status_display().lower()}
        )


@transaction.atomic
def plan_update(
    *,
    plan: Plan,
    actor: Actor,
    goals: dict[int, str],
    due_dates: dict[int, dt.date | None],
    remove: Sequence[int] = (),
) -> Plan:
    """The employee's own goals (per focus id), due dates (per item id) and removed items."""
    plan = Plan.objects.select_for_update().get(pk=plan.pk)
    _editable(plan)
    for focus in plan.focuses.filter(pk__in=list(goals)):
        focus.goal = goals[focus.pk].strip()
        focus.full_clean()
        focus.save(update_fields=["goal"])
    for item in plan.items.filter(pk__in=list(due_dates)):
        item.due_date = due_dates[item.pk]
        item.save(update_fields=["due_date", "updated_at"])
    removed = list(plan.items.filter(pk__in=list(remove)).values_list("activity__code", flat=True))
    plan.items.filter(pk__in=list(remove)).delete()
    plan.save(update_fields=["updated_at"])
    _audit(plan, actor, "plan.update", goals=len(goals), removed=removed)
    return plan


@transaction.atomic
def plan_add_activity(
    *, plan: Plan, actor: Actor, activity: Activity, focus: PlanFocus | None, due_date: dt.date
) -> PlanItem:
    plan = Plan.objects.select_for_update().get(pk=plan.pk)
    _editable(plan)
    if activity.organisation_id != plan.organisation_id or not activity.is_active:
        raise ValidationError(_("This activity is not offered."))
    if plan.items.filter(activity=activity).exists():
        raise ValidationError(_("This activity is already in your plan."))
    if focus is not None and focus.plan_id != plan.pk:
        raise ValidationError(_("Choose one of the competencies of this plan."))
    position = plan.items.count()
    item = PlanItem(plan=plan, focus=focus, activity=activity, position=position, due_date=due_date)
    item.full_clean()
    item.save()
    _audit(plan, actor, "plan.add_activity", activity=activity.code)
    return item


@transaction.atomic
def plan_submit(*, plan: Plan, actor: Actor) -> Plan:
    plan = Plan.objects.select_for_update().select_related("employee").get(pk=plan.pk)
    _editable(plan)
    problems = []
    if not plan.items.exists():
        problems.append(_("Choose at least one activity."))
    missing = plan.focuses.filter(kind=FocusKind.FOCUS, goal="")
    if missing.exists():
        problems.append(_("Write a goal in your own words for every focus competency."))
    if problems:
        raise ValidationError(problems)
    if plan.employee.manager_id is None:
        raise ValidationError(_("You have no manager in Vakwerk to send the plan to. Ask HR."))
    plan.status = PlanStatus.SUBMITTED
    plan.submitted_at = timezone.now()
    plan.save(update_fields=["status", "submitted_at", "updated_at"])
    _audit(plan, actor, "plan.submit")
    _notify(plan, "submitted")
    return plan


@transaction.atomic
def plan_decide(*, plan: Plan, actor: Actor, approve: bool, comment: str) -> Plan:
    """The manager approves the plan or returns it with a comment."""
    plan = Plan.objects.select_for_update().get(pk=plan.pk)
    if plan.status != PlanStatus.SUBMITTED:
        raise ValidationError(_("Only a plan waiting for the manager can be approved or returned."))
    comment = comment.strip()
    if not approve and not comment:
        raise ValidationError(_("Say what should change when you return a plan."))
    plan.status = PlanStatus.APPROVED if approve else PlanStatus.RETURNED
    plan.manager_comment = comment
    plan.decided_at = timezone.now()
    plan.decided_by = actor.user
    plan.full_clean()
    plan.save()
    _audit(plan, actor, "plan.approve" if approve else "plan.return", comment=bool(comment))
    _notify(plan, "approved" if approve else "returned")
    return plan


@transaction.atomic
def plan_talk_set(*, plan: Plan, actor: Actor, talk_on: dt.date | None) -> Plan:
    """Set (or clear, with None) the day of the development talk about the plan."""
    plan = Plan.objects.select_for_update().get(pk=plan.pk)
    if talk_on is not None and talk_on < timezone.localdate():
        raise ValidationError({"talk_on": _("Choose today or a day to come.")})
    plan.talk_on = talk_on
    plan.full_clean()
    plan.save(update_fields=["talk_on", "updated_at"])
    _audit(plan, actor, "plan.talk", talk_on=talk_on.isoformat() if talk_on else None)
    return plan


@transaction.atomic
def plan_item_progress(*, item: PlanItem, actor: Actor, status: str, reflection: str) -> PlanItem:
    item = PlanItem.objects.select_for_update().select_related("plan").get(pk=item.pk)
    if status not in ItemStatus.values:
        raise ValidationError(_("Choose planned, busy or done."))
    item.status = status
    item.reflection = reflection.strip()
    item.full_clean()
    item.save(update_fields=["status", "reflection", "updated_at"])
    _audit(item.plan, actor, "plan.progress", activity=item.activity_id, status=status)
    return item
