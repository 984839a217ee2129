"""The revocation hook where a round's estimates are stored (``measurement.services``): a
real round, closed and estimated by the engine, revokes exactly the badges whose competency
now measures under the level they confirm."""

import datetime as dt

import pytest
from django.utils import timezone

from vakwerk.badges.models import Badge
from vakwerk.frameworks.models import Competency
from vakwerk.measurement.models import Estimate

pytestmark = pytest.mark.django_db
pytest_plugins = ["vakwerk.tests.measured"]

CONFIRMED = 4  # the top of the shipped scale: most measured levels fall under it


def test_storing_a_rounds_estimates_revokes_badges_now_below_their_level(
    organisation, framework_version, team, answered_round, django_capture_on_commit_callbacks
):
    from vakwerk.assessments import services as round_services
    from vakwerk.tests.measured import ACTOR

    _manager, members = team
    subject = answered_round.subjects.get(employee=members[0])
    codes = subject.competency_codes[:2]
    competencies = Competency.objects.filter(version=framework_version, code__in=codes)
    for member in members:
        for competency in competencies:
            Badge.objects.create(
                organisation=organisation,
                employee=member,
                competency=competency,
                level=4.0,
                target_level=CONFIRMED,
                issued_at=timezone.now() - dt.timedelta(days=300),
                jwt="x.y.z",
            )
    with django_capture_on_commit_callbacks(execute=True):
        round_services.round_close(round_=answered_round, actor=ACTOR)

    below = {
        (e.employee_id, e.competency_code)
        for e in Estimate.objects.filter(
            round=answered_round, competency_code__in=codes, employee__in=members
        )
        if e.level is not None and e.level < CONFIRMED
    }
    revoked = {
        (b.employee_id, b.competency.code)
        for b in Badge.objects.filter(revoked_at__isnull=False).select_related("competency")
    }
    assert below, "the engine put nobody under the confirmed level: nothing was checked"
    assert revoked == below
