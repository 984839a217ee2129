"""Computing and storing a round's estimates with the measurement engine.

``estimates_request`` queues a run (when a round closes, or when HR asks); the task calls
``estimates_compute``, which feeds the round's evidence (``assessments.evidence``: already
without peer and external groups below the anonymity threshold) to the engine in this
process, and replaces the round's estimates in one transaction. The engine is deterministic,
so recomputing the same round gives the same numbers.
"""

import dataclasses
import logging
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import cast

import numpy as np
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from numpy.typing import NDArray

from vakwerk.assessments.evidence import evidence_rows
from vakwerk.assessments.models import FREQUENCY_CATEGORIES, Frequency, Round, RoundStatus
from vakwerk.assessments.privacy import person_key
from vakwerk.audit.services import Actor, audit_log
from vakwerk.badges.services import badges_revoke_below_target
from vakwerk.frameworks.models import Indicator
from vakwerk.measurement.calibration import calibration_record
from vakwerk.measurement.engine import (
    ENGINE_VERSION,
    SOURCES,
    CompetencyFit,
    Evidence,
    LevelScale,
    PracticeUpdate,
    SourceView,
    agreement,
    fit_competency,
    level_scale,
    practice_update,
    source_views,
)
from vakwerk.measurement.models import PENDING_STATUSES, Estimate, EstimateRun, RunStatus
from vakwerk.practice.evidence import practice_results

logger = logging.getLogger(__name__)

# A run still queued or running after this long lost its worker (a restart, a crash): it no
# longer blocks a new request and is marked failed when one comes in.
STALE_AFTER = timedelta(hours=6)

# Self and manager are one known rater each: their views are shown without a threshold
# (as in assessments.privacy); peer and external groups need the round's threshold.
NAMED_SOURCES = frozenset({"self", "manager"})

# "Often" on the questionnaire's frequency scale (0..4), as a fraction of the scale: the
# engine's level rule counts a level as reached when its indicators are rated this or higher.
OFTEN = Frequency.OFTEN / (FREQUENCY_CATEGORIES - 1)

# Practice counts (when the organisation lets it) from this long before a round closes.
PRACTICE_WINDOW = timedelta(days=365)

PROGRESS_LOADED = 10
PROGRESS_FITTED = 60
PROGRESS_DONE = 100


class EstimationError(Exception):
    """The round cannot be estimated; the message says why (it is stored on the run)."""


@transaction.atomic
def estimates_request(*, round_: Round, actor: Actor) -> EstimateRun:
    """Queue a computation of the round's estimates and return its run.

    A run of this round that is already queued or running is returned instead of a second one.
    Only closed rounds are estimated: their answers no longer change. The task is enqueued
    once the run is committed.
    """
    round_ = Round.objects.select_for_update().select_related("organisation").get(pk=round_.pk)
    if round_.status != RoundStatus.CLOSED:
        raise ValidationError(_("Estimates are computed once the round is closed."))
    pending = EstimateRun.objects.filter(round=round_, status__in=PENDING_STATUSES)
    pending.filter(created_at__lt=timezone.now() - STALE_AFTER).update(
        status=RunStatus.FAILED,
        finished_at=timezone.now(),
        error="Interrupted: the run did not finish in time (a stopped worker?).",
    )
    current = pending.order_by("-created_at", "-id").first()
    if current is not None:
        return current
    run = EstimateRun.objects.create(
        organisation=round_.organisation,
        round=round_,
        requested_by=actor.user,
        engine_version=ENGINE_VERSION,
    )
    audit_log(
        organisation=round_.organisation,
        actor=actor,
        action="estimates.request",
        target=round_,
        details={"run": run.pk, "engine_version": ENGINE_VERSION},
    )
    from vakwerk.measurement.tasks import compute_estimates

    run_id = run.pk
    transaction.on_commit(lambda: compute_estimates.enqueue(run_id))
    return run


def estimates_compute(*, run_id: int, resume: bool = False) -> str:
    """Compute and store the estimates of a queued run; returns the run's final status.

    Not atomic itself: progress is committed as it goes so HR can follow it. The estimates
    are written in one transaction at the end; on any failure nothing is written, the run is
    marked failed with the reason, and the round keeps its previous estimates. With
    ``resume`` (the run's own task, put back after its worker died) a run left running is
    computed again from the start.
    """
    claimable = [RunStatus.QUEUED, RunStatus.RUNNING] if resume else [RunStatus.QUEUED]
    started = EstimateRun.objects.filter(pk=run_id, status__in=claimable).update(
        status=RunStatus.RUNNING,
        started_at=timezone.now(),
        progress=0,
        engine_version=ENGINE_VERSION,
    )
    if not started:
        return ""  # already run or gone: a task delivered twice does nothing
    run = EstimateRun.objects.select_related("round__version", "organisation").get(pk=run_id)
    try:
        stored = _compute(run)
    except Exception as error:
        logger.exception("Estimate run %s of round %s failed", run.pk, run.round_id)
        EstimateRun.objects.filter(pk=run_id).update(
            status=RunStatus.FAILED,
            finished_at=timezone.now(),
            error=_error_text(error),
        )
        return RunStatus.FAILED
    logger.info("Estimate run %s of round %s stored %s estimates", run.pk, run.round_id, stored)
    return RunStatus.DONE


def _error_text(error: Exception) -> str:
    if isinstance(error, EstimationError):
        return str(error)
    return f"{type(error).__name__}: {error}"[:2000]


def _progress(run: EstimateRun, value: int) -> None:
    EstimateRun.objects.filter(pk=run.pk).update(progress=value)


def _compute(run: EstimateRun) -> int:
    round_ = run.round
    subjects = list(
        round_.subjects.select_related("employee")
        .order_by("employee_id")
        .only("employee_id", "competency_codes", "employee__employee_number")
    )
    employee_of: dict[str, int] = {}
    for subject in subjects:
        key = person_key(subject.employee.employee_number, subject.employee_id)
        if key in employee_of:
            raise EstimationError(
                f"Two people in this round share the key {key!r} "
                "(an employee number equal to another person's record id)."
            )
        employee_of[key] = subject.employee_id
    measured: dict[str, list[str]] = defaultdict(list)  # competency -> person keys
    for subject in subjects:
        key = person_key(subject.employee.employee_number, subject.employee_id)
        for code in subject.competency_codes:
            measured[code].append(key)
    records: dict[str, list[tuple[str, str, str, str, int, int]]] = defaultdict(list)
    for row in evidence_rows(round_):
        records[str(row["competency"])].append(
            (
                str(row["person"]),
                str(row["source"]),
                str(row["rater"]),
                str(row["item"]),
                cast(int, row["score"]),
                cast(int, row["categories"]),
            )
        )
    if not any(records[code] for code in measured):
        raise EstimationError("This round has no completed questionnaires or tests to use.")
    item_levels = _item_levels(round_, measured)
    practice = _practice(round_, employee_of, measured)
    _progress(run, PROGRESS_LOADED)

    now = timezone.now()
    rows: list[Estimate] = []
    codes = sorted(measured)
    for number, code in enumerate(codes, start=1):
        persons = sorted(set(measured[code]) | {record[0] for record in records[code]})
        fit = fit_competency(Evidence.from_records(records[code], persons=persons))
        calibration_record(
            run=run, code=code, fit=fit, records=records[code], item_levels=item_levels[code]
        )
        practised = _with_practice(fit, practice.get(code, {}))
        rows.extend(
            _estimates(
                run, fit, practised, code, set(measured[code]), employee_of, item_levels[code], now
            )
        )
        span = PROGRESS_FITTED - PROGRESS_LOADED
        _progress(run, PROGRESS_LOADED + span * number // len(codes))

    with transaction.atomic():
        locked = EstimateRun.objects.select_for_update().get(pk=run.pk)
        if locked.status != RunStatus.RUNNING:
            raise EstimationError(f"The run was {locked.status} before its estimates were stored.")
        Estimate.objects.filter(round=round_).delete()
        Estimate.objects.bulk_create(rows, batch_size=1000)
        EstimateRun.objects.filter(pk=run.pk).update(
            status=RunStatus.DONE, progress=PROGRESS_DONE, finished_at=timezone.now(), error=""
        )
        audit_log(
            organisation=run.organisation,
            actor=Actor(user=None),
            action="estimates.store",
            target=round_,
            details={
                "run": run.pk,
                "estimates": len(rows),
                "people": len({row.employee_id for row in rows}),
                "competencies": len(codes),
                "engine_version": ENGINE_VERSION,
            },
        )
        badges_revoke_below_target(organisation=run.organisation, employee_ids=employee_of.values())
    return len(rows)


def _practice(
    round_: Round, employee_of: dict[str, int], measured: dict[str, list[str]]
) -> dict[str, dict[str, list[float]]]:
    """Per competency and person key the practice results that count, when the organisation
    lets practice count as evidence (otherwise none): those of the year before the round
    closed (``practice.evidence``)."""
    if not round_.organisation.practice_as_evidence:
        return {}
    key_of = {employee_id: key for key, employee_id in employee_of.items()}
    until = timezone.make_aware(datetime.combine(round_.closes_on, datetime.max.time()))
    results = practice_results(
        round_.organisation, key_of, measured, since=until - PRACTICE_WINDOW, until=until
    )
    by_code: dict[str, dict[str, list[float]]] = defaultdict(dict)
    for (employee_id, code), scores in results.items():
        by_code[code][key_of[employee_id]] = scores
    return by_code


def _with_practice(fit: CompetencyFit, practice: dict[str, list[float]]) -> PracticeUpdate:
    """The fit's levels with practice folded in (unchanged when there is none)."""
    scores = [practice.get(person) for person in fit.persons]
    return practice_update(
        fit.estimate,
        fit.sd,
        [sum(found) / len(found) if found else None for found in scores],
        [len(found) if found else 0 for found in scores],
    )


def _item_levels(round_: Round, codes: Iterable[str]) -> dict[str, dict[str, int]]:
    """Per competency: the level of each behavioural indicator, named as in the evidence."""
    levels: dict[str, dict[str, int]] = defaultdict(dict)
    for pk, code, level in Indicator.objects.filter(
        competency__version=round_.version, competency__code__in=list(codes)
    ).values_list("pk", "competency__code", "level"):
        levels[code][f"i{pk}"] = level
    return levels


def _estimates(
    run: EstimateRun,
    fit: CompetencyFit,
    practised: PracticeUpdate,
    code: str,
    measured: set[str],
    employee_of: dict[str, int],
    item_levels: dict[str, int],
    now: datetime,
) -> Iterable[Estimate]:
    # The official level includes practice when the organisation lets it count; the source
    # views and the self-other agreement are about ratings only, so they use the plain fit.
    level_fit = dataclasses.replace(fit, estimate=practised.estimate, sd=practised.sd)
    lower, upper = level_fit.interval(0.9)
    scale: LevelScale | None = None
    levels: tuple[NDArray[np.float64], ...] | None = None
    if item_levels:
        try:
            scale = level_scale(fit, item_levels, often=OFTEN)
        except ValueError:
            # No ratings by others on this competency (or none that follow the level): the
            # level scale cannot be anchored, so only the standardised estimate is stored.
            scale = None
        else:
            levels = scale.express_fit(level_fit, 0.9)
    threshold = run.round.anonymity_threshold
    views = source_views(fit, threshold=threshold, exempt=NAMED_SOURCES)
    agreements = agreement(fit, threshold=threshold, exempt=NAMED_SOURCES)
    count = {source: SOURCES.index(source) for source in SOURCES}
    round_ = run.round
    for p, person in enumerate(fit.persons):
        if person not in measured:
            continue  # evidence of a competency outside this person's questionnaire
        counts = fit.counts[p]
        yield Estimate(
            run=run,
            round=round_,
            organisation_id=run.organisation_id,
            employee_id=employee_of[person],
            version_id=round_.version_id,
            competency_code=code,
            estimate=float(level_fit.estimate[p]),
            sd=float(level_fit.sd[p]),
            lower90=float(lower[p]),
            upper90=float(upper[p]),
            level=float(levels[0][p]) if levels else None,
            level_lower=float(levels[1][p]) if levels else None,
            level_upper=float(levels[2][p]) if levels else None,
            agreement=agreements[p].category or "",
            views={name: _view(view, scale) for name, view in sorted(views[p].items())},
            n_self=int(counts[count["self"]]),
            n_manager=int(counts[count["manager"]]),
            n_peer=int(counts[count["peer"]]),
            n_external=int(counts[count["external"]]),
            n_sjt=int(counts[count["sjt"]]),
            n_practice=int(practised.used[p]),
            computed_at=now,
            engine_version=ENGINE_VERSION,
        )


def _view(view: SourceView, scale: LevelScale | None) -> dict[str, float | int | None]:
    level = float(scale.express(np.array([view.estimate]))[0]) if scale else None
    return {
        "estimate": round(view.estimate, 4),
        "sd": round(view.sd, 4),
        "level": None if level is None else round(level, 3),
        "raters": view.n_raters,
    }
