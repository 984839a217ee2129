"""Reads for development plans: the proposal's inputs, plans, and HR's learning needs."""

import math
from dataclasses import dataclass, field

from django.db.models import Count, F, FloatField, QuerySet, Sum
from django.db.models.functions import Cast, Floor
from django.shortcuts import get_object_or_404

from vakwerk.assessments.models import Round
from vakwerk.development.models import Activity, Plan, PlanStatus
from vakwerk.development.proposal import Proposal, Standing, propose
from vakwerk.frameworks.models import Competency
from vakwerk.frameworks.selectors import current_competencies
from vakwerk.insights import selectors as insights
from vakwerk.measurement.models import Estimate
from vakwerk.organisations.models import Organisation
from vakwerk.people.models import Department, Employee


def catalogue(organisation: Organisation, *, include_retired: bool = False) -> QuerySet[Activity]:
    found = Activity.objects.filter(organisation=organisation)
    return found if include_retired else found.filter(is_active=True)


def activity_in(organisation: Organisation, activity_id: int) -> Activity:
    return get_object_or_404(Activity, pk=activity_id, organisation=organisation)


def competencies_for(organisation: Organisation, round_: Round | None) -> dict[str, Competency]:
    """Competency code -> competency, from the round's framework version, or the frameworks
    as they stand now for a plan without a round."""
    if round_ is None:
        return current_competencies(organisation)
    return {c.code: c for c in Competency.objects.filter(version_id=round_.version_id)}


def competency_labels(organisation: Organisation, round_: Round | None) -> dict[str, str]:
    return {code: c.label for code, c in competencies_for(organisation, round_).items()}


@dataclass
class Basis:
    """What a proposal rests on: the newest measured round of the person, if any."""

    round: Round | None
    standings: list[Standing]
    top: int


def proposal_basis(organisation: Organisation, employee: Employee) -> Basis:
    bands = insights.bands_for([employee.role_profile_id]).get(employee.role_profile_id or 0, {})
    rounds = insights.personal_rounds(organisation, employee)
    round_ = rounds[-1] if rounds else None
    labels = competency_labels(organisation, round_)
    levels: dict[str, tuple[float | None, float | None, float | None]] = {}
    top = 4
    if round_ is not None:
        top = insights.scale_top(round_)
        for code, level, lower, upper in Estimate.objects.filter(
            organisation=organisation, employee=employee, round=round_
        ).values_list("competency_code", "level", "level_lower", "level_upper"):
            levels[code] = (level, lower, upper)
    standings = [
        Standing(code, labels.get(code, code), band, *levels.get(code, (None, None, None)))
        for code, band in sorted(bands.items())
        if code in labels
    ]
    if round_ is not None and not any(s.level is not None for s in standings):
        round_ = None  # measured, but not on this role's competencies: the role decides
    return Basis(round_, standings, top)


def proposal_for(organisation: Organisation, employee: Employee) -> tuple[Basis, Proposal]:
    basis = proposal_basis(organisation, employee)
    found = propose(basis.standings, list(catalogue(organisation)), top=basis.top)
    return basis, found


def plans_of(organisation: Organisation, employee: Employee) -> QuerySet[Plan]:
    return Plan.objects.filter(organisation=organisation, employee=employee).select_related("round")


def plan_of(organisation: Organisation, plan_id: int) -> Plan:
    return get_object_or_404(
        Plan.objects.select_related("employee", "employee__manager", "round", "decided_by"),
        pk=plan_id,
        organisation=organisation,
    )


def plan_details(plan: Plan) -> Plan:
    """The plan with its focuses and items (two queries)."""
    from django.db.models import Prefetch

    from vakwerk.development.models import PlanFocus, PlanItem

    return (
        Plan.objects.prefetch_related(
            Prefetch("focuses", queryset=PlanFocus.objects.order_by("kind", "position")),
            Prefetch(
                "items",
                queryset=PlanItem.objects.select_related("activity", "focus").order_by(
                    "position", "id"
                ),
            ),
        )
        .select_related("employee", "employee__manager", "round", "decided_by")
        .get(pk=plan.pk)
    )


def plans_to_review(organisation: Organisation, manager: Employee) -> QuerySet[Plan]:
    return (
        Plan.objects.filter(
            organisation=organisation,
            employee__manager=manager,
            status=PlanStatus.SUBMITTED,
        )
        .select_related("employee", "round")
        .order_by("submitted_at")
    )


def team_plans(organisation: Organisation, manager: Employee) -> QuerySet[Plan]:
    return (
        Plan.objects.filter(organisation=organisation, employee__manager=manager)
        .select_related("employee", "round")
        .order_by("employee__last_name", "employee__first_name", "-created_at")
    )


# --- learning needs -----------------------------------------------------------------------


@dataclass
class CompetencyNeed:
    code: str
    label: str
    people: int = 0  # measured people under their target
    shortfall: float = 0.0  # sum of (target - level) over them
    # working level -> people under target who would work at that level
    by_level: dict[int, int] = field(default_factory=dict)

    @property
    def mean_shortfall(self) -> float:
        return self.shortfall / self.people if self.people else 0.0


@dataclass
class ActivityNeed:
    activity: Activity
    people: int  # person-competency gaps the activity serves at their working level
    competencies: list[str]


@dataclass
class LearningNeeds:
    round: Round | None
    rounds: list[Round]
    department: Department | None
    competencies: list[CompetencyNeed]
    activities: list[ActivityNeed]
    measured: int
    threshold: int


def learning_needs(
    organisation: Organisation, *, round_id: int | None, department_id: int | None
) -> LearningNeeds:
    """Which competencies fall short most, and which activities would serve most of those
    gaps, over everyone measured in a round (or one department). Counts over fewer people
    than the anonymity threshold are left out, as on every aggregate page."""
    rounds = list(insights.measured_rounds(organisation))
    round_ = insights.pick_round(rounds, round_id)
    department = (
        Department.objects.filter(organisation=organisation, pk=department_id).first()
        if department_id is not None
        else None
    )
    threshold = organisation.anonymity_threshold
    if round_ is None:
        return LearningNeeds(None, [], department, [], [], 0, threshold)
    top = insights.scale_top(round_)
    labels = {c.code: c.label for c in insights.competencies_of(round_)}
    short = (
        Estimate.objects.filter(organisation=organisation, round=round_)
        .annotate(band=insights.band_relation())
        .filter(level__lt=F("band__target"))
    )
    if department is not None:
        short = short.filter(employee__team__department=department)
    rows = (
        short.annotate(floor=Floor("level"))
        .values("competency_code", "floor")
        .annotate(
            people=Count("employee"),
            shortfall=Sum(Cast(F("band__target"), FloatField()) - F("level")),
        )
        .order_by("competency_code", "floor")
    )
    needs: dict[str, CompetencyNeed] = {}
    for row in rows:
        code = str(row["competency_code"])
        need = needs.setdefault(code, CompetencyNeed(code, labels.get(code, code)))
        need.people += int(row["people"])
        need.shortfall += float(row["shortfall"] or 0.0)
        working = max(1, min(top, math.floor(float(row["floor"] or 0)) + 1))
        need.by_level[working] = need.by_level.get(working, 0) + int(row["people"])
    allowed = set(needs)
    if department is not None:
        # The whole organisation's needs minus a department's are the rest's: a department
        # shows only the competencies whose figure the organisation view's department split
        # shows (a department hidden there, alone or along, shows nothing here either).
        field = insights.GROUP_FIELDS[insights.GROUP_DEPARTMENT]
        rows_per_department = insights.band_counts(organisation, [round_.pk], group_field=field)
        per_department = insights.unit_distributions(rows_per_department, field, set(labels))
        shown_codes = insights.department_figures_shown(organisation, per_department)
        allowed = shown_codes.get(department.pk, set())
    shown = sorted(
        (n for n in needs.values() if insights.shown(n.people, organisation) and n.code in allowed),
        key=lambda n: (-n.shortfall, n.code),
    )
    served: dict[int, ActivityNeed] = {}
    for activity in catalogue(organisation):
        people = 0
        codes = []
        for need in shown:
            if need.code in activity.competency_codes:
                reach = sum(
                    n
                    for level, n in need.by_level.items()
                    if activity.level_min <= level <= activity.level_max
                )
                if reach:
                    people += reach
                    codes.append(need.label)
        if people:
            served[activity.pk] = ActivityNeed(activity, people, codes)
    activities = sorted(served.values(), key=lambda a: (-a.people, a.activity.title))
    everyone = Estimate.objects.filter(organisation=organisation, round=round_)
    if department is not None:
        everyone = everyone.filter(employee__team__department=department)
    measured = everyone.values("employee").distinct().count()
    return LearningNeeds(round_, rounds, department, shown, activities, measured, threshold)
