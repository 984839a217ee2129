"""HR's campaign pages: permissions, the list, the form with its messages, end and delete, and
the campaign page; a bounded number of queries on the list and the campaign page."""

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from vakwerk.audit.models import AuditEvent
from vakwerk.nudges.models import Campaign
from vakwerk.nudges.tests.campaigns import answer, at, make_campaign, publish_framework, run
from vakwerk.organisations.models import Role
from vakwerk.tests.factories import DepartmentFactory, EmployeeFactory, TeamFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

TODAY = timezone.localdate


@pytest.fixture
def hr(member_client, organisation):
    publish_framework(organisation)
    client, _ = member_client(organisation, Role.HR)
    return client


def form_data(**fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "title": "Maand van de transparantie",
        "description": "Uitleggen wat we doen.",
        "competency_codes": ["AV-TRA", "KW-ONP"],
        "starts_on": TODAY().isoformat(),
        "ends_on": (TODAY() + dt.timedelta(days=30)).isoformat(),
    }
    data.update(fields)
    return data


@pytest.mark.parametrize("role", [Role.EMPLOYEE, Role.MANAGER, Role.ADMIN])
def test_only_hr_reaches_the_campaign_pages(member_client, organisation, role):
    campaign = make_campaign(organisation)
    client, _ = member_client(organisation, role)
    for url in (
        reverse("campaigns:list"),
        reverse("campaigns:create"),
        reverse("campaigns:detail", args=[campaign.pk]),
        reverse("campaigns:edit", args=[campaign.pk]),
        reverse("campaigns:delete", args=[campaign.pk]),
    ):
        assert client.get(url).status_code == 403, url
    assert client.post(reverse("campaigns:delete", args=[campaign.pk])).status_code == 403
    assert client.post(reverse("campaigns:end", args=[campaign.pk])).status_code == 403
    assert Campaign.objects.filter(pk=campaign.pk, ends_on=campaign.ends_on).exists()


def test_anonymous_visitors_are_sent_to_the_login(client):
    response = client.get(reverse("campaigns:list"))
    assert response.status_code == 302
    assert "/account/login/" in response["Location"]


def test_a_campaign_of_another_organisation_is_404(hr, other_organisation):
    foreign = make_campaign(other_organisation, title="Geheim")
    for name in ("detail", "edit", "delete"):
        assert hr.get(reverse(f"campaigns:{name}", args=[foreign.pk])).status_code == 404
    assert hr.post(reverse("campaigns:delete", args=[foreign.pk])).status_code == 404
    assert hr.post(reverse("campaigns:end", args=[foreign.pk])).status_code == 404
    assert Campaign.objects.filter(pk=foreign.pk).exists()


def test_the_empty_list_invites_to_start_one(hr):
    html = hr.get(reverse("campaigns:list")).content.decode()
    assert "There are no campaigns yet" in html
    assert reverse("campaigns:create") in html


def test_the_list_shows_campaigns_with_their_audience_and_is_paged(hr, organisation):
    team = TeamFactory(organisation=organisation, name="Burgerzaken")
    make_campaign(organisation, title="Aan de balie", teams=[team])
    for n in range(29):
        make_campaign(organisation, title=f"Campagne {n:02d}")
    first = hr.get(reverse("campaigns:list"))
    assert len(first.context["rows"]) == 25
    html = first.content.decode()
    assert "Burgerzaken" in html
    assert "The whole organisation" in html
    assert "Transparant" in html  # the competency's name, not its code
    second = hr.get(reverse("campaigns:list"), {"pagina": "2"})
    assert len(second.context["rows"]) == 5


def test_the_list_filter_shows_past_campaigns_only(hr, organisation):
    make_campaign(organisation, title="Loopt nog")
    make_campaign(
        organisation,
        title="Al voorbij",
        starts_on=TODAY() - dt.timedelta(20),
        ends_on=TODAY() - dt.timedelta(5),
    )
    html = hr.get(reverse("campaigns:list"), {"status": "afgelopen"}).content.decode()
    assert "Al voorbij" in html
    assert "Loopt nog" not in html
    assert (
        "No campaigns match"
        in hr.get(reverse("campaigns:list"), {"status": "gepland"}).content.decode()
    )


def test_the_list_takes_the_same_number_of_queries_for_many_campaigns(hr, organisation):
    url = reverse("campaigns:list")

    def add(count: int) -> None:
        for _ in range(count):
            department = DepartmentFactory(organisation=organisation)
            make_campaign(
                organisation,
                departments=[department],
                teams=[TeamFactory(organisation=organisation, department=department)],
            )

    add(2)
    hr.get(url)  # warm the session
    with CaptureQueriesContext(connection) as few:
        assert len(hr.get(url).context["rows"]) == 2
    add(20)
    with CaptureQueriesContext(connection) as many:
        assert len(hr.get(url).context["rows"]) == 22
    assert len(many.captured_queries) == len(few.captured_queries)


def test_the_form_offers_current_competencies_and_own_groups_only(
    hr, organisation, other_organisation
):
    TeamFactory(organisation=organisation, name="Eigen team")
    TeamFactory(organisation=other_organisation, name="Vreemd team")
    html = hr.get(reverse("campaigns:create")).content.decode()
    assert "Transparant" in html
    assert "Onpartijdig" in html
    assert "Conceptcompetentie" not in html  # only in a draft version
    assert "Eigen team" in html
    assert "Vreemd team" not in html
    assert 'type="date"' in html


def test_creating_a_campaign_saves_it_and_shows_its_page(hr, organisation):
    team = TeamFactory(organisation=organisation)
    response = hr.post(reverse("campaigns:create"), form_data(teams=[team.pk]))
    campaign = Campaign.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("campaigns:detail", args=[campaign.pk])
    assert campaign.competency_codes == ["AV-TRA", "KW-ONP"]
    assert list(campaign.teams.all()) == [team]
    assert AuditEvent.objects.filter(action="campaign.create").count() == 1


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        (
            {"ends_on": (TODAY() - dt.timedelta(days=1)).isoformat()},
            "ends_on",
            "The last day lies before the first day",
        ),
        ({"starts_on": ""}, "starts_on", "Enter the first day of the campaign."),
        ({"ends_on": "31-02-2027"}, "ends_on", "Enter a date as day-month-year"),
        ({"competency_codes": []}, "competency_codes", "Choose at least one competency."),
        ({"competency_codes": ["AV-CONCEPT"]}, "competency_codes", "Select a valid choice"),
        ({"title": ""}, "title", "Give the campaign a title."),
    ],
)
def test_form_errors_are_shown_next_to_their_field(hr, fields, field, message):
    response = hr.post(reverse("campaigns:create"), form_data(**fields))
    assert response.status_code == 200
    assert any(message in error for error in response.context["form"].errors[field])
    html = response.content.decode()
    assert f'id="id_{field}_error"' in html
    assert not Campaign.objects.exists()


def test_a_team_of_another_organisation_cannot_be_posted(hr, other_organisation):
    foreign = TeamFactory(organisation=other_organisation)
    response = hr.post(reverse("campaigns:create"), form_data(teams=[foreign.pk]))
    assert response.status_code == 200
    assert "teams" in response.context["form"].errors
    assert not Campaign.objects.exists()


def test_a_service_error_lands_next_to_its_field(hr):
    response = hr.post(
        reverse("campaigns:create"),
        form_data(
            starts_on=(TODAY() - dt.timedelta(days=9)).isoformat(),
            ends_on=(TODAY() - dt.timedelta(days=2)).isoformat(),
        ),
    )
    assert response.status_code == 200
    assert "has passed" in response.context["form"].errors["ends_on"][0]


def test_editing_shows_the_stored_values_and_saves_changes(hr, organisation):
    campaign = make_campaign(organisation, competency_codes=["AV-TRA"])
    url = reverse("campaigns:edit", args=[campaign.pk])
    form = hr.get(url).context["form"]
    assert form["title"].value() == "Maand van de transparantie"
    assert form["competency_codes"].value() == ["AV-TRA"]
    response = hr.post(
        url,
        form_data(
            title="Transparantie",
            starts_on=campaign.starts_on.isoformat(),
            ends_on=campaign.ends_on.isoformat(),
        ),
    )
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.title == "Transparantie"
    assert campaign.competency_codes == ["AV-TRA", "KW-ONP"]
    assert AuditEvent.objects.get(action="campaign.update").details["fields"] == [
        "title",
        "description",
        "competency_codes",
    ]


def test_delete_asks_first_then_deletes(hr, organisation):
    campaign = make_campaign(organisation)
    url = reverse("campaigns:delete", args=[campaign.pk])
    page = hr.get(url)
    assert page.status_code == 200
    assert "Delete the campaign" in page.content.decode()
    assert Campaign.objects.filter(pk=campaign.pk).exists()
    response = hr.post(url)
    assert response["Location"] == reverse("campaigns:list")
    assert not Campaign.objects.filter(pk=campaign.pk).exists()
    assert AuditEvent.objects.filter(action="campaign.delete").count() == 1


def test_ending_early_from_the_campaign_page(hr, organisation):
    campaign = make_campaign(organisation)
    page = hr.get(reverse("campaigns:detail", args=[campaign.pk])).content.decode()
    assert reverse("campaigns:end", args=[campaign.pk]) in page
    hr.post(reverse("campaigns:end", args=[campaign.pk]))
    campaign.refresh_from_db()
    assert campaign.ends_on == TODAY() - dt.timedelta(days=1)
    page = hr.get(reverse("campaigns:detail", args=[campaign.pk])).content.decode()
    assert reverse("campaigns:end", args=[campaign.pk]) not in page


def test_the_campaign_page_shows_figures_and_says_what_is_hidden(hr, organisation):
    organisation.anonymity_threshold = 3
    organisation.save()
    team = TeamFactory(organisation=organisation)
    people = EmployeeFactory.create_batch(4, organisation=organisation, team=team)
    campaign = make_campaign(organisation, competency_codes=["AV-TRA", "KW-ONP"], teams=[team])
    for person in people[:3]:
        run(person, {"AV-TRA": 0.6}, at(campaign.starts_on))
    response = hr.get(reverse("campaigns:detail", args=[campaign.pk]))
    html = response.content.decode()
    assert "meant for 4 people" in html
    assert "3 of them practised during the campaign: 75%." in html
    assert "Fewer than 3 people: not shown" in html  # KW-ONP: nobody practised it
    assert "Figures over fewer than 3 people are not shown" in html
    assert "<table" in html


def test_the_campaign_page_draws_the_weeks_when_every_week_may_be_shown(hr, organisation):
    organisation.anonymity_threshold = 3
    organisation.save()
    people = EmployeeFactory.create_batch(3, organisation=organisation)
    today = TODAY()
    campaign = make_campaign(organisation, starts_on=today, ends_on=today + dt.timedelta(9))
    for person in people:
        answer(person, "AV-TRA", timezone.now())
    html = hr.get(reverse("campaigns:detail", args=[campaign.pk])).content.decode()
    assert 'class="vakwerk-chart vakwerk-chart--histogram"' in html
    assert "Practice on the theme per week" in html


def test_the_campaign_page_takes_the_same_number_of_queries_for_more_practice(hr, organisation):
    team = TeamFactory(organisation=organisation)
    campaign = make_campaign(
        organisation,
        competency_codes=["AV-TRA", "KW-ONP"],
        teams=[team],
        starts_on=TODAY() - dt.timedelta(days=20),
    )
    url = reverse("campaigns:detail", args=[campaign.pk])

    def add(count: int) -> None:
        for _ in range(count):
            person = EmployeeFactory(organisation=organisation, team=team)
            run(person, {"AV-TRA": 0.5, "KW-ONP": 0.5}, at(campaign.starts_on))
            answer(person, "KW-ONP", at(TODAY()))

    add(1)
    hr.get(url)  # warm the session
    with CaptureQueriesContext(connection) as few:
        assert hr.get(url).context["figures"].population == 1
    add(12)
    with CaptureQueriesContext(connection) as many:
        assert hr.get(url).context["figures"].practised == 13
    assert len(many.captured_queries) == len(few.captured_queries)
