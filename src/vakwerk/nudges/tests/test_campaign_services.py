"""Writing campaigns: checks against the organisation, audit lines in the same transaction."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from vakwerk.audit.models import AuditEvent
from vakwerk.audit.services import Actor
from vakwerk.nudges import campaign_services
from vakwerk.nudges.demo import seed_campaign
from vakwerk.nudges.models import Campaign
from vakwerk.nudges.tests.campaigns import make_campaign, publish_framework
from vakwerk.people.models import Team
from vakwerk.tests.factories import DepartmentFactory, TeamFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

TODAY = timezone.localdate


@pytest.fixture
def actor(organisation):
    publish_framework(organisation)
    return Actor(user=UserFactory(), origin="127.0.0.1")


def create(organisation, actor, **fields):
    values = {
        "title": "Maand van de transparantie",
        "description": "Waarom nu.",
        "competency_codes": ["AV-TRA"],
        "starts_on": TODAY(),
        "ends_on": TODAY() + dt.timedelta(days=30),
    }
    values.update(fields)
    return campaign_services.campaign_create(organisation=organisation, actor=actor, **values)


def errors_of(call) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        call()
    return caught.value.message_dict


def test_create_saves_the_campaign_with_its_population_and_an_audit_line(organisation, actor):
    team = TeamFactory(organisation=organisation, name="Burgerzaken")
    department = DepartmentFactory(organisation=organisation, name="Publiekszaken")
    campaign = create(organisation, actor, departments=[department], teams=[team])
    assert list(campaign.teams.all()) == [team]
    assert list(campaign.departments.all()) == [department]
    assert campaign.created_by == actor.user
    event = AuditEvent.objects.get(action="campaign.create")
    assert event.organisation == organisation
    assert event.actor == actor.user
    assert event.object_id == str(campaign.pk)
    assert event.details["title"] == "Maand van de transparantie"
    assert event.details["competencies"] == ["AV-TRA"]
    assert event.details["teams"] == ["Burgerzaken"]
    assert event.details["departments"] == ["Publiekszaken"]


def test_an_end_before_the_start_is_rejected(organisation, actor):
    errors = errors_of(
        lambda: create(organisation, actor, starts_on=TODAY(), ends_on=TODAY() - dt.timedelta(1))
    )
    assert "ends_on" in errors
    assert not Campaign.objects.exists()
    assert not AuditEvent.objects.filter(action="campaign.create").exists()


def test_a_campaign_without_a_competency_is_rejected(organisation, actor):
    errors = errors_of(lambda: create(organisation, actor, competency_codes=[]))
    assert errors["competency_codes"] == ["Choose at least one competency."]


@pytest.mark.parametrize("code", ["XX-ONBEKEND", "AV-CONCEPT"])
def test_a_competency_outside_the_current_framework_is_rejected(organisation, actor, code):
    """Unknown codes, and codes of a draft version only, are not in the current framework."""
    errors = errors_of(lambda: create(organisation, actor, competency_codes=["AV-TRA", code]))
    assert code in errors["competency_codes"][0]


def test_a_team_or_department_of_another_organisation_is_rejected(
    organisation, other_organisation, actor
):
    foreign_team = TeamFactory(organisation=other_organisation)
    foreign_department = DepartmentFactory(organisation=other_organisation)
    errors = errors_of(
        lambda: create(organisation, actor, teams=[foreign_team], departments=[foreign_department])
    )
    assert errors["teams"] == ["Choose teams of your own organisation."]
    assert errors["departments"] == ["Choose departments of your own organisation."]
    assert not Campaign.objects.exists()


def test_a_new_campaign_cannot_have_ended_already(organisation, actor):
    past = TODAY() - dt.timedelta(days=1)
    errors = errors_of(
        lambda: create(organisation, actor, starts_on=past - dt.timedelta(7), ends_on=past)
    )
    assert "has passed" in errors["ends_on"][0]


def test_a_campaign_lasts_a_year_at_most(organisation, actor):
    errors = errors_of(lambda: create(organisation, actor, ends_on=TODAY() + dt.timedelta(400)))
    assert "a year at most" in errors["ends_on"][0]
    create(organisation, actor, ends_on=TODAY() + dt.timedelta(campaign_services.MAX_DAYS - 1))


def test_update_names_the_changed_fields_and_writes_nothing_without_changes(organisation, actor):
    campaign = create(organisation, actor)
    team = Team.objects.create(organisation=organisation, name="Burgerzaken")
    fields = {
        "title": campaign.title,
        "description": campaign.description,
        "competency_codes": ["AV-TRA"],
        "starts_on": campaign.starts_on,
        "ends_on": campaign.ends_on,
    }
    campaign_services.campaign_update(campaign=campaign, actor=actor, **fields)
    assert not AuditEvent.objects.filter(action="campaign.update").exists()
    fields.update(title="Transparantie", competency_codes=["AV-TRA", "KW-ONP"])
    campaign_services.campaign_update(campaign=campaign, actor=actor, teams=[team], **fields)
    campaign.refresh_from_db()
    assert campaign.title == "Transparantie"
    assert campaign.competency_codes == ["AV-TRA", "KW-ONP"]
    assert list(campaign.teams.all()) == [team]
    event = AuditEvent.objects.get(action="campaign.update")
    assert event.details["fields"] == ["title", "competency_codes", "teams"]


def test_update_keeps_a_code_the_framework_dropped_but_refuses_a_new_unknown_one(
    organisation, actor
):
    campaign = make_campaign(organisation, competency_codes=["AV-TRA", "AV-OUD"])
    fields = {
        "title": "Nieuwe titel",
        "competency_codes": ["AV-TRA", "AV-OUD"],
        "starts_on": campaign.starts_on,
        "ends_on": campaign.ends_on,
    }
    campaign_services.campaign_update(campaign=campaign, actor=actor, **fields)
    fields["competency_codes"] = ["AV-TRA", "AV-OUD", "AV-NIEUW"]
    errors = errors_of(
        lambda: campaign_services.campaign_update(campaign=campaign, actor=actor, **fields)
    )
    assert "AV-NIEUW" in errors["competency_codes"][0]
    assert "AV-OUD" not in errors["competency_codes"][0]


def test_ending_early_makes_yesterday_the_last_day(organisation, actor):
    campaign = make_campaign(organisation)
    planned = campaign.ends_on
    campaign_services.campaign_end(campaign=campaign, actor=actor, today=TODAY())
    campaign.refresh_from_db()
    assert campaign.ends_on == TODAY() - dt.timedelta(days=1)
    event = AuditEvent.objects.get(action="campaign.end")
    assert event.details["planned_ends_on"] == planned.isoformat()


@pytest.mark.parametrize("starts_in", [0, 3])
def test_only_a_campaign_that_started_before_today_can_end_early(organisation, actor, starts_in):
    start = TODAY() + dt.timedelta(days=starts_in)
    campaign = make_campaign(organisation, starts_on=start, ends_on=start + dt.timedelta(9))
    with pytest.raises(ValidationError):
        campaign_services.campaign_end(campaign=campaign, actor=actor, today=TODAY())
    assert not AuditEvent.objects.filter(action="campaign.end").exists()


def test_delete_removes_the_campaign_and_logs_what_it_was(organisation, actor):
    campaign = make_campaign(organisation)
    pk = campaign.pk
    campaign_services.campaign_delete(campaign=campaign, actor=actor)
    assert not Campaign.objects.filter(pk=pk).exists()
    event = AuditEvent.objects.get(action="campaign.delete")
    assert event.object_id == str(pk)
    assert event.details["title"] == "Maand van de transparantie"


def test_the_demo_campaign_runs_today_and_is_made_once(organisation, actor):
    campaign = seed_campaign(organisation)
    assert campaign is not None
    assert campaign.starts_on < TODAY() < campaign.ends_on
    assert campaign.competency_codes == ["AV-TRA"]
    assert seed_campaign(organisation) is None
    assert Campaign.objects.filter(organisation=organisation).count() == 1
