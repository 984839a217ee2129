import pytest
from django.core.management import call_command

from vakwerk.accounts.models import User
from vakwerk.organisations.models import Membership, Organisation
from vakwerk.people.models import Department, Employee, Team

pytestmark = pytest.mark.django_db


def test_seed_demo_builds_both_organisations_and_is_idempotent(capsys):
    call_command("seed_demo")
    first = capsys.readouterr().out
    counts = (User.objects.count(), Employee.objects.count(), Membership.objects.count())
    call_command("seed_demo")
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


def test_demo_logins_work_with_the_documented_password(client, settings):
    call_command("seed_demo")
    assert client.login(email="medewerker@voorbeeld.demo", password=settings.DEMO_PASSWORD)


def test_demo_has_two_closed_rounds_with_answers_and_an_open_one():
    from vakwerk.assessments.models import Answer, Round, RoundStatus, Source

    call_command("seed_demo")
    call_command("seed_demo")
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
