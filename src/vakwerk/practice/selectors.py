"""Reads for daily practice: what is due today, and a calm look back at the week."""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.shortcuts import get_object_or_404

from vakwerk.development.models import FocusKind, PlanFocus
from vakwerk.frameworks.models import RoleTarget
from vakwerk.frameworks.selectors import current_competencies
from vakwerk.organisations.models import Organisation
from vakwerk.people.models import Employee
from vakwerk.practice import bank
from vakwerk.practice.models import Attempt, Card, Exercise, ExerciseKind, ScenarioFamily

SESSION_ITEMS = 2  # two scenarios of 6-8 decisions: about five minutes


def practice_codes(organisation: Organisation, employee: Employee) -> set[str]:
    """The competencies a person practises: their role's, else every competency the scenarios
    and the practice bank offer."""
    codes = set(
        RoleTarget.objects.filter(profile_id=employee.role_profile_id).values_list(
            "competency_code", flat=True
        )
    )
    if codes:
        return codes
    families = ScenarioFamily.objects.filter(organisation=organisation)
    return {
        code for codes_ in families.values_list("competency_codes", flat=True) for code in codes_
    } | set(
        Exercise.objects.filter(organisation=organisation).values_list("competency_code", flat=True)
    )


def focus_codes(employee: Employee) -> list[str]:
    """Focus competencies of the person's newest plan, in the plan's order."""
    focus = (
        PlanFocus.objects.filter(plan__employee=employee, kind=FocusKind.FOCUS)
        .order_by("-plan__created_at", "position")
        .values_list("competency_code", flat=True)
    )
    return list(dict.fromkeys(focus))


@dataclass
class Today:
    due: list[Card]  # today's session, plan focus first
    more: int  # due cards beyond today's session
    running: Attempt | None
    week_runs: int
    week_scores: dict[str, float]  # competency label -> mean performance this week
    next_due: dt.datetime | None
    judgement: Exercise | None = None  # from the practice bank, for today's competencies
    card: Exercise | None = None
    reflection: Exercise | None = None


def today(
    organisation: Organisation, employee: Employee, now: dt.datetime, *, codes: set[str]
) -> Today:
    """Today's session for ``employee``, who practises ``codes`` (``practice_codes``)."""
    end_of_day = now.replace(hour=23, minute=59, second=59)
    focus = focus_codes(employee)
    due = list(
        Card.objects.filter(
            organisation=organisation,
            employee=employee,
            due__lte=end_of_day,
            family__is_active=True,
        ).select_related("family")
    )
    due.sort(
        key=lambda c: (
            focus.index(c.competency_code) if c.competency_code in focus else len(focus),
            c.due,
            c.pk,
        )
    )
    # One card per family in a session: the same scenario twice in five minutes teaches little.
    session: list[Card] = []
    for card in due:
        if len(session) < SESSION_ITEMS and card.family_id not in {c.family_id for c in session}:
            session.append(card)
    running = (
        Attempt.objects.filter(organisation=organisation, employee=employee, finished_at=None)
        .select_related("variant__family")
        .first()
    )
    week = Attempt.objects.filter(
        organisation=organisation,
        employee=employee,
        finished_at__gte=now - dt.timedelta(days=7),
    )
    labels = {code: c.label for code, c in current_competencies(organisation).items()}
    totals: defaultdict[str, list[float]] = defaultdict(list)
    runs = 0
    for scores in week.values_list("scores", flat=True):
        runs += 1
        for code, score in scores.items():
            totals[labels.get(code, code)].append(float(score))
    later = (
        Card.objects.filter(organisation=organisation, employee=employee, due__gt=end_of_day)
        .order_by("due")
        .values_list("due", flat=True)
        .first()
    )
    # The bank's items follow today's scenarios, then the plan's focus, then the role.
    wanted = list(dict.fromkeys([c.competency_code for c in session] + focus + sorted(codes)))
    return Today(
        due=session,
        more=len(due) - len(session),
        running=running,
        week_runs=runs,
        week_scores={label: sum(v) / len(v) for label, v in sorted(totals.items())},
        next_due=later,
        judgement=bank.next_exercise(organisation, employee, ExerciseKind.JUDGEMENT, wanted),
        card=bank.next_exercise(organisation, employee, ExerciseKind.CARD, wanted),
        reflection=bank.next_exercise(organisation, employee, ExerciseKind.REFLECTION, wanted),
    )


def card_of(organisation: Organisation, employee: Employee, card_id: int) -> Card:
    return get_object_or_404(Card, pk=card_id, organisation=organisation, employee=employee)


def attempt_of(organisation: Organisation, employee: Employee, attempt_id: int) -> Attempt:
    return get_object_or_404(
        Attempt.objects.select_related("variant__family"),
        pk=attempt_id,
        organisation=organisation,
        employee=employee,
    )
