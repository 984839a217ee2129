"""Reads of stored estimates and their runs, and the current view of a person's levels
(the latest round's estimate, updated by later pulses, widened by its age)."""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from django.db.models import Count, Max
from django.utils import timezone

from vakwerk.assessments.models import Round, RoundStatus
from vakwerk.frameworks.models import Level
from vakwerk.measurement.calibration import Calibration
from vakwerk.measurement.engine.update import aged_sd, months_between
from vakwerk.measurement.models import Estimate, EstimateRun, PulseUpdate
from vakwerk.organisations.models import Organisation
from vakwerk.people.models import Employee

Z90 = 1.6448536269514722  # the 90% interval: estimate +- Z90 * sd


@dataclass(frozen=True)
class RoundEstimates:
    """What HR sees of a round's estimates: the latest run and what is stored."""

    run: EstimateRun | None
    people: int
    competencies: int
    computed_at: datetime | None
    engine_version: str


def round_estimates(round_: Round) -> RoundEstimates:
    """The round's latest run and a count of its stored estimates (two queries)."""
    run = EstimateRun.objects.filter(round=round_).order_by("-created_at", "-id").first()
    stored = Estimate.objects.filter(round=round_).aggregate(
        people=Count("employee", distinct=True),
        competencies=Count("competency_code", distinct=True),
        computed_at=Max("computed_at"),
        engine_version=Max("engine_version"),
    )
    return RoundEstimates(
        run=run,
        people=stored["people"],
        competencies=stored["competencies"],
        computed_at=stored["computed_at"],
        engine_version=stored["engine_version"] or "",
    )


# --- the current view of a person's levels ----------------------------------------------------


@dataclass(frozen=True)
class CurrentLevel:
    """A person's level on one competency as it stands now (docs/measurement.md, section 11).

    The stored estimate of a round, replaced by the latest pulse update based on it, with its
    interval widened by the age of that evidence. ``estimate``/``sd``/``lower90``/``upper90``
    are on the round's standardised scale; ``level``/``level_lower``/``level_upper`` on the
    framework's level scale (``None`` when the round could not anchor it).
    """

    estimate_id: int
    employee_id: int
    competency_code: str
    round_id: int
    estimate: float
    sd: float
    lower90: float
    upper90: float
    level: float | None
    level_lower: float | None
    level_upper: float | None
    stored_sd: float  # the SD when the evidence was new
    evidence_at: datetime
    months: float  # age of the evidence
    from_pulse: bool
    is_outdated: bool

    @property
    def widened(self) -> bool:
        return self.sd > self.stored_sd + 1e-9


def latest_estimates(organisation: Organisation, employee: Employee) -> list[Estimate]:
    """Per competency the person's estimate from their newest measured round (one query)."""
    found: dict[str, Estimate] = {}
    for estimate in (
        Estimate.objects.filter(
            organisation=organisation, employee=employee, round__status=RoundStatus.CLOSED
        )
        .select_related("round")
        .order_by("-round__closed_at", "-round_id")
    ):
        found.setdefault(estimate.competency_code, estimate)
    return [found[code] for code in sorted(found)]


def latest_pulse_updates(
    organisation: Organisation, estimates: Sequence[Estimate]
) -> dict[tuple[int, int, str], PulseUpdate]:
    """The newest pulse update of each estimate's round, person and competency (one query)."""
    if not estimates:
        return {}
    found: dict[tuple[int, int, str], PulseUpdate] = {}
    for update in PulseUpdate.objects.filter(
        organisation=organisation,
        round_id__in={e.round_id for e in estimates},
        employee_id__in={e.employee_id for e in estimates},
        competency_code__in={e.competency_code for e in estimates},
    ).order_by("-computed_at", "-id"):
        found.setdefault((update.round_id, update.employee_id, update.competency_code), update)
    return found


def level_tops(version_ids: Iterable[int]) -> dict[int, int]:
    """The number of levels of each framework version (one query)."""
    return dict(
        Level.objects.filter(version_id__in=set(version_ids))
        .values("version_id")
        .annotate(top=Count("id"))
        .values_list("version_id", "top")
    )


@dataclass(frozen=True)
class _Aged:
    """An estimate as it stands now, before its interval ends are expressed as levels."""

    source: "Estimate | PulseUpdate"
    from_pulse: bool
    evidence_at: datetime
    months: float
    sd: float
    lower: float
    upper: float


def _interval_levels(
    estimates: Sequence[Estimate],
    aged: Sequence[_Aged],
    calibrations: dict[tuple[int, str], Calibration],
    tops: dict[int, int],
) -> list[tuple[float, float] | None]:
    """The level of each aged interval's ends: the round's estimate and its interval are points
    of the round's level map. Where the run kept its level scale, one vectorised call per run
    and competency (a team page has a hundred estimates or more); else each estimate through
    its own anchors (``Calibration.levels``)."""
    ends: list[tuple[float, float] | None] = [None] * len(estimates)
    batches: dict[tuple[int, str], list[int]] = {}
    for index, (e, now_) in enumerate(zip(estimates, aged, strict=True)):
        key = (e.run_id, e.competency_code)
        calibration = calibrations[key]
        if calibration.level_thresholds and calibration.has_level(e):
            batches.setdefault(key, []).append(index)
            continue
        levels = calibration.levels((now_.lower, now_.upper), e, tops.get(e.version_id))
        ends[index] = (levels[0], levels[1]) if levels else None
    for key, indices in batches.items():
        points = np.array([(aged[i].lower, aged[i].upper) for i in indices], dtype=np.float64)
        expressed = calibrations[key].scale.express(points).tolist()
        for index, (low, high) in zip(indices, expressed, strict=True):
            ends[index] = (low, high)
    return ends


def current_levels(
    organisation: Organisation,
    estimates: Iterable[Estimate],
    *,
    now: datetime | None = None,
    closed_at: Mapping[int, datetime | None] | None = None,
) -> dict[int, CurrentLevel]:
    """The current view of each estimate, by estimate id: later pulse updates applied, the
    interval widened by the age of the last evidence (``engine.update.aged_sd``), marked
    outdated past the organisation's ``results_outdated_months``. Two to four queries
    whatever the number of estimates: ``closed_at`` (round id -> when it closed, for every
    round of ``estimates``) saves reading the rounds when the caller has them."""
    estimates = list(estimates)
    if not estimates:
        return {}
    now = now or timezone.now()
    updates = latest_pulse_updates(organisation, estimates)
    round_ids = {e.round_id for e in estimates}
    if closed_at is not None and round_ids <= closed_at.keys():
        closed = dict(closed_at)
    else:
        closed = dict(Round.objects.filter(pk__in=round_ids).values_list("pk", "closed_at"))
    stored = dict(
        EstimateRun.objects.filter(pk__in={e.run_id for e in estimates}).values_list(
            "pk", "calibration"
        )
    )
    calibrations = {
        (run_id, code): Calibration.of(stored.get(run_id), code)
        for run_id, code in {(e.run_id, e.competency_code) for e in estimates}
    }
    tops: dict[int, int] = {}
    if any(c.level_thresholds is None for c in calibrations.values()):
        tops = level_tops({e.version_id for e in estimates})
    aged: list[_Aged] = []
    for e in estimates:
        update = updates.get((e.round_id, e.employee_id, e.competency_code))
        source: Estimate | PulseUpdate = update if update is not None else e
        evidence_at = (
            update.computed_at if update is not None else closed.get(e.round_id) or e.computed_at
        )
        months = months_between(max((now - evidence_at).total_seconds(), 0.0) / 86400.0)
        sd = aged_sd(source.sd, months)
        lower, upper = source.estimate - Z90 * sd, source.estimate + Z90 * sd
        aged.append(_Aged(source, update is not None, evidence_at, months, sd, lower, upper))
    ends = _interval_levels(estimates, aged, calibrations, tops)
    out: dict[int, CurrentLevel] = {}
    for e, now_, levels in zip(estimates, aged, ends, strict=True):
        out[e.pk] = CurrentLevel(
            estimate_id=e.pk,
            employee_id=e.employee_id,
            competency_code=e.competency_code,
            round_id=e.round_id,
            estimate=now_.source.estimate,
            sd=now_.sd,
            lower90=now_.lower,
            upper90=now_.upper,
            level=now_.source.level,
            level_lower=levels[0] if levels else None,
            level_upper=levels[1] if levels else None,
            stored_sd=now_.source.sd,
            evidence_at=now_.evidence_at,
            months=now_.months,
            from_pulse=now_.from_pulse,
            is_outdated=now_.months >= organisation.results_outdated_months,
        )
    return out
