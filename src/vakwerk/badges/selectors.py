"""Reads for badges: what an employee may claim, their badges, and the public lookups.

Eligibility uses the same two pieces as the insight pages, so a badge is offered exactly where
the personal report says "at or above target":

- the person's current level per competency (``measurement.selectors.current_levels`` on the
  estimates of their latest measured round: later pulse updates applied);
- their role profile's band (``insights.selectors.bands_for``) and the status rule of
  ``insights.gaps.status_of``: at target when the level is at or above the target.

A competency without a level on the framework's scale (the round could not anchor it) or
without a target in the role profile offers no badge: there is nothing to confirm.

The public lookups (``public_badge``, ``issuer_by_slug``) are the one place that does not take
an organisation: the badge's random id or the organisation's public short name is the key, and
the views show only what the employee shared (docs/badges.md).
"""

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.shortcuts import get_object_or_404

from vakwerk.assessments.models import RoundStatus
from vakwerk.badges.models import Badge
from vakwerk.frameworks.models import Competency
from vakwerk.insights.gaps import AT_TARGET, Band, status_of
from vakwerk.insights.selectors import bands_for
from vakwerk.measurement.models import Estimate
from vakwerk.measurement.selectors import CurrentLevel, current_levels
from vakwerk.organisations.models import Organisation
from vakwerk.people.models import Employee


def reaches(level: float | None, target: int) -> bool:
    """Whether ``level`` is at or above ``target``, by the insight pages' rule."""
    return level is not None and status_of(level, Band(target, target)) == AT_TARGET


@dataclass(frozen=True)
class Candidate:
    """One measured competency of the employee, and whether it earns a badge now."""

    competency: Competency
    estimate: Estimate
    current: CurrentLevel
    band: Band | None
    badge: Badge | None  # the valid badge already claimed on this estimate's round

    @property
    def level(self) -> float | None:
        return self.current.level

    @property
    def eligible(self) -> bool:
        return self.band is not None and reaches(self.level, self.band.target)

    @property
    def claimable(self) -> bool:
        return self.eligible and self.badge is None


def latest_estimates_of(
    organisation: Organisation, employee_ids: Iterable[int], codes: Iterable[str] | None = None
) -> list[Estimate]:
    """Per person and competency the estimate of their newest closed round (one query); the
    same choice as ``measurement.selectors.latest_estimates``, for many people at once."""
    query = Estimate.objects.filter(
        organisation=organisation,
        employee_id__in=set(employee_ids),
        round__status=RoundStatus.CLOSED,
    )
    if codes is not None:
        query = query.filter(competency_code__in=set(codes))
    found: dict[tuple[int, str], Estimate] = {}
    for estimate in query.select_related("round").order_by("-round__closed_at", "-round_id"):
        found.setdefault((estimate.employee_id, estimate.competency_code), estimate)
    return [found[key] for key in sorted(found)]


def _competencies(estimates: Sequence[Estimate]) -> dict[tuple[int, str], Competency]:
    return {
        (c.version_id, c.code): c
        for c in Competency.objects.filter(
            version_id__in={e.version_id for e in estimates},
            code__in={e.competency_code for e in estimates},
        ).select_related("version__framework")
    }


def badge_candidates(organisation: Organisation, employee: Employee) -> list[Candidate]:
    """The employee's measured competencies in framework order, each with its current level,
    the role's band and any valid badge on that round. A bounded number of queries."""
    estimates = latest_estimates_of(organisation, [employee.pk])
    if not estimates:
        return []
    current = current_levels(organisation, estimates)
    band_of = bands_for([employee.role_profile_id]).get(employee.role_profile_id or 0, {})
    competencies = _competencies(estimates)
    claimed = {
        (badge.competency_id, badge.round_id): badge
        for badge in Badge.objects.filter(
            organisation=organisation, employee=employee, revoked_at__isnull=True
        )
    }
    found = []
    for estimate in estimates:
        competency = competencies.get((estimate.version_id, estimate.competency_code))
        if competency is None:
            continue
        found.append(
            Candidate(
                competency=competency,
                estimate=estimate,
                current=current[estimate.pk],
                band=band_of.get(estimate.competency_code),
                badge=claimed.get((competency.pk, estimate.round_id)),
            )
        )
    found.sort(key=lambda c: (c.competency.kind, c.competency.position, c.competency.code))
    return found


def badge_candidate(
    organisation: Organisation, employee: Employee, competency_code: str
) -> Candidate | None:
    for candidate in badge_candidates(organisation, employee):
        if candidate.competency.code == competency_code:
            return candidate
    return None


def employee_badges(organisation: Organisation, employee: Employee) -> list[Badge]:
    """All of the employee's badges, newest first, revoked ones included."""
    return list(
        Badge.objects.filter(organisation=organisation, employee=employee).select_related(
            "competency", "round"
        )
    )


def employee_badge(organisation: Organisation, employee: Employee, badge_id: uuid.UUID) -> Badge:
    """One of the employee's own badges, or 404 (someone else's is a 404 too)."""
    return get_object_or_404(
        Badge.objects.select_related("competency", "organisation"),
        pk=badge_id,
        organisation=organisation,
        employee=employee,
    )


def public_badge(badge_id: uuid.UUID) -> Badge | None:
    """A badge by its id, whoever asks (the caller decides what may be shown)."""
    return (
        Badge.objects.select_related("organisation", "employee", "competency", "round")
        .filter(pk=badge_id)
        .first()
    )


def issuer_by_slug(slug: str) -> Organisation:
    """An active organisation by its public short name, or 404."""
    return get_object_or_404(Organisation, slug=slug, is_active=True)
