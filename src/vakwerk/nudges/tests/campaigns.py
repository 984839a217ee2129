"""Helpers shared by the campaign tests: a published framework, campaigns and practice rows."""

import datetime as dt
from typing import Any

from django.utils import timezone

from vakwerk.frameworks.models import FrameworkVersion
from vakwerk.nudges.models import Campaign
from vakwerk.organisations.models import Organisation
from vakwerk.people.models import Employee
from vakwerk.practice.models import (
    Attempt,
    Exercise,
    ExerciseAnswer,
    ExerciseKind,
    ScenarioFamily,
    ScenarioVariant,
)
from vakwerk.tests.factories import CompetencyFactory, FrameworkVersionFactory

CODES = {"AV-TRA": "Transparant", "AV-EMP": "Empathisch", "KW-ONP": "Onpartijdig"}


def publish_framework(organisation: Organisation) -> FrameworkVersion:
    """A published framework with the three competencies of ``CODES``, and a draft version with
    a competency that must not be choosable."""
    version = FrameworkVersionFactory(framework__organisation=organisation, published=True)
    for position, (code, name) in enumerate(CODES.items()):
        CompetencyFactory(version=version, code=code, name=name, position=position)
    draft = FrameworkVersionFactory(framework=version.framework, number=2)
    CompetencyFactory(version=draft, code="AV-CONCEPT", name="Conceptcompetentie")
    return version


def make_campaign(organisation: Organisation, **fields: Any) -> Campaign:
    """A campaign on AV-TRA, running from a week ago for four weeks, for the whole
    organisation unless ``departments`` or ``teams`` are given."""
    departments = fields.pop("departments", [])
    teams = fields.pop("teams", [])
    today = timezone.localdate()
    values: dict[str, Any] = {
        "title": "Maand van de transparantie",
        "description": "Uitleggen wat we doen en waarom.",
        "competency_codes": ["AV-TRA"],
        "starts_on": today - dt.timedelta(days=7),
        "ends_on": today + dt.timedelta(days=20),
    }
    values.update(fields)
    campaign = Campaign.objects.create(organisation=organisation, **values)
    campaign.departments.set(departments)
    campaign.teams.set(teams)
    return campaign


def at(day: dt.date, hour: int = 12) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def variant(organisation: Organisation) -> ScenarioVariant:
    family, _ = ScenarioFamily.objects.get_or_create(
        organisation=organisation,
        code="uitleggen",
        defaults={"title": "Uitleggen", "summary": "s", "competency_codes": ["AV-TRA", "AV-EMP"]},
    )
    found, _ = ScenarioVariant.objects.get_or_create(
        family=family, code="uitleggen-0", defaults={"title": "t", "setting": "s", "graph": {}}
    )
    return found


def run(employee: Employee, scores: dict[str, float], finished_at: dt.datetime | None) -> Attempt:
    """A scenario run; ``finished_at`` None leaves it unfinished."""
    return Attempt.objects.create(
        organisation=employee.organisation,
        employee=employee,
        variant=variant(employee.organisation),
        node="einde",
        scores=scores,
        finished_at=finished_at,
    )


def answer(employee: Employee, code: str, answered_at: dt.datetime) -> ExerciseAnswer:
    exercise, _ = Exercise.objects.get_or_create(
        organisation=employee.organisation,
        code=f"oefening-{code.lower()}",
        defaults={"kind": ExerciseKind.JUDGEMENT, "competency_code": code, "content": {}},
    )
    found = ExerciseAnswer.objects.create(
        organisation=employee.organisation,
        employee=employee,
        exercise=exercise,
        choice=0,
        correct=True,
    )
    ExerciseAnswer.objects.filter(pk=found.pk).update(answered_at=answered_at)
    return found
