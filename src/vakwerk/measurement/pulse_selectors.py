"""Reads for the pulse pages: the employee's open pulse and results, one pulse's outcome."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.db.models import Max

from vakwerk.assessments.models import Frequency, SjtItem
from vakwerk.frameworks.models import Competency
from vakwerk.measurement.models import (
    Estimate,
    PulseAnswer,
    PulseCheck,
    PulseSelfAnswer,
    PulseUpdate,
)
from vakwerk.organisations.models import Organisation
from vakwerk.people.models import Employee

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from vakwerk.accounts.models import User

RECENT_RESULTS = 5


def open_pulse(organisation: Organisation, employee: Employee | None) -> PulseCheck | None:
    """The employee's pulse waiting to be answered, if any (one query)."""
    if employee is None:
        return None
    return PulseCheck.objects.filter(
        organisation=organisation, employee=employee, completed_at__isnull=True
    ).first()


def open_pulse_for_user(
    organisation: Organisation | None, user: "User | AnonymousUser"
) -> PulseCheck | None:
    """The open pulse of the logged-in user's employee record here, if any (one query; none
    without an organisation)."""
    if organisation is None or not user.is_authenticated:
        return None
    return PulseCheck.objects.filter(
        organisation=organisation,
        employee__organisation=organisation,
        employee__user=user,
        completed_at__isnull=True,
    ).first()


def answer_ratings(pulse: PulseCheck, item: SjtItem) -> dict[int, int]:
    """Ratings given so far for one situation, by option position."""
    answer = PulseAnswer.objects.filter(pulse=pulse, item=item).first()
    return {int(p): int(r) for p, r in answer.ratings.items()} if answer else {}


def self_answer_values(pulse: PulseCheck) -> dict[int, int]:
    return dict(PulseSelfAnswer.objects.filter(pulse=pulse).values_list("indicator_id", "value"))


@dataclass
class PulseOverview:
    pulses_on: bool
    open: PulseCheck | None
    answered: int  # situations of the open pulse answered so far
    completed: list[PulseCheck]  # newest first
    next_due: datetime | None  # when the next pulse comes (pulses on, none open)


def pulse_overview(organisation: Organisation, employee: Employee) -> PulseOverview:
    pulse = open_pulse(organisation, employee)
    answered = PulseAnswer.objects.filter(pulse=pulse).count() if pulse else 0
    completed = list(
        PulseCheck.objects.filter(
            organisation=organisation, employee=employee, completed_at__isnull=False
        )[:RECENT_RESULTS]
    )
    pulses_on = organisation.pulse_interval_weeks > 0
    next_due = None
    if pulses_on and pulse is None:
        last_round = Estimate.objects.filter(
            organisation=organisation, employee=employee, round__closed_at__isnull=False
        ).aggregate(last=Max("round__closed_at"))["last"]
        last = max(
            (t for t in (completed[0].created_at if completed else None, last_round) if t),
            default=None,
        )
        if last is not None:
            next_due = last + timedelta(weeks=organisation.pulse_interval_weeks)
    return PulseOverview(pulses_on, pulse, answered, completed, next_due)


@dataclass
class CompetencyChange:
    label: str
    update: PulseUpdate

    @property
    def has_level(self) -> bool:
        u = self.update
        return u.level is not None and u.prior_level is not None

    @property
    def width_before(self) -> float | None:
        u = self.update
        if u.prior_level_lower is None or u.prior_level_upper is None:
            return None
        return u.prior_level_upper - u.prior_level_lower

    @property
    def width_after(self) -> float | None:
        u = self.update
        if u.level_lower is None or u.level_upper is None:
            return None
        return u.level_upper - u.level_lower


@dataclass
class SelfCheckAnswer:
    competency: str
    statement: str
    answer: str


@dataclass
class PulseResult:
    pulse: PulseCheck
    changes: list[CompetencyChange]
    unchanged: list[str] = field(default_factory=list)  # competencies without a scored answer
    self_check: list[SelfCheckAnswer] = field(default_factory=list)


def pulse_result(organisation: Organisation, pulse: PulseCheck) -> PulseResult:
    updates = list(
        PulseUpdate.objects.filter(organisation=organisation, pulse=pulse)
        .select_related("round")
        .order_by("competency_code")
    )
    labels = {
        c.code: c.label
        for c in Competency.objects.filter(
            version_id__in={u.round.version_id for u in updates}, code__in=pulse.competency_codes
        )
    }
    if len(labels) < len(pulse.competency_codes):
        labels = {
            c.code: c.label
            for c in Competency.objects.filter(
                version__framework__organisation=organisation, code__in=pulse.competency_codes
            ).order_by("version__number")
        } | labels
    changes = [
        CompetencyChange(labels.get(u.competency_code, u.competency_code), u) for u in updates
    ]
    updated = {u.competency_code for u in updates}
    unchanged = [labels.get(c, c) for c in pulse.competency_codes if c not in updated]
    words = dict(Frequency.choices)
    answers = [
        SelfCheckAnswer(a.indicator.competency.label, a.indicator.label, str(words[a.value]))
        for a in PulseSelfAnswer.objects.filter(pulse=pulse)
        .select_related("indicator__competency")
        .order_by("indicator__competency__position", "indicator__level", "indicator_id")
    ]
    return PulseResult(pulse, changes, unchanged, answers)
