import io
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings

from vakwerk.accounts.models import User
from vakwerk.organisations.models import Membership, Organisation
from vakwerk.people.models import Department, Employee, Team

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        "postgresql" in settings.DATABASES["default"]["ENGINE"],
        reason=(
            "the demo's own tests run with SQLite, the database `make demo` uses (make test's "
            "default, CI's SQLite run): seeding the demo twice takes a minute and a half on two "
            "cores, and CI's PostgreSQL run seeds it already for the insight pages' browser test"
        ),
    ),
]


@pytest.fixture(scope="module")
def demo(django_db_setup: None, django_db_blocker: Any) -> Iterator[dict[str, Any]]:
    """The demo seeded twice, once for the whole module (seeding costs seconds): the output and
    the counts after the first run. Rolled back when the module is done; each test runs in a
    savepoint inside this transaction."""
    # The same fast hasher as every test (conftest's fixture is per test, this runs before).
    fast = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
    with django_db_blocker.unblock(), fast, transaction.atomic():
        first = io.StringIO()
        call_command("seed_demo", stdout=first)
        counts = (User.objects.count(), Employee.objects.count(), Membership.objects.count())
        call_command("seed_demo", stdout=io.StringIO())
        yield {"output": first.getvalue(), "counts": counts}
        transaction.set_rollback(True)


def test_seed_demo_builds_both_organisations_and_is_idempotent(demo):
    first = demo["output"]
    counts = demo["counts"]
    assert (User.objects.count(), Employee.objects.count(), Membership.objects.count()) == counts

    voorbeeld = Organisation.objects.get(slug="voorbeeld")
    anders = Organisation.objects.get(slug="anders")
    assert 280 <= Employee.objects.filter(organisation=voorbeeld).count() <= 330
    assert 35 <= Employee.objects.filter(organisation=anders).count() <= 50
    assert Team.objects.filter(organisation=voorbeeld).count() >= 12
    assert Department.objects.filter(organisation=voorbeeld).count() == 4
    # Every employee of a team has a manager, and managers hold the manager role.
    members = Employee.objects.filter(organisation=voorbeeld, team__isnull=False)
    assert not members.filter(manager__isnull=True).exists()
    for slug in ("voorbeeld", "anders"):
        for login in ("hr", "manager", "medewerker"):
            assert f"{login}@{slug}.demo" in first
    manager = Membership.objects.get(user__email="manager@voorbeeld.demo")
    assert manager.is_manager
    assert Employee.objects.filter(manager__user__email="manager@voorbeeld.demo").exists()
    assert Membership.objects.get(user__email="hr@voorbeeld.demo").is_hr
    assert Membership.objects.filter(user__email="gedeeld@vakwerk.demo").count() == 2


def test_demo_logins_work_with_the_documented_password(demo, client, settings):
    assert client.login(email="medewerker@voorbeeld.demo", password=settings.DEMO_PASSWORD)


def test_demo_has_two_closed_rounds_with_answers_and_an_open_one(demo):
    from vakwerk.assessments.models import Answer, Round, RoundStatus, Source

    rounds = Round.objects.filter(organisation__slug="voorbeeld")
    assert sorted(rounds.values_list("status", flat=True)) == ["closed", "closed", "open"]
    for round_ in rounds.filter(status=RoundStatus.CLOSED):
        answers = Answer.objects.filter(invitation__subject__round=round_, value__isnull=False)
        assert answers.filter(invitation__source=Source.PEER).count() > 1000
        # Self-ratings are lenient compared with the others.
        self_mean = (
            sum(answers.filter(invitation__source=Source.SELF).values_list("value", flat=True))
            / answers.filter(invitation__source=Source.SELF).count()
        )
        peer_mean = (
            sum(answers.filter(invitation__source=Source.PEER).values_list("value", flat=True))
            / answers.filter(invitation__source=Source.PEER).count()
        )
        assert self_mean > peer_mean
