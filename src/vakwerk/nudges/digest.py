"""What is due for whom: the content of the weekly digest and of the notification centre.

For an employee: practice that is due, activities of their approved development plan that are
due within a week (or overdue), and questionnaires they were asked to fill in. For a manager
(someone with direct reports): plans waiting for their review, how far their team is with
the questionnaires of open rounds, and development talks with their reports within a week.

``digests`` reads all of it for any number of people of one organisation in a fixed number of
queries; the digest email asks for one person, the daily notification job for everyone.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.utils import timezone

from vakwerk.assessments.models import Invitation, InvitationStatus, RoundStatus, Subject
from vakwerk.assessments.round_selectors import ANSWERABLE
from vakwerk.development.models import ItemStatus, Plan, PlanItem, PlanStatus
from vakwerk.development.notices import DUE_WITHIN_DAYS
from vakwerk.organisations.models import Membership, Organisation
from vakwerk.people.models import Employee, EmployeeQuerySet
from vakwerk.practice.models import Card


@dataclass(frozen=True)
class TeamRate:
    """How many of the questionnaires the manager's direct reports must fill in in an open
    round are done."""

    round_id: int
    round_name: str
    closes_on: dt.date
    invited: int
    completed: int

    @property
    def open(self) -> int:
        return self.invited - self.completed

    @property
    def percent(self) -> int:
        return round(100 * self.completed / self.invited) if self.invited else 0


@dataclass
class Digest:
    employee: Employee
    today: dt.date
    practice_due: int = 0
    plan_items: list[PlanItem] = field(default_factory=list)
    feedback: list[Invitation] = field(default_factory=list)
    plans_to_review: list[Plan] = field(default_factory=list)
    team_rates: list[TeamRate] = field(default_factory=list)
    talks: list[Plan] = field(default_factory=list)  # of direct reports, within a week

    @property
    def has_own(self) -> bool:
        return bool(self.practice_due or self.plan_items or self.feedback)

    @property
    def has_team(self) -> bool:
        return bool(self.plans_to_review or self.team_rates or self.talks)

    @property
    def is_empty(self) -> bool:
        return not (self.has_own or self.has_team)

    @property
    def count(self) -> int:
        """The number of things to do, for the subject line."""
        return (
            (1 if self.practice_due else 0)
            + len(self.plan_items)
            + len(self.feedback)
            + len(self.plans_to_review)
            + len(self.team_rates)
            + len(self.talks)
        )


def recipients(organisation: Organisation) -> EmployeeQuerySet:
    """The people of ``organisation`` Vakwerk writes to: current employees with a login that
    is active and a membership of the organisation (the links in an email lead to pages behind
    the login, so people without one get none)."""
    members = Membership.objects.filter(organisation=organisation).values("user_id")
    return (
        Employee.objects.current()
        .filter(organisation=organisation, user__is_active=True, user_id__in=members)
        .select_related("user")
        .order_by("pk")
    )


def digests(
    organisation: Organisation, employees: Iterable[Employee], *, now: dt.datetime
) -> dict[int, Digest]:
    """The digest of each of ``employees`` (of ``organisation``) at ``now``, by employee id.
    Seven queries, however many people."""
    people = {e.pk: e for e in employees}
    today = timezone.localdate(now)
    found = {pk: Digest(employee=e, today=today) for pk, e in people.items()}
    if not people:
        return found
    ids = list(people)
    for row in (
        Card.objects.filter(
            organisation=organisation,
            employee_id__in=ids,
            due__lte=now,
            family__is_active=True,
        )
        .values("employee_id")
        .annotate(n=Count("id"))
        .order_by()
    ):
        found[row["employee_id"]].practice_due = row["n"]
    for item in plan_items_due(organisation, ids, today=today):
        found[item.plan.employee_id].plan_items.append(item)
    for invitation in (
        Invitation.objects.filter(
            rater_id__in=ids,
            status=InvitationStatus.OPEN,
            subject__round__organisation=organisation,
            subject__round__status=RoundStatus.OPEN,
        )
        .select_related("subject__employee", "subject__round")
        .order_by("subject__round__closes_on", "subject__employee__last_name", "pk")
    ):
        assert invitation.rater_id is not None  # filtered on rater_id above
        found[invitation.rater_id].feedback.append(invitation)
    for plan in (
        Plan.objects.filter(
            organisation=organisation, employee__manager_id__in=ids, status=PlanStatus.SUBMITTED
        )
        .select_related("employee")
        .order_by("submitted_at", "pk")
    ):
        assert plan.employee.manager_id is not None
        found[plan.employee.manager_id].plans_to_review.append(plan)
    for plan in (
        Plan.objects.filter(
            organisation=organisation,
            employee__manager_id__in=ids,
            talk_on__gte=today,
            talk_on__lte=today + dt.timedelta(days=DUE_WITHIN_DAYS),
        )
        .select_related("employee")
        .order_by("talk_on", "pk")
    ):
        assert plan.employee.manager_id is not None
        found[plan.employee.manager_id].talks.append(plan)
    for manager_id, rate in team_rates(organisation, ids, today=today):
        found[manager_id].team_rates.append(rate)
    return found


def digest_of(organisation: Organisation, employee: Employee, *, now: dt.datetime) -> Digest:
    return digests(organisation, [employee], now=now)[employee.pk]


def plan_items_due(
    organisation: Organisation, employee_ids: list[int], *, today: dt.date
) -> list[PlanItem]:
    """Activities of approved plans of ``employee_ids`` that are not done and due within
    ``DUE_WITHIN_DAYS`` days, overdue ones included; soonest first."""
    return list(
        PlanItem.objects.filter(
            plan__organisation=organisation,
            plan__employee_id__in=employee_ids,
            plan__status=PlanStatus.APPROVED,
            due_date__lte=today + dt.timedelta(days=DUE_WITHIN_DAYS),
        )
        .exclude(status=ItemStatus.DONE)
        .select_related("activity", "plan")
        .order_by("due_date", "pk")
    )


def team_rates(
    organisation: Organisation, manager_ids: list[int], *, today: dt.date
) -> list[tuple[int, TeamRate]]:
    """(manager id, rate) for each open round in which some of the manager's direct reports
    are measured and not all questionnaires of their reports are done. Two queries."""
    measured = set(
        Subject.objects.filter(
            round__organisation=organisation,
            round__status=RoundStatus.OPEN,
            employee__manager_id__in=manager_ids,
        )
        .values_list("employee__manager_id", "round_id")
        .distinct()
    )
    if not measured:
        return []
    current = Q(rater__end_date__isnull=True) | Q(rater__end_date__gt=today)
    rows = (
        Invitation.objects.filter(
            current,
            subject__round__organisation=organisation,
            subject__round__status=RoundStatus.OPEN,
            rater__manager_id__in=manager_ids,
            status__in=ANSWERABLE,
        )
        .values(
            "rater__manager_id",
            "subject__round_id",
            "subject__round__name",
            "subject__round__closes_on",
        )
        .annotate(
            invited=Count("id"),
            completed=Count("id", filter=Q(status=InvitationStatus.COMPLETED)),
        )
        .order_by("subject__round__closes_on", "subject__round_id")
    )
    grouped: dict[int, list[TeamRate]] = defaultdict(list)
    for row in rows:
        manager_id, round_id = row["rater__manager_id"], row["subject__round_id"]
        if manager_id is None or (manager_id, round_id) not in measured:
            continue
        if row["completed"] >= row["invited"]:
            continue
        grouped[manager_id].append(
            TeamRate(
                round_id=round_id,
                round_name=row["subject__round__name"],
                closes_on=row["subject__round__closes_on"],
                invited=row["invited"],
                completed=row["completed"],
            )
        )
    return [(manager_id, rate) for manager_id, rates in grouped.items() for rate in rates]
