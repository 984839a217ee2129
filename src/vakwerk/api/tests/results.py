"""Stored results built by hand for the API tests: a closed round with a finished estimate
run, estimates, a plan and a campaign, without running the engine (the measured team of
``vakwerk.tests.measured`` does that where real estimates matter)."""

import datetime as dt

from django.utils import timezone

from vakwerk.assessments.models import Round, RoundStatus
from vakwerk.development.models import (
    Activity,
    ActivityFormat,
    FocusKind,
    LearningCategory,
    Plan,
    PlanFocus,
    PlanItem,
)
from vakwerk.measurement.models import Estimate, EstimateRun, RunStatus
from vakwerk.nudges.models import Campaign
from vakwerk.organisations.models import Organisation
from vakwerk.people.models import Employee


def close_with_run(round_: Round) -> EstimateRun:
    """Mark the round closed with a finished estimate run (as ``round_close`` leaves it)."""
    Round.objects.filter(pk=round_.pk).update(status=RoundStatus.CLOSED, closed_at=timezone.now())
    round_.refresh_from_db()
    return EstimateRun.objects.create(
        organisation=round_.organisation, round=round_, status=RunStatus.DONE, progress=100
    )


def estimate(run: EstimateRun, employee: Employee, code: str, level: float = 2.5) -> Estimate:
    return Estimate.objects.create(
        run=run,
        round=run.round,
        organisation=run.organisation,
        employee=employee,
        version=run.round.version,
        competency_code=code,
        estimate=0.1,
        sd=0.4,
        lower90=-0.5,
        upper90=0.7,
        level=level,
        level_lower=level - 0.5,
        level_upper=level + 0.5,
        views={"self": {"estimate": 0.3, "sd": 0.5, "level": level + 0.3, "raters": 1}},
        n_self=5,
        n_manager=5,
        computed_at=timezone.now(),
        engine_version="test",
    )


def plan_with_item(employee: Employee, code: str, *, title: str = "Oefenen") -> Plan:
    activity = Activity.objects.create(
        organisation=employee.organisation,
        code=f"act-{employee.pk}",
        title=title,
        description="Wat je doet.",
        format=ActivityFormat.ON_THE_JOB,
        category=LearningCategory.EXPERIENCE,
        competency_codes=[code],
        minutes=60,
        why_daily="Dagelijks werk.",
        why_career="Loopbaan.",
    )
    plan = Plan.objects.create(organisation=employee.organisation, employee=employee)
    focus = PlanFocus.objects.create(
        plan=plan, competency_code=code, kind=FocusKind.FOCUS, level=1.5, target=3, goal="PRIVE"
    )
    PlanItem.objects.create(
        plan=plan,
        focus=focus,
        activity=activity,
        due_date=dt.date(2030, 1, 1),
        reflection="DAGBOEK",
    )
    return plan


def campaign(
    organisation: Organisation, code: str, *, title: str = "Maand van de transparantie"
) -> Campaign:
    today = timezone.localdate()
    return Campaign.objects.create(
        organisation=organisation,
        title=title,
        competency_codes=[code],
        starts_on=today - dt.timedelta(days=20),
        ends_on=today + dt.timedelta(days=10),
    )
