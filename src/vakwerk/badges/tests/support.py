"""Small measured data for the badge tests, written directly (no engine run): a published
framework with one competency, a role profile with its target, and closed rounds with one
stored estimate each."""

import datetime as dt
from dataclasses import dataclass

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.utils import timezone

from vakwerk.accounts.models import User
from vakwerk.assessments.models import Round, RoundStatus
from vakwerk.frameworks.models import Competency, FrameworkVersion, Level, RoleProfile, RoleTarget
from vakwerk.measurement.models import Estimate, EstimateRun, RunStatus
from vakwerk.organisations.models import Organisation
from vakwerk.people.models import Employee
from vakwerk.tests.factories import (
    CompetencyFactory,
    EmployeeFactory,
    FrameworkVersionFactory,
    RoundFactory,
)

CODE = "AV-EMP"
TARGET = 3


def new_pem() -> str:
    return (
        Ed25519PrivateKey.generate()
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )


@dataclass
class Setting:
    organisation: Organisation
    version: FrameworkVersion
    competency: Competency
    profile: RoleProfile


def setting(organisation: Organisation) -> Setting:
    version = FrameworkVersionFactory(framework__organisation=organisation, published=True)
    for number in range(1, 5):
        Level.objects.create(version=version, number=number, name=f"Niveau {number}")
    competency = CompetencyFactory(
        version=version, code=CODE, name="Empathie", description="Zich inleven in de ander."
    )
    profile = RoleProfile.objects.create(organisation=organisation, code="balie", name="Balie")
    RoleTarget.objects.create(profile=profile, competency_code=CODE, minimum=2, target=TARGET)
    return Setting(organisation, version, competency, profile)


def employee(place: Setting, user: User | None) -> Employee:
    return EmployeeFactory(organisation=place.organisation, user=user, role_profile=place.profile)


def measure(place: Setting, person: Employee, level: float, *, days_ago: int = 10) -> Estimate:
    """A closed round ``days_ago`` with one estimate of ``person`` at ``level``."""
    closed_at = timezone.now() - dt.timedelta(days=days_ago)
    round_: Round = RoundFactory(
        organisation=place.organisation,
        version=place.version,
        status=RoundStatus.CLOSED,
        closed_at=closed_at,
    )
    run = EstimateRun.objects.create(
        organisation=place.organisation, round=round_, status=RunStatus.DONE
    )
    return Estimate.objects.create(
        run=run,
        round=round_,
        organisation=place.organisation,
        employee=person,
        version=place.version,
        competency_code=CODE,
        estimate=0.4,
        sd=0.3,
        lower90=-0.1,
        upper90=0.9,
        level=level,
        level_lower=level - 0.4,
        level_upper=level + 0.4,
        computed_at=closed_at,
        engine_version="test",
    )
