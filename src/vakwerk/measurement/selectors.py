"""Reads of stored estimates and their runs."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Max

from vakwerk.assessments.models import Round
from vakwerk.measurement.models import Estimate, EstimateRun


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
