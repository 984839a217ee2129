"""Pulse-check test data: an employee with a login and stored results of a closed round,
and the shipped SJT bank.

Register with ``pytest_plugins = ["vakwerk.measurement.tests.pulse_data"]``. Test modules import
its helpers too, before pytest could rewrite it: it reports with ``pytest.fail``, not ``assert``.
PYTEST_DONT_REWRITE
"""

import datetime as dt

import numpy as np
import pytest
from django.utils import timezone

from vakwerk.assessments.models import RoundStatus, SjtItem
from vakwerk.assessments.sjt import sjt_load_pack
from vakwerk.audit.services import Actor
from vakwerk.frameworks.content import shipped_pack
from vakwerk.frameworks.models import RoleProfile
from vakwerk.measurement.engine import LevelScale
from vakwerk.measurement.models import Estimate, EstimateRun, RunStatus
from vakwerk.organisations.models import Role
from vakwerk.tests.factories import EmployeeFactory, RoundFactory

ACTOR = Actor(user=None)

# Three months ago, so that results are neither new nor outdated today whenever the tests run.
CLOSED = (timezone.now() - dt.timedelta(days=90)).replace(hour=9, minute=0, second=0, microsecond=0)
THRESHOLDS = [-1.2, -0.4, 0.4, 1.2]  # latent thresholds of levels 1-4
# Current SD per competency: AV-GEL is the least certain, AV-DIA next.
SDS = {"AV-RES": 0.45, "AV-GEL": 0.7, "AV-EMP": 0.4, "AV-INV": 0.42, "AV-TRA": 0.41}
SDS |= {"AV-NET": 0.43, "AV-DIA": 0.6}


@pytest.fixture
def bank(organisation):
    pack = shipped_pack("sjt-ambtelijk-vakmanschap-3.0")
    if pack is None:
        pytest.fail("the shipped SJT pack is missing")
    return sjt_load_pack(organisation=organisation, actor=ACTOR, pack=pack)


def measure(round_, employee, sds=SDS, estimate=0.0):
    """A finished run of ``round_`` with an estimate per competency for ``employee``."""
    run, _ = EstimateRun.objects.get_or_create(
        organisation=round_.organisation,
        round=round_,
        defaults={
            "status": RunStatus.DONE,
            "progress": 100,
            "calibration": {
                code: {"items": {}, "specific_var": 0.2, "level_thresholds": THRESHOLDS}
                for code in sds
            },
        },
    )
    scale = LevelScale(np.array(THRESHOLDS))
    for code, sd in sds.items():
        lower, upper = estimate - 1.6448536 * sd, estimate + 1.6448536 * sd
        levels = scale.express(np.array([estimate, lower, upper]))
        Estimate.objects.create(
            run=run,
            round=round_,
            organisation=round_.organisation,
            employee=employee,
            version=round_.version,
            competency_code=code,
            estimate=estimate,
            sd=sd,
            lower90=lower,
            upper90=upper,
            level=float(levels[0]),
            level_lower=float(levels[1]),
            level_upper=float(levels[2]),
            computed_at=round_.closed_at,
            engine_version="test",
        )


@pytest.fixture
def measured_round(organisation, framework_version):
    return RoundFactory(
        organisation=organisation,
        version=framework_version,
        status=RoundStatus.CLOSED,
        closed_at=CLOSED,
        opens_on=CLOSED.date() - dt.timedelta(days=30),
        closes_on=CLOSED.date(),
    )


@pytest.fixture
def person(organisation, member_client, framework_version, measured_round, bank):
    """An employee with a login and results of a round closed on ``CLOSED``: (client, employee)."""
    client, user = member_client(organisation, Role.EMPLOYEE)
    profile = RoleProfile.objects.get(organisation=organisation, code="baliemedewerker-burgerzaken")
    employee = EmployeeFactory(organisation=organisation, user=user, role_profile=profile)
    measure(measured_round, employee)
    return client, employee


def key_ratings(item: SjtItem, *, reverse_key: bool = False) -> dict[int, int]:
    """Ratings that follow the expert key (or its opposite): scored 4 (or 0)."""
    ratings = {}
    for option in item.options.all():
        rating = round(float(option.key))
        ratings[option.position] = 6 - rating if reverse_key else rating
    return ratings
