"""Pulse checks: scheduling them, answering them, and updating the estimates with them.

Every ``pulse_interval_weeks`` (organisation policy; 0 switches pulses off) an employee whose
last pulse or last measured round is that long ago gets a pulse: about six SJT situations
(three minutes) on the competencies due, and with ``pulse_self_check`` a few statements to rate
about themselves. When the pulse is handed in, each competency's current level (the latest
round's estimate, earlier pulse updates included, widened by its age) is updated with the
pulse's answers by the engine (``engine.update``); the result is a ``PulseUpdate``.

Which competencies are due: the plan's focus first, then those whose current level is least
certain (the interval, widened by age, combines "oldest" and "most uncertain"). Which
situations: from the organisation's SJT bank, those the person has not answered in the last year
(in a round or a pulse) first, in an order of the person's own.
"""

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from vakwerk.assessments.models import (
    Frequency,
    SjtAnswer,
    SjtItem,
    SjtOption,
)
from vakwerk.assessments.sjt import OPTIONS_PER_ITEM, score_answers
from vakwerk.audit.services import Actor, audit_log
from vakwerk.development.models import FocusKind, Plan, PlanFocus
from vakwerk.frameworks.models import Indicator
from vakwerk.measurement import selectors
from vakwerk.measurement.calibration import Calibration
from vakwerk.measurement.engine.update import update as posterior_update
from vakwerk.measurement.models import (
    Estimate,
    EstimateRun,
    PulseAnswer,
    PulseCheck,
    PulseSelfAnswer,
    PulseUpdate,
)
from vakwerk.organisations.models import Organisation
from vakwerk.people.models import Employee

PULSE_ITEMS = 6  # about thirty seconds a situation: three minutes
PULSE_COMPETENCIES = 3
SELF_CHECK_STATEMENTS = 3
DUE_AFTER = timedelta(days=14)
RECENT = timedelta(days=365)  # situations answered this recently are shown again only if needed
RATINGS = range(1, 6)
FREQUENCIES = range(Frequency.NEVER, Frequency.ALWAYS + 1)


# ----------------------------------------------------------------------------- scheduling


def pulses_schedule(*, now: datetime) -> dict[str, int]:
    """Create the pulses that are due at ``now``; running it twice creates nothing twice.

    Due: a current employee with a login and measured results, in an active organisation with
    pulses on, whose last pulse (or, without one, last measured round) is at least the
    organisation's interval old, and who has no open pulse. Returns counts for the job log.
    """
    counts = {"organisations": 0, "due": 0, "created": 0, "without_situations": 0}
    for organisation in Organisation.objects.filter(
        is_active=True, pulse_interval_weeks__gt=0
    ).order_by("pk"):
        counts["organisations"] += 1
        for employee in due_employees(organisation, now=now):
            counts["due"] += 1
            pulse = pulse_create(
                organisation=organisation, employee=employee, now=now, actor=Actor(user=None)
            )
            counts["created" if pulse is not None else "without_situations"] += 1
    return counts


def due_employees(organisation: Organisation, *, now: datetime) -> list[Employee]:
    """Employees of ``organisation`` due for a pulse at ``now`` (two queries)."""
    if organisation.pulse_interval_weeks <= 0:
        return []
    # Counted in calendar days, so a pulse made at 06:00 comes back at the 06:00 run N weeks
    # later also across a change to or from summer time.
    interval = timedelta(weeks=organisation.pulse_interval_weeks)
    today = timezone.localdate(now)
    estimates = Estimate.objects.filter(organisation=organisation, round__closed_at__isnull=False)
    measured = {
        row["employee_id"]: row["last"]
        for row in estimates.values("employee_id").annotate(last=Max("round__closed_at"))
    }
    candidates = (
        Employee.objects.current()
        .filter(
            organisation=organisation,
            user__isnull=False,
            pk__in=estimates.values("employee_id"),
        )
        .annotate(
            last_pulse=Max("pulse_checks__created_at"),
            open_pulses=Count("pulse_checks", filter=Q(pulse_checks__completed_at__isnull=True)),
        )
        .order_by("pk")
    )
    due: list[Employee] = []
    for employee in candidates:
        if employee.open_pulses:
            continue
        last = max(t for t in (employee.last_pulse, measured[employee.pk]) if t is not None)
        if timezone.localdate(last) + interval <= today:
            due.append(employee)
    return due


def _rank(seed: str, code: str) -> str:
    # As in ``assessments.sjt``: an item's place depends only on the seed and its own code.
    return hashlib.sha256(f"{seed}:{code}".encode()).hexdigest()


def recent_item_codes(employee: Employee, *, now: datetime) -> set[str]:
    """SJT items this person answered in the last year, in a pulse or a round (two queries)."""
    since = now - RECENT
    in_pulses = PulseAnswer.objects.filter(
        pulse__employee=employee, answered_at__gte=since
    ).values_list("item__code", flat=True)
    in_rounds = SjtAnswer.objects.filter(
        subject__employee=employee, updated_at__gte=since
    ).values_list("option__item__code", flat=True)
    return set(in_pulses) | set(in_rounds)


def choose_competencies(
    current: Mapping[str, selectors.CurrentLevel],
    focus: Iterable[str],
    available: Iterable[str],
) -> list[str]:
    """The competencies due, at most ``PULSE_COMPETENCIES``: measured ones with situations in
    the bank, the plan's focus first, then the widest current interval (oldest or least
    certain), then by code."""
    focus = set(focus)
    codes = [code for code in sorted(set(available)) if code in current]
    codes.sort(key=lambda code: (code not in focus, -current[code].sd, code))
    return codes[:PULSE_COMPETENCIES]


def choose_items(
    bank: Mapping[str, Sequence[str]],
    competencies: Sequence[str],
    recent: set[str],
    seed: str,
) -> list[str]:
    """Up to ``PULSE_ITEMS`` item codes, taken in turn from each competency (so consecutive
    situations differ), items not answered recently first, each group in the person's order."""
    groups = [
        sorted(bank.get(code, ()), key=lambda item: (item in recent, _rank(seed, item)))
        for code in competencies
    ]
    chosen: list[str] = []
    for depth in range(max((len(g) for g in groups), default=0)):
        for group in groups:
            if depth < len(group) and len(chosen) < PULSE_ITEMS:
                chosen.append(group[depth])
    return chosen


def _self_check_indicators(
    current: Mapping[str, selectors.CurrentLevel],
    estimates: Mapping[str, Estimate],
    competencies: Sequence[str],
) -> list[int]:
    """One behaviour per competency (up to ``SELF_CHECK_STATEMENTS``): the first indicator of
    the level just above the person's current level (the next step), or of the top level."""
    wanted = competencies[:SELF_CHECK_STATEMENTS]
    if not wanted:
        return []
    rows = Indicator.objects.filter(
        competency__version_id__in={estimates[code].version_id for code in wanted},
        competency__code__in=wanted,
    ).values_list("pk", "competency__code", "competency__version_id", "level")
    by_code: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for pk, code, version_id, level in rows:
        if version_id == estimates[code].version_id:
            by_code[code].append((level, pk))
    chosen = []
    for code in wanted:
        indicators = sorted(by_code.get(code, []))
        if not indicators:
            continue
        reached = current[code].level
        step = int(reached) + 1 if reached is not None else indicators[0][0]
        step = min(step, indicators[-1][0])
        at_step = [pk for lv, pk in indicators if lv >= step]
        chosen.append(at_step[0] if at_step else indicators[-1][1])
    return chosen


@transaction.atomic
def pulse_create(
    *, organisation: Organisation, employee: Employee, now: datetime, actor: Actor
) -> PulseCheck | None:
    """A new pulse for ``employee``, or ``None`` when the bank has no situations for their
    measured competencies. An open pulse of theirs is returned instead of a second one."""
    existing = PulseCheck.objects.filter(employee=employee, completed_at__isnull=True).first()
    if existing is not None:
        return existing
    estimates = {e.competency_code: e for e in selectors.latest_estimates(organisation, employee)}
    current = {
        level.competency_code: level
        for level in selectors.current_levels(organisation, estimates.values(), now=now).values()
    }
    bank: dict[str, list[str]] = defaultdict(list)
    for code, competency in (
        SjtItem.objects.filter(organisation=organisation, competency_code__in=list(current))
        .annotate(options_count=Count("options"))
        .filter(options_count=OPTIONS_PER_ITEM)
        .values_list("code", "competency_code")
        .order_by("code")
    ):
        bank[competency].append(code)
    plan = Plan.objects.filter(organisation=organisation, employee=employee).first()  # newest
    focus = PlanFocus.objects.filter(plan=plan, kind=FocusKind.FOCUS).values_list(
        "competency_code", flat=True
    )
    competencies = choose_competencies(current, focus, bank)
    done = PulseCheck.objects.filter(employee=employee).count()
    items = choose_items(
        bank, competencies, recent_item_codes(employee, now=now), f"pulse:{employee.pk}:{done}"
    )
    if not items:
        return None
    item_competency = {item: code for code, found in bank.items() for item in found}
    competencies = [code for code in competencies if any(item_competency[i] == code for i in items)]
    indicators = (
        _self_check_indicators(current, estimates, competencies)
        if organisation.pulse_self_check
        else []
    )
    try:
        with transaction.atomic():
            pulse = PulseCheck.objects.create(
                organisation=organisation,
                employee=employee,
                competency_codes=competencies,
                item_codes=items,
                indicator_ids=indicators,
                created_at=now,
                due_at=now + DUE_AFTER,
            )
    except IntegrityError:  # created at the same moment by another request or job run
        return PulseCheck.objects.filter(employee=employee, completed_at__isnull=True).first()
    audit_log(
        organisation=organisation,
        actor=actor,
        action="pulse.create",
        target=pulse,
        details={"employee": employee.pk, "competencies": competencies, "situations": len(items)},
    )
    return pulse


def pulse_request(*, organisation: Organisation, employee: Employee, actor: Actor) -> PulseCheck:
    """The employee asks for a pulse now (e.g. because a result is outdated)."""
    if organisation.pulse_interval_weeks <= 0:
        raise ValidationError(_("Pulse checks are switched off in this organisation."))
    pulse = pulse_create(
        organisation=organisation, employee=employee, now=timezone.now(), actor=actor
    )
    if pulse is None:
        raise ValidationError(
            _("There are no situations for your measured competencies yet. Ask your HR department.")
        )
    return pulse


# ----------------------------------------------------------------------------- answering


def pulse_items(pulse: PulseCheck) -> list[SjtItem]:
    """The pulse's situations in their order, with their options (two queries)."""
    found = {
        item.code: item
        for item in SjtItem.objects.filter(
            organisation_id=pulse.organisation_id, code__in=pulse.item_codes
        ).prefetch_related("options")
    }
    return [found[code] for code in pulse.item_codes if code in found]


def pulse_indicators(pulse: PulseCheck) -> list[Indicator]:
    found = {
        i.pk: i
        for i in Indicator.objects.filter(pk__in=pulse.indicator_ids).select_related("competency")
    }
    return [found[pk] for pk in pulse.indicator_ids if pk in found]


def _require_open(pulse: PulseCheck) -> None:
    if pulse.completed_at is not None:
        raise ValidationError(
            _("This pulse check has been handed in: answers can no longer change.")
        )


@transaction.atomic
def pulse_answer_save(
    *, pulse: PulseCheck, item: SjtItem, ratings: Mapping[int, int], actor: Actor
) -> PulseAnswer:
    """Save the ratings of one situation; all four responses must be rated 1-5. Saving the
    same situation again (a double submit, going back) leaves one answer with the last
    ratings."""
    pulse = PulseCheck.objects.select_for_update().get(pk=pulse.pk)
    _require_open(pulse)
    if item.code not in pulse.item_codes or item.organisation_id != pulse.organisation_id:
        raise ValidationError(_("This situation is not part of this pulse check."))
    positions = {option.position for option in item.options.all()}
    given = {int(p): int(r) for p, r in ratings.items() if int(p) in positions}
    if set(given) != positions:
        missing = len(positions - set(given))
        raise ValidationError(
            ngettext(
                "Rate every response: %(count)s response has no rating yet.",
                "Rate every response: %(count)s responses have no rating yet.",
                missing,
            )
            % {"count": missing}
        )
    if any(rating not in RATINGS for rating in given.values()):
        raise ValidationError(
            _("Rate each response from 1 (very ineffective) to 5 (very effective).")
        )
    answer, created = PulseAnswer.objects.update_or_create(
        pulse=pulse,
        item=item,
        defaults={
            "ratings": {str(p): r for p, r in sorted(given.items())},
            "answered_at": timezone.now(),
        },
    )
    audit_log(
        organisation=pulse.organisation,
        actor=actor,
        action="pulse.answer",
        target=pulse,
        details={"item": item.code, "changed": not created},
    )
    return answer


@transaction.atomic
def pulse_self_answers_save(*, pulse: PulseCheck, values: Mapping[int, int], actor: Actor) -> int:
    """Save self-check answers (indicator id -> 0-4); returns how many were saved."""
    pulse = PulseCheck.objects.select_for_update().get(pk=pulse.pk)
    _require_open(pulse)
    if not set(values) <= set(pulse.indicator_ids):
        raise ValidationError(_("This statement is not part of this pulse check."))
    if any(value not in FREQUENCIES for value in values.values()):
        raise ValidationError(_("Choose one of the five answers."))
    now = timezone.now()
    for indicator_id, value in sorted(values.items()):
        PulseSelfAnswer.objects.update_or_create(
            pulse=pulse,
            indicator_id=indicator_id,
            defaults={"value": value, "answered_at": now},
        )
    if values:
        audit_log(
            organisation=pulse.organisation,
            actor=actor,
            action="pulse.self_check",
            target=pulse,
            details={"statements": len(values)},
        )
    return len(values)


def answered_codes(pulse: PulseCheck) -> set[str]:
    return set(PulseAnswer.objects.filter(pulse=pulse).values_list("item__code", flat=True))


def pulse_scores(pulse: PulseCheck) -> dict[str, int]:
    """Item code -> score 0-4 of the pulse's situations, scored as in a round's test
    (``assessments.sjt.score_answers``: standardised within the pulse)."""
    ratings: dict[str, dict[int, float]] = {}
    for code, given in PulseAnswer.objects.filter(pulse=pulse).values_list("item__code", "ratings"):
        ratings[code] = {int(p): float(r) for p, r in given.items()}
    keys: dict[str, dict[int, float]] = defaultdict(dict)
    for code, position, key in SjtOption.objects.filter(
        item__organisation_id=pulse.organisation_id, item__code__in=list(ratings)
    ).values_list("item__code", "position", "key"):
        keys[code][position] = float(key)
    return score_answers(ratings, dict(keys))


@transaction.atomic
def pulse_complete(
    *, pulse: PulseCheck, actor: Actor, now: datetime | None = None
) -> list[PulseUpdate]:
    """Hand the pulse in and update the estimates of its competencies.

    Every situation must be answered (the self-check is optional). Handing in twice changes
    nothing. A competency whose answers cannot be scored (every response given the same
    rating: nothing to standardise) keeps its level and gets no update.
    """
    pulse = PulseCheck.objects.select_for_update().select_related("organisation").get(pk=pulse.pk)
    if pulse.completed_at is not None:
        return list(pulse.updates.all())
    answered = answered_codes(pulse)
    missing = [item.code for item in pulse_items(pulse) if item.code not in answered]
    if missing:
        raise ValidationError(
            ngettext(
                "%(count)s situation still needs a rating for every response.",
                "%(count)s situations still need a rating for every response.",
                len(missing),
            )
            % {"count": len(missing)}
        )
    now = now or timezone.now()
    organisation = pulse.organisation
    scores = pulse_scores(pulse)
    competency_of = dict(
        SjtItem.objects.filter(organisation=organisation, code__in=pulse.item_codes).values_list(
            "code", "competency_code"
        )
    )
    estimates = {
        e.competency_code: e
        for e in selectors.latest_estimates(organisation, pulse.employee)
        if e.competency_code in pulse.competency_codes
    }
    current = selectors.current_levels(organisation, estimates.values(), now=now)
    calibrations = dict(
        EstimateRun.objects.filter(pk__in={e.run_id for e in estimates.values()}).values_list(
            "pk", "calibration"
        )
    )
    tops = selectors.level_tops(e.version_id for e in estimates.values())
    updates = []
    for code, estimate in sorted(estimates.items()):
        calibration = Calibration.of(calibrations.get(estimate.run_id), code)
        answers = [
            (calibration.item(item), score)
            for item, score in sorted(scores.items())
            if competency_of.get(item) == code
        ]
        if not answers:
            continue
        before = current[estimate.pk]
        after = posterior_update(before.estimate, before.sd, answers, calibration.specific_var)
        lower, upper = (
            after.mean - selectors.Z90 * after.sd,
            after.mean + selectors.Z90 * after.sd,
        )
        levels = calibration.levels(
            (after.mean, lower, upper), estimate, tops.get(estimate.version_id)
        )
        updates.append(
            PulseUpdate(
                pulse=pulse,
                organisation=organisation,
                employee_id=pulse.employee_id,
                competency_code=code,
                round_id=estimate.round_id,
                based_on=estimate,
                prior_estimate=before.estimate,
                prior_sd=before.sd,
                prior_level=before.level,
                prior_level_lower=before.level_lower,
                prior_level_upper=before.level_upper,
                estimate=after.mean,
                sd=after.sd,
                lower90=lower,
                upper90=upper,
                level=levels[0] if levels else None,
                level_lower=levels[1] if levels else None,
                level_upper=levels[2] if levels else None,
                n_items=len(answers),
                computed_at=now,
            )
        )
    for update in updates:
        update.full_clean(validate_unique=False, validate_constraints=False)
    PulseUpdate.objects.bulk_create(updates)
    pulse.completed_at = now
    pulse.save(update_fields=["completed_at"])
    audit_log(
        organisation=organisation,
        actor=actor,
        action="pulse.complete",
        target=pulse,
        details={
            "situations": len(pulse.item_codes),
            "scored": len(scores),
            "updated": [u.competency_code for u in updates],
        },
    )
    return updates
